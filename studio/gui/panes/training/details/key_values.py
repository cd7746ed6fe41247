"""A two-column tree of sections and their settings (run settings, system info)."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget


def fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return QCoreApplication.translate("Settings", "yes") if value else QCoreApplication.translate("Settings", "no")
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple) and not any(isinstance(v, list | tuple | dict) for v in value):
        return ", ".join(fmt(v) for v in value) or "—"  # tags read "demo, lr", not ["demo", "lr"]
    if isinstance(value, list | tuple | dict):
        return json.dumps(value)
    return str(value)


class KeyValueTree(QTreeWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setColumnCount(2)
        self.setHeaderLabels([self.tr("Setting"), self.tr("Value")])
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.setAlternatingRowColors(True)
        self.setRootIsDecorated(True)
        self._shown: list | None = None

    def set_sections(self, sections: list[tuple[str, dict[str, Any]]]) -> None:
        shown = [(title, {k: fmt(v) for k, v in values.items()}) for title, values in sections]
        if shown == self._shown:
            return  # unchanged: keep what the user expanded and where they scrolled
        super().clear()
        self._shown = shown
        for title, values in shown:
            top = QTreeWidgetItem([title, ""])
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            self.addTopLevelItem(top)
            for key in sorted(values):
                top.addChild(QTreeWidgetItem([key, values[key]]))
            top.setExpanded(True)

    def clear(self) -> None:
        super().clear()
        self._shown = None

    def value(self, section: str, key: str) -> str | None:
        for i in range(self.topLevelItemCount()):
            top = self.topLevelItem(i)
            if top.text(0) != section:
                continue
            for j in range(top.childCount()):
                if top.child(j).text(0) == key:
                    return top.child(j).text(1)
        return None
