"""The Compression pane: pick a model version and a dataset, build a recipe, run it off the GUI thread with
progress and cancel, and watch the comparison fill in: the report table, size against perplexity, speed,
samples side by side. Each run stores a new version in the vault; earlier reports of the model are listed
and can be opened again. The comparison exports as CSV or as a self-contained HTML report."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.compression.results import EvalResult
from studio.core.errors import StudioError
from studio.core.fsutil import atomic_write_bytes
from studio.gui.concurrent import Task
from studio.gui.context import AppContext
from studio.gui.i18n import error_text
from studio.gui.panes.base import Pane
from studio.gui.panes.compression.charts import SizePerplexityChart, SpeedChart
from studio.gui.panes.compression.recipe_form import RecipeForm
from studio.gui.panes.compression.tables import HistoryTable, ReportTable, SamplesTable
from studio.gui.recipe_words import shown_label
from studio.gui.widgets.layout import keep_place
from studio.gui.widgets.task_progress import TaskProgress

log = logging.getLogger(__name__)


class CompressionPane(Pane):
    sig_result_measured = Signal(object)  # EvalResult, from the worker thread as soon as it is measured
    sig_compression_finished = Signal(object)  # CompressionOutcome

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.task: Task | None = None
        self.results: list[EvalResult] = []
        self.comparison_key: tuple | None = None
        layout = QVBoxLayout(self)
        layout.addLayout(self._source_bar())
        self.message = QLabel()
        keep_place(self.message)  # a notice coming and going does not move the pane
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._recipe_side())
        splitter.addWidget(self._report_side())
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setCollapsible(0, False)
        layout.addWidget(splitter, 1)
        self.sig_result_measured.connect(self._add_result)
        ctx.sig_session_changed.connect(lambda _session: self.refresh())
        self.refresh()

    # --- layout ---------------------------------------------------------------------------------------------

    def _source_bar(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Model")))
        self.model_combo = QComboBox()
        self.model_combo.setMinimumWidth(160)
        self.model_combo.currentIndexChanged.connect(self._model_changed)
        row.addWidget(self.model_combo)
        row.addWidget(QLabel(self.tr("Version")))
        self.version_combo = QComboBox()
        self.version_combo.setMinimumWidth(180)
        row.addWidget(self.version_combo)
        row.addSpacing(12)
        row.addWidget(QLabel(self.tr("Dataset")))
        self.dataset_combo = QComboBox()
        self.dataset_combo.setMinimumWidth(140)
        self._dataset_chosen = False  # the user picked one (or none): refresh keeps it, even "no dataset"
        self.dataset_combo.activated.connect(lambda _i: setattr(self, "_dataset_chosen", True))
        row.addWidget(self.dataset_combo)
        self.split_combo = QComboBox()
        self.split_combo.addItem(self.tr("validation"), "val")
        self.split_combo.addItem(self.tr("test"), "test")
        row.addWidget(self.split_combo)
        self.refresh_button = QPushButton(self.tr("Refresh"))
        self.refresh_button.clicked.connect(self.refresh)
        row.addWidget(self.refresh_button)
        row.addStretch(1)
        return row

    def _recipe_side(self) -> QWidget:
        side = QWidget()
        v = QVBoxLayout(side)
        v.setContentsMargins(0, 0, 0, 0)
        self.form = RecipeForm()
        self.form.sig_recipe_changed.connect(self._update_buttons)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.form)
        scroll.setMinimumWidth(self.form.sizeHint().width() + scroll.verticalScrollBar().sizeHint().width() + 4)
        v.addWidget(scroll, 1)
        out = QFormLayout()
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(self.tr("a new version of this model"))
        out.addRow(self.tr("Store as"), self.name_edit)
        self.prompts_edit = QLineEdit()
        # the placeholder short enough for the field at 1280 px; the default is told in the tooltip
        self.prompts_edit.setPlaceholderText(self.tr("prompts separated by |"))
        self.prompts_edit.setToolTip(self.tr("The prompts of the samples, separated by |; left empty, they are "
                                             "cut from the chosen split"))
        out.addRow(self.tr("Prompts"), self.prompts_edit)
        v.addLayout(out)
        buttons = QHBoxLayout()
        self.run_button = QPushButton(self.tr("Compress"))
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run_recipe)
        self.eval_button = QPushButton(self.tr("Measure this version"))
        self.eval_button.clicked.connect(self.evaluate_version)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.eval_button)
        v.addLayout(buttons)
        self.progress = TaskProgress()
        v.addWidget(self.progress)
        return side

    def _report_side(self) -> QWidget:
        self.tabs = QTabWidget()
        report = QWidget()
        v = QVBoxLayout(report)
        self.report_title = QLabel()
        v.addWidget(self.report_title)
        self.table = ReportTable(settings=self.ctx.settings)
        v.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.csv_button = QPushButton(self.tr("Export CSV…"))
        self.csv_button.clicked.connect(lambda: self.export_report("csv"))
        self.html_button = QPushButton(self.tr("Export HTML report…"))
        self.html_button.clicked.connect(lambda: self.export_report("html"))
        self.clear_button = QPushButton(self.tr("Clear"))
        self.clear_button.clicked.connect(lambda: self.show_results([], None))
        row.addWidget(self.csv_button)
        row.addWidget(self.html_button)
        row.addWidget(self.clear_button)
        row.addStretch(1)
        self.columns_button = QToolButton()
        self.columns_button.setText(self.tr("Columns"))
        self.columns_button.setToolTip(self.tr("Which figures the table shows (also on a right-click on its "
                                               "header); every figure of a row is in its tooltip"))
        self.columns_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        columns_menu = QMenu(self.columns_button)
        columns_menu.aboutToShow.connect(lambda: self.table.fill_column_menu(columns_menu))
        self.table.fill_column_menu(columns_menu)
        self.columns_button.setMenu(columns_menu)
        row.addWidget(self.columns_button)
        v.addLayout(row)
        self.tabs.addTab(report, self.tr("Report"))
        self.scatter = SizePerplexityChart()
        self.tabs.addTab(self.scatter, self.tr("Size and perplexity"))
        self.speed = SpeedChart()
        self.tabs.addTab(self.speed, self.tr("Speed"))
        self.samples = SamplesTable()
        self.tabs.addTab(self.samples, self.tr("Samples"))
        self.history = HistoryTable()
        self.history.doubleClicked.connect(lambda _i: self.open_history())
        self.tabs.addTab(self.history, self.tr("Earlier results"))
        self._update_buttons()
        return self.tabs

    # --- lists ----------------------------------------------------------------------------------------------

    @property
    def service(self) -> Any:
        return self.ctx.studio.compression

    def pane_shown(self) -> None:
        if self.task is None or not self.task.running:
            self.refresh()

    def refresh(self) -> None:
        """Reload the models, their versions, the datasets and the model's earlier reports."""
        try:
            actor = self.ctx.actor
            models = self.service.list_models(actor)
        except StudioError as exc:
            self._set_models([])
            self.say(error_text(exc))
            return
        self._set_models(models)
        try:
            datasets = self.service.list_datasets(actor)
        except StudioError as exc:
            datasets = []
            log.info("no datasets for compression: %s", exc)
        current = self.dataset_combo.currentData()
        self.dataset_combo.blockSignals(True)
        self.dataset_combo.clear()
        self.dataset_combo.addItem(self.tr("no dataset (size and speed only)"), None)
        for _id, name in datasets:
            self.dataset_combo.addItem(name, name)
            if name == current:
                self.dataset_combo.setCurrentIndex(self.dataset_combo.count() - 1)
        if current is None and not self._dataset_chosen and datasets:
            # a first look measures perplexity too: a dataset, until the user picks "no dataset" themselves
            self.dataset_combo.setCurrentIndex(1)
        self.dataset_combo.blockSignals(False)
        if not models:
            self.say(self.tr("No models yet. Train one or import one into the vault, then compress it here."))
        else:
            self.say("")
        self._update_buttons()

    def _set_models(self, models: list) -> None:
        current = self.model_combo.currentData()
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for m in models:
            self.model_combo.addItem(m.name, m.id)
            if m.id == current:
                self.model_combo.setCurrentIndex(self.model_combo.count() - 1)
        self.model_combo.blockSignals(False)
        self._model_changed()

    def _model_changed(self) -> None:
        model = self.model_combo.currentData()
        keep = self.version_combo.currentData()
        self.version_combo.clear()
        self.history.set_reports([])
        if model is None:
            self._update_buttons()
            return
        try:
            actor = self.ctx.actor
            versions = self.service.versions(actor, model)
            self.history.set_reports(self.service.reports(actor, model))
        except StudioError as exc:
            self.say(error_text(exc))
            return
        # newest first; without an earlier choice, the newest uncompressed version (a compressed one cannot be
        # compressed again)
        start = next((v.number for v in reversed(versions) if not v.compressed), None)
        for v in reversed(versions):
            self.version_combo.addItem(self.tr("v{number}: {label}").format(number=v.number, label=v.label), v.number)
            if v.number == (keep if keep is not None else start):
                self.version_combo.setCurrentIndex(self.version_combo.count() - 1)
        self._update_buttons()

    def say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _update_buttons(self) -> None:
        busy = self.task is not None and self.task.running
        has_model = self.model_combo.currentData() is not None
        self.run_button.setEnabled(not busy and has_model and not self.form.error())
        self.eval_button.setEnabled(not busy and has_model)
        self.refresh_button.setEnabled(not busy)
        for b in (self.csv_button, self.html_button, self.clear_button):
            b.setEnabled(bool(self.results))

    # --- running --------------------------------------------------------------------------------------------

    def _prompts(self) -> list[str]:
        return [p.strip() for p in self.prompts_edit.text().split("|") if p.strip()]

    def _key(self) -> tuple:
        return (self.model_combo.currentData(), self.version_combo.currentData(), self.dataset_combo.currentData(),
                self.split_combo.currentData())

    def run_recipe(self) -> None:
        error = self.form.error()
        if error or self.model_combo.currentData() is None:
            self.say(error)
            return
        recipe = self.form.recipe()
        if self._key() != self.comparison_key:
            self.show_results([], self._key())
        self._start(Task(self.service.compress, self.ctx.actor, self.model_combo.currentData(), recipe,
                         version=self.version_combo.currentData(), dataset=self.dataset_combo.currentData(),
                         split=self.split_combo.currentData(), name=self.name_edit.text().strip() or None,
                         prompts=self._prompts(), on_result=self.sig_result_measured.emit, parent=self),
                    self._compressed)

    def evaluate_version(self) -> None:
        if self.model_combo.currentData() is None:
            return
        if self._key()[2:] != (self.comparison_key or (None, None, None, None))[2:]:
            self.show_results([], self._key())
        self._start(Task(self.service.evaluate, self.ctx.actor, self.model_combo.currentData(),
                         version=self.version_combo.currentData(), dataset=self.dataset_combo.currentData(),
                         split=self.split_combo.currentData(), prompts=self._prompts(), parent=self),
                    self._evaluated)

    def _start(self, task: Task, on_finished) -> None:
        self.say("")
        self.task = task
        task.sig_task_finished.connect(on_finished)
        task.sig_task_failed.connect(lambda error: self.say(error_text(error) if isinstance(error, StudioError) else
                                                            self.tr("The work failed: {error}").format(error=error)))
        task.sig_task_cancelled.connect(lambda: self.say(self.tr("Cancelled; nothing was stored.")))
        task.sig_task_done.connect(self._done)
        self.progress.bind(task)
        task.start()
        self._update_buttons()

    def _done(self) -> None:
        self._update_buttons()

    def _compressed(self, outcome: Any) -> None:
        v = outcome.version
        self.ctx.sig_status_message.emit(self.tr("Stored {model} v{version}").format(model=v.model_name, version=v.version))
        self.say(self.tr("Stored as {model} v{version}.").format(model=v.model_name, version=v.version))
        self.sig_compression_finished.emit(outcome)
        self._model_changed()

    def _evaluated(self, report: Any) -> None:
        result = EvalResult.from_dict(report.results[0])
        label = f"{result.label} (v{report.source_version})"
        self._add_result(EvalResult.from_dict({**result.to_dict(), "label": label}))
        self._model_changed()

    def _add_result(self, result: EvalResult) -> None:
        """A measurement arrived: the original replaces the first row, a variant is added (or replaces its
        earlier measurement of the same label)."""
        results = list(self.results)
        if result.label == "original":
            results = [result] + [r for r in results if r.label != "original"]
        else:
            results = [r for r in results if r.label != result.label] + [result]
        self.show_results(results, self.comparison_key)

    def show_results(self, results: list[EvalResult], key: tuple | None) -> None:
        self.results = results
        self.comparison_key = key
        self.table.set_results(results)
        self.scatter.set_results(results)
        self.speed.set_results(results)
        self.samples.set_results(results)
        self._update_buttons()

    def open_history(self) -> None:
        report = self.history.selected_report()
        if report is None:
            return
        results = [EvalResult.from_dict(d) for d in report.results]
        self.show_results(results, None)
        self.report_title.setText(self.tr("{what} of {model} v{version}, {date}").format(
            what=shown_label(report.label), model=report.model_name, version=report.source_version,
            date=report.created_at.astimezone().strftime("%Y-%m-%d %H:%M")))
        self.tabs.setCurrentIndex(0)

    # --- export ---------------------------------------------------------------------------------------------

    def export_report(self, kind: str, path: str | None = None) -> Path | None:
        from studio.core.compression import report

        if not self.results:
            return None
        if path is None:
            filters = self.tr("CSV files (*.csv)") if kind == "csv" else self.tr("HTML files (*.html)")
            path, _ = QFileDialog.getSaveFileName(self, self.tr("Export the report"), f"compression-report.{kind}", filters)
            if not path:
                return None
        title = f"{self.model_combo.currentText()}: compression report"
        context = {"model": self.model_combo.currentText(), "dataset": self.dataset_combo.currentText()}
        text = report.to_csv(self.results) if kind == "csv" else report.to_html(self.results, title=title, context=context)
        target = Path(path)
        try:
            atomic_write_bytes(target, text.encode("utf-8"))
        except OSError as exc:
            self.say(self.tr("Could not write {path}: {error}").format(path=target, error=exc))
            return None
        self.ctx.sig_status_message.emit(self.tr("Wrote {path}").format(path=target))
        return target
