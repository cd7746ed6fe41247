from __future__ import annotations

from PySide6.QtWidgets import QWidget

from studio.gui.context import AppContext
from studio.gui.panes.base import PlaceholderPane


class AuditPane(PlaceholderPane):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.set_texts(
            self.tr("Audit log"),
            self.tr(
                "The tamper-evident record of who did what, with filters, search, export and a chain verification."
            ),
        )
