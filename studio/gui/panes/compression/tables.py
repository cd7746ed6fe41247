"""The report table (one row per variant, ratios against the first; its columns in report_columns), the
samples side by side, and the list of earlier reports of a model."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableWidget, QTableWidgetItem, QWidget

from studio.core.compression.report import table_rows
from studio.core.compression.results import EvalResult
from studio.core.stores.compression import CompressionReport
from studio.gui.panes.compression import report_columns
from studio.gui.panes.compression.report_columns import fmt as _fmt
from studio.gui.recipe_words import shown_label
from studio.gui.widgets.column_choice import ColumnChoice

__all__ = ["HistoryTable", "ReportTable", "SamplesTable"]


def _item(text: str, sort_value: float | None = None, align_right: bool = True) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if sort_value is not None:
        item.setData(Qt.ItemDataRole.UserRole, sort_value)
    return item


class _Table(QTableWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.setAlternatingRowColors(True)


class ReportTable(_Table):
    """The comparison, one row per variant. Its columns (report_columns) are shown and hidden from the header's
    context menu or `column_menu()` (remembered in `settings`); each row's tooltip has every figure. The
    Variant column takes the room the shown figures leave, so they fit without scrolling sideways."""

    SETTINGS_KEY = "compression/report_columns"
    MIN_VARIANT_WIDTH = 120

    def __init__(self, parent: QWidget | None = None, settings: QSettings | None = None):
        super().__init__(parent)
        self.settings = settings
        self.rows: list[dict] = []
        self.columns = report_columns.columns()
        self.keys = [c.key for c in self.columns]
        self.setColumnCount(len(self.columns))
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)  # fitted by _fit_variant
        header.sectionResized.connect(self._section_resized)
        self._fitting = False
        self.choice = ColumnChoice(self, self.keys, lambda: [(c.key, c.name, c.tip) for c in self.columns],
                                   report_columns.default_keys(), settings, self.SETTINGS_KEY, always={"variant"},
                                   on_change=self._fit_variant)
        self._set_headers()
        self.choice.set_shown(self.choice.stored_keys(), remember=False)

    # --- columns ----------------------------------------------------------------------------------------------

    def column(self, key: str) -> int:
        return self.keys.index(key)

    def shown_keys(self) -> tuple[str, ...]:
        return self.choice.shown_keys()

    def set_shown(self, keys, remember: bool = True) -> None:
        """Show these columns (the Variant column always), hide the others."""
        self.choice.set_shown(keys, remember)

    def fill_column_menu(self, menu: QMenu) -> QMenu:
        return self.choice.fill_menu(menu)

    def column_menu(self) -> QMenu:
        return self.choice.menu()

    def _set_headers(self) -> None:
        self.columns = report_columns.columns(self.rows)
        for i, column in enumerate(self.columns):
            item = QTableWidgetItem(column.header)
            item.setToolTip(f"{column.name}\n{column.tip}")
            self.setHorizontalHeaderItem(i, item)

    # --- rows -------------------------------------------------------------------------------------------------

    def set_results(self, results: Sequence[EvalResult]) -> None:
        self.rows = table_rows(list(results))
        self._set_headers()  # the size column's unit follows the rows
        self.setRowCount(len(self.rows))
        for i, row in enumerate(self.rows):
            texts = [column.cell(row) for column in self.columns]
            details = "\n".join(f"{c.name}: {t}" for c, t in zip(self.columns, texts, strict=True))
            for j, (column, text) in enumerate(zip(self.columns, texts, strict=True)):
                cell = _item(text, align_right=not column.left)
                cell.setToolTip(details)
                self.setItem(i, j, cell)
        self.resizeColumnsToContents()
        self._fit_variant()

    # --- fitting ----------------------------------------------------------------------------------------------

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_variant()

    def _section_resized(self, index: int, _old: int, _new: int) -> None:
        if index != 0:
            self._fit_variant()

    def _fit_variant(self) -> None:
        """The Variant column as wide as its longest label, within the room the shown figures leave (a longer
        label is elided; its row's tooltip has it whole)."""
        if self._fitting:
            return
        self._fitting = True
        try:
            header = self.horizontalHeader()
            others = sum(header.sectionSize(i) for i in range(1, self.columnCount()) if not self.isColumnHidden(i))
            room = self.viewport().width() - others
            wanted = max(self.sizeHintForColumn(0), header.sectionSizeHint(0))
            self.setColumnWidth(0, max(self.MIN_VARIANT_WIDTH, min(wanted, room)))
        finally:
            self._fitting = False


class SamplesTable(_Table):
    """One column per variant, one row per prompt: the same prompts' continuations side by side."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

    def set_results(self, results: Sequence[EvalResult]) -> None:
        self.clear()
        self.setColumnCount(len(results))
        self.setHorizontalHeaderLabels([shown_label(r.label) for r in results])
        n = max((len(r.samples) for r in results), default=0)
        self.setRowCount(n)
        for j, r in enumerate(results):
            for i, text in enumerate(r.samples):
                self.setItem(i, j, _item(text, align_right=False))


class HistoryTable(_Table):
    """Earlier reports of the chosen model, newest first. Versions of the chosen model are written "v3" (its
    name is in the Model box), another model's with its name; the full names are in the cells' tooltips."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setWordWrap(False)
        headers = [(self.tr("When"), ""), (self.tr("What"), ""), (self.tr("From"), self.tr("The version compressed")),
                   (self.tr("To"), self.tr("The version stored")),
                   (self.tr("Size ×"), self.tr("File size against the original")),
                   (self.tr("ΔPPL %"), self.tr("Perplexity change against the original, percent")),
                   (self.tr("Dataset"), self.tr("The dataset and split measured on")), (self.tr("By"), "")]
        self.setColumnCount(len(headers))
        for i, (text, tip) in enumerate(headers):
            item = QTableWidgetItem(text)
            item.setToolTip(tip)
            self.setHorizontalHeaderItem(i, item)
        self.reports: list[CompressionReport] = []

    def set_reports(self, reports: Sequence[CompressionReport]) -> None:
        self.reports = list(reports)
        self.setRowCount(len(self.reports))
        for i, rep in enumerate(self.reports):
            results = [EvalResult.from_dict(d) for d in rep.results]
            size = ppl = "–"
            if len(results) >= 2:
                row = table_rows(results)[-1]
                size = _fmt(row["size_ratio"], ".3f")
                ppl = _fmt(row["ppl_change_pct"], "+.2f")
            elif results and results[0].perplexity is not None:
                ppl = self.tr("ppl {value}").format(value=f"{results[0].perplexity:.4g}")
            label = shown_label(rep.label)
            what = label if rep.kind == "compress" else self.tr("evaluation of {label}").format(label=label)
            source = (f"v{rep.source_version}", f"{rep.model_name} v{rep.source_version}")
            result = ("–", "")
            if rep.result_version is not None:
                full = f"{rep.result_model_name} v{rep.result_version}"
                result = (f"v{rep.result_version}" if rep.result_model_name == rep.model_name else full, full)
            dataset = f"{rep.dataset} ({rep.split})" if rep.dataset else "–"
            cells = [(rep.created_at.astimezone().strftime("%Y-%m-%d %H:%M"), ""), (what, what), source, result,
                     (size, ""), (ppl, ""), (dataset, ""), (rep.created_by_name, "")]
            for j, (text, tip) in enumerate(cells):
                item = _item(text, align_right=j in (4, 5))
                item.setToolTip(tip)
                self.setItem(i, j, item)

    def selected_report(self) -> CompressionReport | None:
        rows = self.selectionModel().selectedRows() if self.selectionModel() else []
        return self.reports[rows[0].row()] if rows else None
