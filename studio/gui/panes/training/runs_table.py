"""The runs table with its filters: search, status, group (folders for many runs) and tag."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from studio.gui.panes.training.progress_delegate import ProgressDelegate
from studio.gui.panes.training.runs_model import (
    COLUMN,
    COLUMNS,
    STATUS_FILTERS,
    RunRole,
    RunsFilter,
    RunsTableModel,
    tr,
)
from studio.gui.widgets.column_choice import ColumnChoice

# Shown before the user chooses: what fits a 1280x800 window without scrolling sideways, in English and Chinese;
# the others (duration, owner, group, tags) are a right-click on the header away.
DEFAULT_COLUMNS = ("name", "status", "dataset", "size", "progress", "best", "speed", "eta", "started")
_WIDTHS = {"name": 160, "status": 90, "dataset": 110, "size": 110, "progress": 130, "best": 120, "speed": 95,
           "eta": 90, "started": 125, "duration": 100, "owner": 80, "group": 90}


class RunsTable(QWidget):
    sig_selection_changed = Signal(list)  # the selected RunInfos, in table order
    sig_run_activated = Signal(object)  # double-click

    SETTINGS_KEY = "training/runs_columns"

    def __init__(self, parent: QWidget | None = None, settings: QSettings | None = None):
        super().__init__(parent)
        self._last: list[Any] = []
        self.model = RunsTableModel(self)
        self.proxy = RunsFilter(self)
        self.proxy.setSourceModel(self.model)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search runs, datasets, tags, owners"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda text: self.proxy.set_filter(text=text))
        self.status = QComboBox()
        for key, label in STATUS_FILTERS.items():
            self.status.addItem(tr(label), key)
        self.status.currentIndexChanged.connect(lambda _: self.proxy.set_filter(status=self.status.currentData()))
        self.group = QComboBox()
        self.group.setToolTip(self.tr("Show one group (folder) of runs"))
        self.group.currentIndexChanged.connect(lambda _: self.proxy.set_filter(group=self.group.currentData()))
        self.tag = QComboBox()
        self.tag.setToolTip(self.tr("Show runs with this tag"))
        self.tag.currentIndexChanged.connect(lambda _: self.proxy.set_filter(tag=self.tag.currentData()))
        self._fill_choices([])

        self.view = QTableView()
        self.view.setObjectName("runsTable")
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(COLUMN["name"], Qt.SortOrder.DescendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.view.setItemDelegateForColumn(COLUMN["progress"], ProgressDelegate(self.view))
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for key, width in _WIDTHS.items():
            header.resizeSection(COLUMN[key], width)
        header.setStretchLastSection(True)
        self.columns = ColumnChoice(self.view, [key for key, _ in COLUMNS],
                                    lambda: [(key, tr(label), "") for key, label in COLUMNS], DEFAULT_COLUMNS,
                                    settings, self.SETTINGS_KEY, always={"name"})
        self.columns.set_shown(self.columns.stored_keys(), remember=False)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._emit_selection())
        self.view.doubleClicked.connect(lambda index: self.sig_run_activated.emit(index.data(RunRole)))

        filters = QHBoxLayout()
        filters.setContentsMargins(0, 0, 0, 0)
        filters.addWidget(self.search, 3)
        filters.addWidget(self.status, 2)
        filters.addWidget(self.group, 1)
        filters.addWidget(self.tag, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(filters)
        layout.addWidget(self.view, 1)

    def height_for_rows(self, rows: int) -> int:
        """The height that shows the filters, the header and `rows` whole rows above the sideways scroll bar."""
        view = self.view
        return (self.search.sizeHint().height() + self.layout().spacing() + view.horizontalHeader().sizeHint().height()
                + rows * view.verticalHeader().defaultSectionSize() + view.horizontalScrollBar().sizeHint().height()
                + 2 * view.frameWidth() + 2)  # 2: a pixel of slack against rounding

    def set_runs(self, runs: list[Any]) -> None:
        self.model.set_runs(runs)
        self._fill_choices(runs)
        if self.selected() != self._last:  # a selected run changed (status, step) or left the table
            self._emit_selection()

    def _fill_choices(self, runs: list[Any]) -> None:
        for combo, values, everything in (
            (self.group, sorted({r.group for r in runs if r.group}), self.tr("All groups")),
            (self.tag, sorted({t for r in runs for t in r.tags}), self.tr("All tags")),
        ):
            current = combo.currentData()
            wanted = [None, *values]
            if [combo.itemData(i) for i in range(combo.count())] == wanted:
                continue
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(everything, None)
            for value in values:
                combo.addItem(value, value)
            index = combo.findData(current) if current is not None else 0
            combo.setCurrentIndex(max(0, index))
            combo.blockSignals(False)
            if index < 0:  # the chosen group or tag is gone: show all
                combo.currentIndexChanged.emit(0)

    def selected(self) -> list[Any]:
        rows = sorted(index.row() for index in self.view.selectionModel().selectedRows())
        return [self.proxy.index(row, 0).data(RunRole) for row in rows]

    def select(self, run_ids: list[int]) -> None:
        selection = self.view.selectionModel()
        selection.clearSelection()
        for run_id in run_ids:
            row = self.model.row_of(run_id)
            if row < 0:
                continue
            index = self.proxy.mapFromSource(self.model.index(row, 0))
            if index.isValid():
                selection.select(index, selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
                self.view.scrollTo(index)

    def _emit_selection(self) -> None:
        self._last = self.selected()
        self.sig_selection_changed.emit(self._last)
