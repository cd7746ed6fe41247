"""The selected run's details as tabs: settings, the live log, checkpoints, system info, audit entries."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QTabWidget, QWidget

from studio.gui.panes.training.details.audit_view import AuditView
from studio.gui.panes.training.details.checkpoints_view import CheckpointsView
from studio.gui.panes.training.details.key_values import KeyValueTree
from studio.gui.panes.training.details.log_view import LogView


class RunDetails(QTabWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("runDetails")
        self.settings = KeyValueTree()
        self.log = LogView()
        self.checkpoints = CheckpointsView()
        self.system = KeyValueTree()
        self.audit = AuditView()
        self.addTab(self.settings, self.tr("Settings"))
        self.addTab(self.log, self.tr("Log"))
        self.addTab(self.checkpoints, self.tr("Checkpoints"))
        self.addTab(self.system, self.tr("System"))
        self.addTab(self.audit, self.tr("Audit"))
        self.run_id: int | None = None

    def show_run(self, run: Any | None) -> None:
        if run is None:
            self.run_id = None
            self.settings.clear()
            self.system.clear()
            self.log.reset()
            self.checkpoints.set_checkpoints([])
            self.audit.clear()
            return
        if run.id != self.run_id:
            self.log.reset()
            self.checkpoints.set_checkpoints([])
            self.audit.clear()
        self.run_id = run.id
        self.settings.set_sections(settings_sections(run))
        self.system.set_sections([(self.tr("System"), system_values(run))])


def settings_sections(run: Any) -> list[tuple[str, dict[str, Any]]]:
    """The run's settings by section; the engine's settings under their own names (n_layer, lr), the run's
    description in words."""
    source = {QCoreApplication.translate("RunDetails", "dataset"): run.dataset_name,
              QCoreApplication.translate("RunDetails", "tags"): list(run.tags),
              QCoreApplication.translate("RunDetails", "group"): run.group}
    if run.source_name:
        source[QCoreApplication.translate("RunDetails", "fine-tuned from")] = run.source_name
    options = {k: v for k, v in run.options.items() if not isinstance(v, dict)}
    return [(QCoreApplication.translate("RunDetails", "Run"), source),
            (QCoreApplication.translate("RunDetails", "Model"), dict(run.model_config)),
            (QCoreApplication.translate("RunDetails", "Training"), dict(run.train_config)),
            (QCoreApplication.translate("RunDetails", "Options"), options)]


def system_values(run: Any) -> dict[str, Any]:
    values = dict(run.system or {})
    values.update({"status": run.status, "attempt": run.attempt, "pid": run.pid, "host": run.host})
    if run.message:
        values["message"] = run.message
    if run.error:
        values["error"] = run.error
    return values
