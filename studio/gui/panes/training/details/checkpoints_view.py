"""A run's checkpoints (step, validation loss, size) with what can be done with one: generate from it,
resume the run from it, fine-tune a new run from it, load it into the vault as a model, export it, delete it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.gui.panes.training.new_run.dialog import fmt_bytes

ACTIONS = ("generate", "resume", "fine_tune", "export", "delete")


class CheckpointsView(QWidget):
    sig_action = Signal(str, object)  # action, CheckpointInfo

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setObjectName("checkpoints")
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setHeaderLabels([self.tr("Checkpoint"), self.tr("Step"), self.tr("Val loss"), self.tr("Train loss"),
                                   self.tr("Size"), self.tr("Written (UTC)")])
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.buttons: dict[str, QPushButton] = {}
        labels = {"generate": self.tr("Generate from it"), "resume": self.tr("Resume from it"),
                  "fine_tune": self.tr("Fine-tune from it…"), "export": self.tr("Export weights…"),
                  "delete": self.tr("Delete…")}
        row = QHBoxLayout()
        for action in ACTIONS:
            button = QPushButton(labels[action])
            button.setObjectName(f"checkpoint_{action}")
            button.clicked.connect(lambda _=False, a=action: self._emit(a))
            row.addWidget(button)
            self.buttons[action] = button
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree, 1)
        layout.addLayout(row)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self.note = QLabel(self.tr("Checkpoints are versions of the run's model in the vault (named after the run): "
                                   "they can also be exported, compressed and shared from the Vault pane."))
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self._checkpoints: list[Any] = []
        self._allowed: set[str] = set(ACTIONS)
        self._update_buttons()

    def set_checkpoints(self, checkpoints: list[Any]) -> None:
        usable = [c for c in checkpoints if c.usable]
        if [(c.id, c.step, c.state) for c in usable] == [(c.id, c.step, c.state) for c in self._checkpoints]:
            return
        selected = self.selected()
        self._checkpoints = usable
        self.tree.clear()
        for c in sorted(usable, key=lambda c: c.step or 0):
            label = self.tr("best") if c.is_best else self.tr("latest ({slot})").format(slot=c.slot)
            item = QTreeWidgetItem([label, f"{c.step:,}", "" if c.val_loss is None else f"{c.val_loss:.4f}",
                                    "" if c.train_loss is None else f"{c.train_loss:.4f}", fmt_bytes(c.size_bytes),
                                    c.written_at.strftime("%Y-%m-%d %H:%M:%S") if c.written_at else ""])
            item.setData(0, Qt.ItemDataRole.UserRole, c)
            self.tree.addTopLevelItem(item)
            if selected is not None and c.id == selected.id:
                item.setSelected(True)
        self._update_buttons()

    def selected(self) -> Any | None:
        items = self.tree.selectedItems()
        return items[0].data(0, Qt.ItemDataRole.UserRole) if items else None

    def select_step(self, step: int) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, Qt.ItemDataRole.UserRole).step == step:
                self.tree.setCurrentItem(item)
                return

    def allow(self, actions: set[str]) -> None:
        """Which actions the user and the run's state allow (the service refuses anyway)."""
        self._allowed = actions
        self._update_buttons()

    def hide_action(self, action: str) -> None:
        self.buttons[action].hide()
        self._allowed.discard(action)

    def _update_buttons(self) -> None:
        chosen = self.selected() is not None
        for action, button in self.buttons.items():
            button.setEnabled(chosen and action in self._allowed)

    def _emit(self, action: str) -> None:
        checkpoint = self.selected()
        if checkpoint is not None:
            self.sig_action.emit(action, checkpoint)
