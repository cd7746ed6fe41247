"""The runs table's Qt model: a thin adapter over the run service's RunInfo list, updated in place (rows
inserted, changed, removed by id) so that the selection survives every refresh; and the filter over it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor

from studio.gui.panes.training.backend import FINAL, LIVE
from studio.gui.panes.training.plots.charts import fmt_count
from studio.gui.units import fmt_duration

COLUMNS = (
    ("name", QT_TRANSLATE_NOOP("Runs", "Name")),
    ("status", QT_TRANSLATE_NOOP("Runs", "Status")),
    ("dataset", QT_TRANSLATE_NOOP("Runs", "Dataset")),
    ("size", QT_TRANSLATE_NOOP("Runs", "Model size")),
    ("progress", QT_TRANSLATE_NOOP("Runs", "Step / total")),
    ("best", QT_TRANSLATE_NOOP("Runs", "Best val loss")),
    ("speed", QT_TRANSLATE_NOOP("Runs", "Tokens/s")),
    ("eta", QT_TRANSLATE_NOOP("Runs", "ETA")),
    ("started", QT_TRANSLATE_NOOP("Runs", "Started")),
    ("duration", QT_TRANSLATE_NOOP("Runs", "Duration")),
    ("owner", QT_TRANSLATE_NOOP("Runs", "Owner")),
    ("group", QT_TRANSLATE_NOOP("Runs", "Group")),
    ("tags", QT_TRANSLATE_NOOP("Runs", "Tags")),
)
COLUMN = {key: i for i, (key, _) in enumerate(COLUMNS)}

STATUS_LABELS = {
    "queued": QT_TRANSLATE_NOOP("Runs", "queued"), "running": QT_TRANSLATE_NOOP("Runs", "running"),
    "paused": QT_TRANSLATE_NOOP("Runs", "paused"), "completed": QT_TRANSLATE_NOOP("Runs", "completed"),
    "stopped": QT_TRANSLATE_NOOP("Runs", "stopped"), "diverged": QT_TRANSLATE_NOOP("Runs", "diverged"),
    "failed": QT_TRANSLATE_NOOP("Runs", "failed"), "interrupted": QT_TRANSLATE_NOOP("Runs", "interrupted"),
}
# Readable on light and dark backgrounds.
STATUS_COLOURS = {
    "queued": "#8c8c8c", "running": "#2e9d4f", "paused": "#d19a1a", "completed": "#3d7fd6",
    "stopped": "#7a7f8a", "diverged": "#c2410c", "failed": "#d64545", "interrupted": "#b5651d",
}

_ROOT = QModelIndex()
RunRole = Qt.ItemDataRole.UserRole + 1  # the RunInfo of a row
SortRole = Qt.ItemDataRole.UserRole + 2
ProgressRole = Qt.ItemDataRole.UserRole + 3  # 0..1 for the progress delegate


def tr(text: str) -> str:
    return QCoreApplication.translate("Runs", text)


def status_label(status: str) -> str:
    return tr(STATUS_LABELS.get(status, status))


def _local(ts: datetime | None) -> str:
    if ts is None:
        return ""
    return ts.replace(tzinfo=UTC).astimezone().strftime("%Y-%m-%d %H:%M")


def duration_s(run: Any) -> float | None:
    """Wall time from start to end (or to now while it lives)."""
    if run.started_at is None:
        return None
    end = run.ended_at or datetime.now(UTC).replace(tzinfo=None)
    return max(0.0, (end - run.started_at).total_seconds())


def model_shape(config: Any) -> str:
    """"8L/512d" from a run's model config, read by its family (the native GPT's n_layer/n_embd, a Hugging
    Face config's num_hidden_layers/hidden_size or whatever that type calls them); "?" where it cannot tell."""
    from studio.core.errors import StudioError
    from studio.core.models.family import describe

    try:
        spec = describe(config or None)
    except (StudioError, TypeError, ValueError, KeyError):
        return "?L/?d"
    return f"{spec.layers or '?'}L/{spec.hidden_size or '?'}d"


def model_size(run: Any) -> str:
    shape = model_shape(run.model_config)
    return f"{fmt_count(run.parameters)} · {shape}" if run.parameters else shape


class RunsTableModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._runs: list[Any] = []

    # -- updates ----------------------------------------------------------------------------------------
    def set_runs(self, runs: list[Any]) -> None:
        """Bring the rows in line with `runs` (newest first), keeping rows that stay."""
        wanted = {r.id: r for r in runs}
        row = len(self._runs) - 1
        while row >= 0:  # removed runs
            if self._runs[row].id not in wanted:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._runs[row]
                self.endRemoveRows()
            row -= 1
        held = {r.id: i for i, r in enumerate(self._runs)}
        for run in runs:  # changed runs
            i = held.get(run.id)
            if i is not None and self._runs[i] != run:
                self._runs[i] = run
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))
        new = [r for r in runs if r.id not in held]
        if new:
            self.beginInsertRows(QModelIndex(), 0, len(new) - 1)
            self._runs[0:0] = new
            self.endInsertRows()

    def run_at(self, row: int) -> Any:
        return self._runs[row]

    def row_of(self, run_id: int) -> int:
        return next((i for i, r in enumerate(self._runs) if r.id == run_id), -1)

    @property
    def runs(self) -> list[Any]:
        return list(self._runs)

    # -- Qt ---------------------------------------------------------------------------------------------
    def rowCount(self, parent=_ROOT) -> int:  # noqa: N802 - Qt override
        return 0 if parent.isValid() else len(self._runs)

    def columnCount(self, parent=_ROOT) -> int:  # noqa: N802 - Qt override
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802 - Qt override
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return tr(COLUMNS[section][1])
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        run = self._runs[index.row()]
        key = COLUMNS[index.column()][0]
        if role == RunRole:
            return run
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(run, key)
        if role == SortRole:
            return self._sort_value(run, key)
        if role == ProgressRole and key == "progress":
            return run.progress
        if role == Qt.ItemDataRole.ForegroundRole and key == "status":
            return QColor(STATUS_COLOURS.get(run.status, "#808080"))
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "status":
                return run.error or run.message or None
            if key == "name":
                return run.name
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("best", "speed", "eta", "duration", "size"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, run: Any, key: str) -> str:
        if key == "name":
            return run.name
        if key == "status":
            return status_label(run.status)
        if key == "dataset":
            if run.source_name:  # fine-tuned: the dataset and the model it started from
                return f"{run.dataset_name} ← {run.source_name}"
            return run.dataset_name
        if key == "size":
            return model_size(run)
        if key == "progress":
            return f"{run.step:,} / {run.max_steps:,}"
        if key == "best":
            return "" if run.best_val_loss is None else f"{run.best_val_loss:.4f}"
        if key == "speed":
            return "" if not run.tokens_per_s or run.status not in LIVE else f"{run.tokens_per_s:,.0f}"
        if key == "eta":
            eta = run.eta_s
            return "" if eta is None else fmt_duration(eta)
        if key == "started":
            return _local(run.started_at)
        if key == "duration":
            d = duration_s(run)
            return "" if d is None else fmt_duration(d)
        if key == "owner":
            return run.owner_name
        if key == "group":
            return run.group
        if key == "tags":
            return ", ".join(run.tags)
        return ""

    def _sort_value(self, run: Any, key: str):
        if key == "size":
            return run.parameters
        if key == "progress":
            return run.progress
        if key == "best":
            return run.best_val_loss if run.best_val_loss is not None else float("inf")
        if key == "speed":
            return run.tokens_per_s or 0.0
        if key == "eta":
            return run.eta_s if run.eta_s is not None else float("inf")
        if key == "started":
            return run.started_at.isoformat() if run.started_at else ""
        if key == "duration":
            return duration_s(run) or 0.0
        if key == "name":
            return run.id  # newest first by default
        return self._text(run, key).lower()


STATUS_FILTERS = {
    "all": QT_TRANSLATE_NOOP("Runs", "All runs"),
    "live": QT_TRANSLATE_NOOP("Runs", "Live (queued, running, paused)"),
    "finished": QT_TRANSLATE_NOOP("Runs", "Finished"),
    "problems": QT_TRANSLATE_NOOP("Runs", "Failed, diverged, interrupted"),
}


class RunsFilter(QSortFilterProxyModel):
    """Search text (name, dataset, tags, owner, group), a status family, a group, a tag."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.text = ""
        self.status = "all"
        self.group: str | None = None  # None: every group
        self.tag: str | None = None
        self.setSortRole(SortRole)

    def set_filter(self, *, text: str | None = None, status: str | None = None, group: str | None = "",
                   tag: str | None = "") -> None:
        if text is not None:
            self.text = text.strip().lower()
        if status is not None:
            self.status = status
        if group != "":
            self.group = group
        if tag != "":
            self.tag = tag
        self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent) -> bool:  # noqa: N802 - Qt override
        run = self.sourceModel().run_at(row)
        if self.status == "live" and run.status not in LIVE:
            return False
        if self.status == "finished" and run.status not in FINAL:
            return False
        if self.status == "problems" and run.status not in ("failed", "diverged", "interrupted"):
            return False
        if self.group is not None and run.group != self.group:
            return False
        if self.tag is not None and self.tag not in run.tags:
            return False
        if self.text:
            hay = " ".join([run.name, run.dataset_name, run.owner_name, run.group, *run.tags]).lower()
            return all(word in hay for word in self.text.split())
        return True
