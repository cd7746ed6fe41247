"""The Adapters tab of a model's details: the LoRA adapter versions trained on it (each one holds only the
small low-rank weights and names this model as its base), and the way to merge one into a full model."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from studio.core.stores.vault import VersionInfo
from studio.gui.panes.vault.tables import AdaptersTable


class AdaptersTab(QWidget):
    sig_merge_requested = Signal(object)  # the adapter's VersionInfo

    def __init__(self, summary: Callable[[VersionInfo], str], parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.explain = QLabel()
        self.explain.setWordWrap(True)
        layout.addWidget(self.explain)
        self.adapters = AdaptersTable(summary, self)
        self.view = QTableView()
        self.view.setObjectName("adaptersView")
        self.view.setModel(self.adapters)
        self.view.verticalHeader().hide()
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update())
        self.view.doubleClicked.connect(lambda *_: self._merge())
        layout.addWidget(self.view, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.merge_button = QPushButton(self.tr("Merge into a new model…"))
        self.merge_button.setObjectName("mergeAdapterButton")
        self.merge_button.setToolTip(self.tr("Fold the selected adapter into a copy of this model, stored as a "
                                             "new full model"))
        self.merge_button.clicked.connect(self._merge)
        row.addWidget(self.merge_button)
        layout.addLayout(row)
        self._can_merge = False
        self.set_adapters([], "", False)

    def set_adapters(self, adapters: Sequence[VersionInfo], base: str, can_merge: bool) -> None:
        """`adapters`: newest first; `can_merge`: the policy's answer (merging makes a model)."""
        self._can_merge = can_merge
        self.adapters.set_rows(adapters)
        self.explain.setText(
            self.tr("LoRA adapters trained on {base}. An adapter holds only the small low-rank weights and runs on "
                    "its base; merge one to get a full model of its own.").format(base=base) if adapters else
            self.tr("No LoRA adapter has been trained on this model. Fine-tune it with LoRA (Training, New run, "
                    "Fine-tune a vault model) and its adapters appear here."))
        if adapters:
            self.view.selectRow(0)
        self._update()

    def selected(self) -> VersionInfo | None:
        rows = self.view.selectionModel().selectedRows()
        return self.adapters.row_at(rows[0].row()) if rows else None

    def set_busy(self, busy: bool) -> None:
        self.merge_button.setEnabled(not busy and self._can_merge and self.selected() is not None)

    def _update(self) -> None:
        self.set_busy(False)

    def _merge(self) -> None:
        v = self.selected()
        if v is not None and self.merge_button.isEnabled():
            self.sig_merge_requested.emit(v)
