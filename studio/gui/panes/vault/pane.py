from __future__ import annotations

from PySide6.QtWidgets import QWidget

from studio.gui.context import AppContext
from studio.gui.panes.base import PlaceholderPane


class VaultPane(PlaceholderPane):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.set_texts(
            self.tr("Vault"),
            self.tr(
                "Every model and checkpoint, encrypted at rest: import, export, share, verify and rotate keys."
            ),
        )
