"""The Audit log pane (administrators): the whole log, newest first and live, with filters, a text search
in the details, the selected entry as JSON, export of what the filters show, the chain verification, and,
after a detected break, acknowledging it (a new chain starts; the entries before are kept as found)."""

from __future__ import annotations

from PySide6.QtCore import QDateTime, Qt, QTimer, QTimeZone
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from studio.core import operations as ops
from studio.core.errors import StudioError
from studio.core.stores.audit import OUTCOMES, AuditFilter
from studio.gui.concurrent import Task
from studio.gui.context import AppContext
from studio.gui.i18n import error_text
from studio.gui.panes.audit.model import AuditTableModel, entry_json, outcome_text
from studio.gui.panes.base import Pane
from studio.gui.widgets.task_progress import TaskProgress

POLL_MS = 1000
_WIDTHS = (60, 150, 100, 140, 210, 80)


def _ts(value: QDateTime, fraction: str) -> str:
    """A chosen minute as the log's timestamp text (UTC; the start or the end of that minute)."""
    return value.toUTC().toString("yyyy-MM-ddTHH:mm") + fraction


def _matching(store, flt, *, state):
    top = store.max_seq()
    return flt, store.matching_seqs(flt, cancelled=lambda: state.cancelled), top


def _verify(audit, actor, *, state):
    return audit.verify(actor, state)


def _reseal(audit, actor, *, state):
    return audit.reseal(actor, acknowledge=True, state=state)


def _export(audit, actor, path, flt, *, state):
    return audit.export(actor, path, flt, state=state)


