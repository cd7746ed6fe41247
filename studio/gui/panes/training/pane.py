from __future__ import annotations

from PySide6.QtWidgets import QWidget

from studio.gui.context import AppContext
from studio.gui.panes.base import PlaceholderPane


class TrainingPane(PlaceholderPane):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.set_texts(
            self.tr("Training"),
            self.tr(
                "Start training runs of GPT models in a background process, watch their loss curves live, pause, resume and stop them, compare runs, and generate text from any checkpoint."
            ),
        )
