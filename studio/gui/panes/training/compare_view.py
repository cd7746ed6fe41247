"""Settings of several runs side by side, the rows that differ highlighted (and optionally the only ones shown)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.gui.panes.training.details.key_values import fmt
from studio.gui.panes.training.runs_model import status_label

DIFF_COLOUR = QColor(240, 170, 40, 70)
# The rows about the run itself, in words (the settings' rows are the engine's names: model.n_layer, train.lr).
RUN_ROWS = {
    "dataset": QT_TRANSLATE_NOOP("CompareView", "dataset"), "source": QT_TRANSLATE_NOOP("CompareView", "source"),
    "parameters": QT_TRANSLATE_NOOP("CompareView", "parameters"), "group": QT_TRANSLATE_NOOP("CompareView", "group"),
    "tags": QT_TRANSLATE_NOOP("CompareView", "tags"), "status": QT_TRANSLATE_NOOP("CompareView", "status"),
    "steps done": QT_TRANSLATE_NOOP("CompareView", "steps done"),
    "best val loss": QT_TRANSLATE_NOOP("CompareView", "best val loss"),
}


def flat_settings(run: Any) -> dict[str, str]:
    out = {"dataset": run.dataset_name, "source": run.source_name or "", "parameters": f"{run.parameters:,}",
           "group": run.group, "tags": ", ".join(run.tags), "status": status_label(run.status),
           "steps done": f"{run.step:,}",
           "best val loss": "" if run.best_val_loss is None else f"{run.best_val_loss:.4f}"}
    for prefix, values in (("model", run.model_config), ("train", run.train_config), ("options", run.options)):
        for key, value in (values or {}).items():
            if not isinstance(value, dict):
                out[f"{prefix}.{key}"] = fmt(value)
    return out


class CompareView(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.only_diff = QCheckBox(self.tr("Only settings that differ"))
        self.only_diff.toggled.connect(lambda _: self._fill())
        self.hint = QLabel(self.tr("Select two or more runs in the table (Ctrl+click) to compare them."))
        self.hint.setWordWrap(True)
        self.table = QTableWidget()
        self.table.setObjectName("compareTable")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.hint)
        layout.addWidget(self.only_diff)
        layout.addWidget(self.table, 1)
        self._runs: list[Any] = []
        self.differing: list[str] = []

    def set_runs(self, runs: list[Any]) -> None:
        if [flat_settings(r) for r in runs] == [flat_settings(r) for r in self._runs] and \
                [r.name for r in runs] == [r.name for r in self._runs]:
            self._runs = list(runs)
            return  # nothing shown changed: keep the scroll position
        self._runs = list(runs)
        self.hint.setVisible(len(runs) < 2)
        self._fill()

    def _fill(self) -> None:
        settings = [flat_settings(r) for r in self._runs]
        keys = sorted({k for s in settings for k in s}, key=lambda k: (k.count("."), k))
        self.differing = [k for k in keys if len({s.get(k, "") for s in settings}) > 1]
        shown = self.differing if self.only_diff.isChecked() else keys
        self.table.clear()
        self.table.setColumnCount(len(self._runs))
        self.table.setRowCount(len(shown))
        self.table.setHorizontalHeaderLabels([r.name for r in self._runs])
        self.table.setVerticalHeaderLabels(
            [QCoreApplication.translate("CompareView", RUN_ROWS[k]) if k in RUN_ROWS else k for k in shown])
        bold = QFont(self.font())
        bold.setBold(True)
        for row, key in enumerate(shown):
            differs = key in self.differing
            for col, values in enumerate(settings):
                item = QTableWidgetItem(values.get(key, ""))
                if differs:
                    item.setBackground(DIFF_COLOUR)
                    item.setFont(bold)
                self.table.setItem(row, col, item)
            if differs:
                self.table.verticalHeaderItem(row).setFont(bold)
        for col in range(len(self._runs)):
            self.table.setColumnWidth(col, 150)
