from __future__ import annotations

from PySide6.QtWidgets import QWidget

from studio.gui.context import AppContext
from studio.gui.panes.base import PlaceholderPane


class CompressionPane(PlaceholderPane):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.set_texts(
            self.tr("Compression"),
            self.tr(
                "Prune and quantize a model, and compare the size, speed and perplexity of every variant side by side."
            ),
        )
