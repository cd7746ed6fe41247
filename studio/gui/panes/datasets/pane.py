from __future__ import annotations

from PySide6.QtWidgets import QWidget

from studio.gui.context import AppContext
from studio.gui.panes.base import PlaceholderPane


class DatasetsPane(PlaceholderPane):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.set_texts(
            self.tr("Datasets"),
            self.tr(
                "Import text corpora (text, JSON Lines, CSV, Parquet, folders), clean and tokenize them, split them into train, validation and test, and inspect their statistics and token lengths."
            ),
        )