class AuditPane(Pane):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self._task: Task | None = None
        self._search_task: Task | None = None
        heading = QLabel(self.tr("Audit log"))
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        heading.setFont(font)
        self.notice = QLabel()
        self.notice.setWordWrap(True)

        # Filters.
        self.user = QComboBox()
        self.user.setEditable(True)
        self.action = QComboBox()
        self.action.setEditable(True)
        self.action.addItem("")
        for prefix in sorted({name.split(".")[0] + "." for name in ops.OPERATIONS}):
            self.action.addItem(prefix)
        for name in sorted(ops.OPERATIONS):
            self.action.addItem(name)
        self.object = QLineEdit()
        self.object.setPlaceholderText(self.tr("model:12"))
        self.outcome = QComboBox()
        self.outcome.addItem(self.tr("any"), "")
        for outcome in OUTCOMES:
            self.outcome.addItem(outcome_text(outcome), outcome)
        self.since_on, self.until_on = QCheckBox(self.tr("From")), QCheckBox(self.tr("To"))
        self.since, self.until = QDateTimeEdit(), QDateTimeEdit()
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            edit.setTimeZone(QTimeZone.utc())
        now = QDateTime.currentDateTimeUtc()
        self.since.setDateTime(now.addDays(-7))
        self.until.setDateTime(now)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("text in the details"))
        self.search.setClearButtonEnabled(True)
        self.apply_button = QPushButton(self.tr("Apply"))
        self.clear_button = QPushButton(self.tr("Clear"))
        filters = QGridLayout()
        filters.addWidget(QLabel(self.tr("User")), 0, 0)
        filters.addWidget(self.user, 0, 1)
        filters.addWidget(QLabel(self.tr("Action")), 0, 2)
        filters.addWidget(self.action, 0, 3)
        filters.addWidget(QLabel(self.tr("Object")), 0, 4)
        filters.addWidget(self.object, 0, 5)
        filters.addWidget(QLabel(self.tr("Outcome")), 0, 6)
        filters.addWidget(self.outcome, 0, 7)
        filters.addWidget(self.since_on, 1, 0)
        filters.addWidget(self.since, 1, 1)
        filters.addWidget(self.until_on, 1, 2)
        filters.addWidget(self.until, 1, 3)
        filters.addWidget(QLabel(self.tr("Search")), 1, 4)
        filters.addWidget(self.search, 1, 5)
        filters.addWidget(self.apply_button, 1, 6)
        filters.addWidget(self.clear_button, 1, 7)
        filters.setColumnStretch(5, 1)

        # The table and the detail panel.
        self.model = AuditTableModel(ctx.studio.audit_store, self)
        self.table = QTableView()
        self.table.setObjectName("auditTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        # Fixed row heights and column widths: the view never measures a million rows.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate(_WIDTHS):
            header.resizeSection(column, width)
        header.setStretchLastSection(True)
        self.detail = QPlainTextEdit()
        self.detail.setObjectName("auditDetail")
        self.detail.setReadOnly(True)
        self.detail.setPlaceholderText(self.tr("Select an entry to see it whole."))
        mono = self.detail.font()
        mono.setFamily("monospace")
        mono.setStyleHint(mono.StyleHint.Monospace)
        self.detail.setFont(mono)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([900, 300])  # the entries first: the detail's size hint took half at 1280 px

        # Actions and status.
        self.count_label = QLabel()
        self.verify_button = QPushButton(self.tr("Verify chain"))
        self.verify_button.setObjectName("verifyButton")
        self.export_button = QPushButton(self.tr("Export…"))
        self.reseal_button = QPushButton(self.tr("Acknowledge break…"))
        self.reseal_button.setObjectName("resealButton")
        self.reseal_button.setToolTip(self.tr("After you have looked at what Verify found: record that you checked "
                                              "it and start a new chain (the entries before are kept as found)"))
        self.reseal_button.setVisible(False)
        self.verify_result = QLabel()
        self.verify_result.setObjectName("verifyResult")
        self.verify_result.setWordWrap(True)
        self.progress = TaskProgress()
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label)
        bottom.addStretch(1)
        bottom.addWidget(self.export_button)
        bottom.addWidget(self.reseal_button)
        bottom.addWidget(self.verify_button)

        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addLayout(filters)
        body.addWidget(splitter, 1)
        body.addLayout(bottom)
        body.addWidget(self.verify_result)
        body.addWidget(self.progress)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.notice)
        layout.addWidget(self.body, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self.apply_button.clicked.connect(self.apply_filters)
        self.clear_button.clicked.connect(self.clear_filters)
        self.search.returnPressed.connect(self.apply_filters)
        self.object.returnPressed.connect(self.apply_filters)
        self.verify_button.clicked.connect(self.verify)
        self.export_button.clicked.connect(self.export)
        self.reseal_button.clicked.connect(self.reseal)
        self.table.selectionModel().currentRowChanged.connect(self._show_detail)
        self.model.sig_rows_inserted.connect(self._rows_inserted)
        self.model.modelAboutToBeReset.connect(self._remember_selection)
        self.model.modelReset.connect(self._update_count)
        self.model.modelReset.connect(self._restore_selection)
        self._selected_seq: int | None = None
        ctx.sig_session_changed.connect(self._session_changed)
        self._session_changed(ctx.session)

    # -- access -------------------------------------------------------------------------------------------
    def _session_changed(self, session) -> None:
        allowed = session is not None and self.ctx.studio.audit.can(session, ops.AUDIT_READ)
        self.body.setVisible(allowed)
        self.notice.setText("" if allowed else self.tr("Only administrators read the audit log."))
        self.notice.setVisible(not allowed)
        if allowed:
            self._load_users()
            self.apply_filters()
            self.timer.start()
        else:
            self.timer.stop()

    def pane_shown(self) -> None:
        if self.body.isVisible():
            self.poll()

    def _load_users(self) -> None:
        current = self.user.currentText()
        self.user.clear()
        self.user.addItem("")
        try:
            for u in self.ctx.studio.accounts.list_users(self.ctx.actor):
                self.user.addItem(u.name)
        except StudioError:
            pass
        self.user.setCurrentText(current)

    # -- filters ------------------------------------------------------------------------------------------
    def current_filter(self) -> AuditFilter:
        obj_type, _, obj_id = self.object.text().strip().partition(":")
        return AuditFilter(
            user=self.user.currentText().strip() or None,
            action=self.action.currentText().strip() or None,
            obj_type=obj_type or None,
            obj_id=obj_id or None,
            outcome=self.outcome.currentData() or None,
            since=_ts(self.since.dateTime(), ":00.000000Z") if self.since_on.isChecked() else None,
            until=_ts(self.until.dateTime(), ":59.999999Z") if self.until_on.isChecked() else None,
            text=self.search.text().strip() or None,
        )

    def apply_filters(self) -> None:
        try:
            self.ctx.studio.audit.reader(self.ctx.actor)
        except StudioError as error:
            self.verify_result.setText(error_text(error))
            return
        flt = self.current_filter()
        if self._search_task is not None:
            self._search_task.cancel()
            self._search_task = None
        if flt.is_empty() and self.model.reset_dense_or_none():
            return
        # A filter (or a log with gaps) needs the matching keys: found on a worker thread.
        self.count_label.setText(self.tr("Searching…"))
        task = Task(_matching, self.ctx.studio.audit_store, flt, parent=self)
        task.sig_task_finished.connect(lambda result, t=task: self._keys_found(t, result))
        task.sig_task_failed.connect(lambda error: self.count_label.setText(error_text(error)))
        self._search_task = task
        task.start()

    def _keys_found(self, task: Task, result) -> None:
        if task is not self._search_task:
            return  # a newer filter was applied meanwhile
        flt, seqs, top = result
        self.model.set_keys(flt, seqs, top)
        self._search_task = None

    def clear_filters(self) -> None:
        self.user.setCurrentText("")
        self.action.setCurrentText("")
        self.object.clear()
        self.outcome.setCurrentIndex(0)
        self.since_on.setChecked(False)
        self.until_on.setChecked(False)
        self.search.clear()
        self.apply_filters()

    # -- live updates -------------------------------------------------------------------------------------
    def poll(self) -> None:
        if self.ctx.session is None or self._search_task is not None:
            return
        try:
            self.model.refresh()
        except StudioError as error:
            self.count_label.setText(error_text(error))

    def _rows_inserted(self, count: int) -> None:
        self._update_count()
        # Keep the selected entry selected; stay at the top when the user is there.
        if self.table.verticalScrollBar().value() <= count:
            self.table.scrollToTop()

    def _update_count(self) -> None:
        n = self.model.rowCount()
        self.count_label.setText(self.tr("{n} entries").format(n=f"{n:,}"))

    def _remember_selection(self) -> None:
        entry = self.model.entry(self.table.currentIndex().row()) if self.table.currentIndex().isValid() else None
        self._selected_seq = None if entry is None else entry.seq

    def _restore_selection(self) -> None:
        """After a new filter: the selected entry stays selected if it still shows, else the detail clears."""
        row = -1 if self._selected_seq is None else self.model.row_of(self._selected_seq)
        if row >= 0:
            self.table.selectRow(row)
        else:
            self.table.setCurrentIndex(self.model.index(-1, -1))
            self.detail.clear()

    def _show_detail(self, current, _previous=None) -> None:
        entry = self.model.entry(current.row()) if current.isValid() else None
        self.detail.setPlainText(entry_json(entry) if entry is not None else "")

    # -- verify and export --------------------------------------------------------------------------------
    def verify(self) -> None:
        if self._task is not None and self._task.running:
            return
        self.verify_result.setText(self.tr("Verifying…"))
        self.verify_result.setStyleSheet("")
        self._task = Task(_verify, self.ctx.studio.audit, self.ctx.actor, parent=self)
        self._task.sig_task_finished.connect(self._verified)
        self._task.sig_task_failed.connect(lambda error: self._show_result(error_text(error), ok=False))
        self.progress.bind(self._task)
        self._task.start()

    def _verified(self, report) -> None:
        if report.ok:
            text = self.tr("Intact: {checked} entries checked, {sealed} sealed, {unsealed} waiting to be sealed.").format(
                checked=f"{report.checked:,}", sealed=f"{report.sealed:,}", unsealed=f"{report.unsealed:,}")
        else:
            text = self.tr("Tampered: {problem}").format(problem=report.problem)
        if report.late:
            text += " " + self.tr("{n} entries were written without a MAC and sealed later (shown in italics): their "
                                  "content was not authenticated by whoever wrote them.").format(n=f"{report.late:,}")
        for b in report.breaks:
            text += " " + self.tr("{who} acknowledged a break at entry {seq} ({problem}); the chain is checked from "
                                  "there.").format(who=b.by, seq=b.seq, problem=b.problem)
        self.reseal_button.setVisible(not report.ok)
        self._show_result(text, ok=report.ok)

    def reseal(self) -> None:
        if self._task is not None and self._task.running:
            return
        answer = QMessageBox.question(
            self, self.tr("Acknowledge the break"),
            self.tr("Record that you have checked what Verify found and start a new chain from here? The entries "
                    "before stay as they were found, as evidence; the acknowledgement is itself an entry."))
        if answer == QMessageBox.StandardButton.Yes:
            self.reseal_now()

    def reseal_now(self) -> Task:
        self.verify_result.setText(self.tr("Acknowledging…"))
        self._task = Task(_reseal, self.ctx.studio.audit, self.ctx.actor, parent=self)
        self._task.sig_task_finished.connect(self._verified)
        self._task.sig_task_failed.connect(lambda error: self._show_result(error_text(error), ok=False))
        self.progress.bind(self._task)
        self._task.start()
        return self._task

    def _show_result(self, text: str, ok: bool) -> None:
        self.verify_result.setText(text)
        self.verify_result.setStyleSheet("color: #2e9b4f;" if ok else "color: #d04040; font-weight: bold;")

    def export(self) -> None:
        if self._task is not None and self._task.running:
            return
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export the audit log"), "audit.csv",
                                              self.tr("CSV (*.csv);;JSON Lines (*.jsonl)"))
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> Task:
        flt = self.model.filter
        self._task = Task(_export, self.ctx.studio.audit, self.ctx.actor, path, flt, parent=self)
        self._task.sig_task_finished.connect(
            lambda n: self._show_result(self.tr("Exported {n} entries to {path}.").format(n=f"{n:,}", path=path), True))
        self._task.sig_task_failed.connect(lambda error: self._show_result(error_text(error), ok=False))
        self.progress.bind(self._task)
        self._task.start()
        return self._task
