"""The audit entries about one run (who started, paused, stopped, deleted it...), newest first."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget


class AuditView(QTreeWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("runAudit")
        self.setRootIsDecorated(False)
        self.setAlternatingRowColors(True)
        self.setHeaderLabels([self.tr("Time (UTC)"), self.tr("User"), self.tr("Action"), self.tr("Outcome"),
                              self.tr("Details")])
        self.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.header().setStretchLastSection(True)

    def set_entries(self, entries: list[Any]) -> None:
        self.clear()
        for e in entries:
            item = QTreeWidgetItem([e.ts.replace("T", " ")[:19], e.actor_name, e.action, e.outcome, e.details_json])
            item.setToolTip(4, e.details_json)
            self.addTopLevelItem(item)

    def set_unavailable(self, reason: str) -> None:
        self.clear()
        self.addTopLevelItem(QTreeWidgetItem(["", "", reason, "", ""]))
