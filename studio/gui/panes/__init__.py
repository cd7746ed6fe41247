"""The panes of the main window, registered statically in order (Ctrl+1..7 follow this order).

Each pane lives in its own package, studio/gui/panes/<id>/, whose `pane` module defines the class named
here. Modules are imported the first time a pane is shown, so that start-up stays fast; the list is
static so that the frozen build (packaging/) knows every module without guessing.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QT_TRANSLATE_NOOP


@dataclass(frozen=True)
class PaneSpec:
    id: str
    title: str  # English source text, translated in context "Panes"
    icon: str  # file name in resources/icons
    module: str
    cls: str


PANES: tuple[PaneSpec, ...] = (
    PaneSpec("datasets", QT_TRANSLATE_NOOP("Panes", "Datasets"), "datasets.svg", "studio.gui.panes.datasets.pane", "DatasetsPane"),
    PaneSpec("training", QT_TRANSLATE_NOOP("Panes", "Training"), "training.svg", "studio.gui.panes.training.pane", "TrainingPane"),
    PaneSpec("compression", QT_TRANSLATE_NOOP("Panes", "Compression"), "compression.svg", "studio.gui.panes.compression.pane", "CompressionPane"),
    PaneSpec("vault", QT_TRANSLATE_NOOP("Panes", "Vault"), "vault.svg", "studio.gui.panes.vault.pane", "VaultPane"),
    PaneSpec("serving", QT_TRANSLATE_NOOP("Panes", "Serving"), "serving.svg", "studio.gui.panes.serving.pane", "ServingPane"),
    PaneSpec("users", QT_TRANSLATE_NOOP("Panes", "Users & Access"), "users.svg", "studio.gui.panes.users.pane", "UsersPane"),
    PaneSpec("audit", QT_TRANSLATE_NOOP("Panes", "Audit log"), "audit.svg", "studio.gui.panes.audit.pane", "AuditPane"),
)
