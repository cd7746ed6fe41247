"""The Training pane: the runs table (filters, tags, groups) with the run controls above it, and for the
selected run its live charts, details (settings, log, checkpoints, system, audit), the comparison of several
selected runs, and the Generate tab. Runs train in their own worker processes; this pane only reads what they
write (off the GUI thread) and sends control requests, so closing the window leaves them going and reopening
it shows them live again."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox, QSplitter, QTabWidget, QVBoxLayout, QWidget

from studio.core.errors import StudioError
from studio.core.tasks import TaskState
from studio.gui.context import AppContext
from studio.gui.i18n import error_text
from studio.gui.panes.base import Pane
from studio.gui.panes.training.actions import RunActions
from studio.gui.panes.training.backend import LIVE, GenerationSource, TrainingBackend
from studio.gui.panes.training.calls import Calls
from studio.gui.panes.training.compare_view import CompareView
from studio.gui.panes.training.details.run_details import RunDetails
from studio.gui.panes.training.generate_view import GenerateView
from studio.gui.panes.training.new_run.dialog import NewRunDialog
from studio.gui.panes.training.plots.board import ChartBoard
from studio.gui.panes.training.plots.export import export_csv, export_png, export_svg
from studio.gui.panes.training.run_notice import RunNotice
from studio.gui.panes.training.runs_table import RunsTable

log = logging.getLogger(__name__)

POLL_MS = 1000  # runs table, log tail and checkpoints of the selected run


def default_backend(ctx: AppContext) -> TrainingBackend | None:
    """The adapter over the studio's run service, or None in a build without the training engine."""
    from studio.gui.panes.training.service_backend import service_backend

    return service_backend(ctx.studio)


def ask_about_live_runs(parent: QWidget, names: list[str]) -> str:
    """"leave", "stop" or "cancel": the question when the window closes while runs train."""
    box = QMessageBox(parent)
    box.setObjectName("liveRunsQuestion")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(QCoreApplication.translate("TrainingPane", "Runs are still training"))
    box.setText(QCoreApplication.translate("TrainingPane", "{n} run(s) are still training: {names}.").format(
        n=len(names), names=", ".join(names[:5]) + ("…" if len(names) > 5 else "")))
    box.setInformativeText(QCoreApplication.translate(
        "TrainingPane", "They keep training without the window: open Model Studio again to watch them."))
    leave = box.addButton(QCoreApplication.translate("TrainingPane", "Leave them running"),
                          QMessageBox.ButtonRole.AcceptRole)
    stop = box.addButton(QCoreApplication.translate("TrainingPane", "Stop them"), QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(leave)
    box.exec()
    return "leave" if box.clickedButton() is leave else "stop" if box.clickedButton() is stop else "cancel"


class TrainingPane(Pane):
    backend_factory = staticmethod(default_backend)  # tests put a fake here

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.backend = type(self).backend_factory(ctx)
        self.calls = Calls(self._show_error, self)
        self._runs: list[Any] = []
        self._selected: list[Any] = []
        self._attempts: dict[int, int] = {}
        self._select_when_listed: int | None = None  # a run just started: select it once the table has it
        self._shut = False

        self.notice = QLabel()
        self.notice.setObjectName("trainingNotice")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("color: #d64545;")
        self.notice.hide()
        self.runs_table = RunsTable(settings=ctx.settings)
        self.runs_table.sig_selection_changed.connect(self._selection_changed)
        self.actions = RunActions(self, self.backend, self.calls, lambda: self.ctx.actor)
        self.actions.sig_changed.connect(self.refresh)
        self.actions.sig_new_run.connect(self.open_new_run)
        self.actions.sig_status_message.connect(self.ctx.sig_status_message)
        self.actions.can_train = self.backend is not None and getattr(ctx.session, "role", "viewer") != "viewer"
        self.actions.update([])

        self.board = ChartBoard(self._read_metrics, settings=ctx.settings)
        self.board.sig_export_requested.connect(self.export_charts)
        self.board.sig_read_failed.connect(lambda _id, message: self._show_error(message))
        self.details = RunDetails()
        self.details.checkpoints.sig_action.connect(self._checkpoint_action)
        if not getattr(self.backend, "supports_checkpoint_delete", True):
            self.details.checkpoints.hide_action("delete")
        self.compare = CompareView()
        self.generate = GenerateView()
        self.generate.generate_fn = self._generate
        self.generate.chat_fn = self._chat
        self.generate.sig_sample_kept.connect(self._keep_sample)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("trainingTabs")
        self.tabs.addTab(self.board, self.tr("Charts"))
        self.tabs.addTab(self.details, self.tr("Details"))
        self.tabs.addTab(self.compare, self.tr("Compare"))
        self.tabs.addTab(self.generate, self.tr("Generate"))
        self.tabs.currentChanged.connect(lambda _: self._poll_details())

        self.run_notice = RunNotice()
        self.run_notice.sig_log_requested.connect(self._show_log)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.run_notice)
        lower_layout.addWidget(self.tabs, 1)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.runs_table)
        split.addWidget(lower)
        # four whole runs in view at 1280x800, the rest for the charts (a taller window gives them its height)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([self.runs_table.height_for_rows(4), 650])
        layout = QVBoxLayout(self)
        layout.addWidget(self.actions.toolbar)
        layout.addWidget(self.notice)
        layout.addWidget(split, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.refresh)
        ctx.sig_session_changed.connect(self._session_changed)
        app = QCoreApplication.instance()
        if app is not None:  # threads end before Qt tears down, even when the window is never closed
            app.aboutToQuit.connect(self.shutdown)
        if self.backend is None:
            self.notice.setText(self.tr("This build has no training engine: runs cannot be started or shown."))
            self.notice.show()
        else:
            self.timer.start()
            self.refresh()

    # -- reading ------------------------------------------------------------------------------------------
    def _signed_in(self) -> bool:
        return not self._shut and self.ctx.session is not None and not self.ctx.session.locked

    def _read_metrics(self, run_id: int, since: dict[str, int]):
        """The charts' reader (called on the feed's thread)."""
        if not self._signed_in() or self.backend is None:
            return {}
        return self.backend.metrics(self.ctx.session, run_id, since)

    def refresh(self) -> None:
        if not self._signed_in() or self.backend is None:
            return
        self.calls.run(self.backend.runs, self.ctx.actor, key="runs", done=self._runs_loaded)
        self._poll_details()

    def all_runs(self) -> list[Any]:
        return list(self._runs)

    def _runs_loaded(self, runs: list[Any]) -> None:
        self._runs = runs
        self.notice.hide()
        self.runs_table.set_runs(runs)
        self.actions.runs_listed(runs)
        wanted = self._select_when_listed
        if wanted is not None and any(r.id == wanted for r in runs):
            self._select_when_listed = None
            self.select_run(wanted)
        for run in runs:  # a resumed run computes its steps again from a checkpoint: read its curves afresh
            if run.id in self._attempts and self._attempts[run.id] != run.attempt and self.board.shows(run.id):
                self.board.reload(run.id)
            self._attempts[run.id] = run.attempt
            self.board.set_live(run.id, run.status in LIVE)

    def _poll_details(self) -> None:
        run = self._selected[0] if len(self._selected) == 1 else None
        if run is None or not self._signed_in():
            return
        actor = self.ctx.actor
        if self.tabs.currentWidget() is self.details:
            self.calls.run(self.backend.log, actor, run.id, self.details.log.offset, key="log",
                           done=lambda r, rid=run.id: self._log_read(rid, r))
            if self.details.currentWidget() is self.details.audit:
                if self.ctx.is_admin:  # the audit log is the administrators'; asking would record a denial
                    self.calls.run(self.backend.audit, actor, run.id, key="audit",
                                   done=self.details.audit.set_entries,
                                   failed=lambda exc: self.details.audit.set_unavailable(error_text(exc)))
                else:
                    self.details.audit.set_unavailable(self.tr("Only administrators read the audit log."))
        if self.tabs.currentWidget() in (self.details, self.generate) or run.status in LIVE:
            self.calls.run(self.backend.checkpoints, actor, run.id, key="checkpoints",
                           done=lambda cs, rid=run.id: self._checkpoints_read(rid, cs))

    def _log_read(self, run_id: int, result: tuple[str, int]) -> None:
        if self.details.run_id == run_id:
            self.details.log.append_text(*result)

    def _checkpoints_read(self, run_id: int, checkpoints: list[Any]) -> None:
        if self.details.run_id != run_id:
            return
        self.details.checkpoints.set_checkpoints(checkpoints)
        run = next((r for r in self._runs if r.id == run_id), None)
        name = run.name if run is not None else str(run_id)
        sources = []
        for c in sorted((c for c in checkpoints if c.usable), key=lambda c: c.step or 0, reverse=True):
            label = self.actions.checkpoint_label(c)
            sources.append((label, GenerationSource(run_id=run_id, checkpoint_id=c.id, label=f"{name} · {label}"),
                            c.step))
        self.generate.set_sources(sources)

    # -- selection ----------------------------------------------------------------------------------------
    def _selection_changed(self, runs: list[Any]) -> None:
        previous = [r.id for r in self._selected]
        self._selected = runs
        self.actions.update(runs)
        self.board.set_runs([(r.id, r.name) for r in runs])
        for run in runs:
            self.board.set_live(run.id, run.status in LIVE)
        self.compare.set_runs(runs)
        self.details.show_run(runs[0] if len(runs) == 1 else None)
        self._show_notice(runs[0] if len(runs) == 1 else None)
        if len(runs) >= 2 and [r.id for r in runs] != previous and self.tabs.currentWidget() is not self.board:
            self.tabs.setCurrentWidget(self.compare)  # details and generation are for one run
        if len(runs) == 1 and (not previous or previous[0] != runs[0].id):
            self.generate.set_sources([])
            self.calls.run(self.backend.samples, self.ctx.actor, runs[0].id, done=self.generate.set_samples)
            self._poll_details()

    def _show_notice(self, run: Any | None) -> None:
        if self.run_notice.show_run(run):  # a failed run: the last lines of its log say why
            self.calls.run(self.backend.log_tail, self.ctx.actor, run.id, key="log_tail",
                           done=lambda lines, rid=run.id: self.run_notice.set_tail(rid, lines))

    def _show_log(self) -> None:
        self.tabs.setCurrentWidget(self.details)
        self.details.setCurrentWidget(self.details.log)

    def select_run(self, run_id: int) -> None:
        self.runs_table.select([run_id])

    # -- new runs -----------------------------------------------------------------------------------------
    def open_new_run(self, source: Any = None) -> None:
        """source: None, or (run, checkpoint or None) to clone a run's settings or fine-tune from a checkpoint."""
        if self.backend is None:
            return
        actor = self.ctx.actor

        def lists() -> tuple[list, list]:
            return self.backend.datasets(actor), self.backend.models(actor)

        def show(result: tuple[list, list]) -> None:
            datasets, models = result
            # run names are the owner's: only the user's own runs take a name from them (migration 0014)
            mine = {r.name for r in self._runs if getattr(r, "owner_id", None) == getattr(actor, "user_id", None)}
            dialog = NewRunDialog(datasets, models, mine, self._start_run,
                                  self._estimate, self)
            if source is not None:
                run, checkpoint = source
                dialog.load_settings(run, checkpoint=checkpoint)
            self.new_run_dialog = dialog
            dialog.finished.connect(lambda _: setattr(self, "new_run_dialog", None))
            dialog.open()

        self.calls.run(lists, done=show)

    def _start_run(self, spec, done, failed) -> None:
        def started(run: Any) -> None:
            done(run)
            self._select_when_listed = run.id
            self.refresh()

        self.calls.run(self.backend.start, self.ctx.actor, spec, done=started, failed=failed)

    def _estimate(self, spec, vocab_size, done, failed) -> None:
        self.calls.run(self.backend.estimate, self.ctx.actor, spec, vocab_size, key="estimate", done=done,
                       failed=failed)

    # -- checkpoints and generation -----------------------------------------------------------------------
    def _checkpoint_action(self, action: str, checkpoint: Any) -> None:
        run = next((r for r in self._runs if r.id == checkpoint.run_id), None)
        if run is None:
            return
        if action == "generate":
            self.tabs.setCurrentWidget(self.generate)
            index = next((i for i in range(self.generate.source.count())
                          if self.generate.source.itemData(i).checkpoint_id == checkpoint.id), -1)
            if index >= 0:
                self.generate.source.setCurrentIndex(index)
            return
        self.actions.checkpoint_action(run, action, checkpoint)

    def _chat(self, source: GenerationSource, messages: list, settings: dict, should_stop, stats=None, on_prompt=None):
        return self.backend.chat(self.ctx.actor, source, messages, settings, should_stop, stats, on_prompt)

    def _generate(self, source: GenerationSource, prompt: str, settings: dict, should_stop, stats=None):
        return self.backend.generate(self.ctx.actor, source, prompt, settings, should_stop, stats)

    def _keep_sample(self, sample) -> None:
        if len(self._selected) == 1:
            self.calls.run(self.backend.keep_sample, self.ctx.actor, self._selected[0].id, sample)

    # -- exports ------------------------------------------------------------------------------------------
    def export_charts(self, kind: str) -> None:
        filters = {"png": self.tr("PNG image (*.png)"), "svg": self.tr("SVG drawing (*.svg)"),
                   "csv": self.tr("CSV table (*.csv)")}
        name = "-".join(r.name for r in self.board.runs) or "charts"
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export"), f"{name}.{kind}", filters[kind])
        if not path:
            return
        try:
            if kind == "png":
                export_png(self.board.graphics, path)
            elif kind == "svg":
                export_svg(self.board.views, path)
            else:
                runs = self.board.runs
                self.calls.run(lambda: export_csv(runs, path, state=TaskState()),
                               done=lambda n: self.ctx.sig_status_message.emit(
                                   self.tr("Wrote {n} rows to {path}.").format(n=f"{n:,}", path=path)))
                return
        except OSError as error:
            self._show_error(error_text(error))
            return
        self.ctx.sig_status_message.emit(self.tr("Saved {path}.").format(path=path))

    # -- errors, sessions, closing ------------------------------------------------------------------------
    def _show_error(self, error: BaseException | str) -> None:
        text = error_text(error)
        if not isinstance(error, StudioError | str):
            log.error("training pane: %s: %s", type(error).__name__, error)
        self.notice.setText(text)
        self.notice.show()

    def _session_changed(self, session) -> None:
        if session is None or session.locked:
            self.timer.stop()
        elif not self._shut and self.backend is not None:
            self.timer.start()

    def live_runs(self) -> list[Any]:
        return [r for r in self._runs if r.status in LIVE]

    def close_check(self, done) -> None:
        """Asks about the runs that train *now*: the last poll may be a second old (a run that had just ended
        was asked about), so when it saw one live, their state is read again off the GUI thread first; the
        stops, if asked for, are sent off it too, and the window closes once they are. With none live in the
        last poll the window closes at once (a run started elsewhere meanwhile keeps training: runs never need
        the window)."""
        if self.backend is None or not self._signed_in() or not self.live_runs():
            done(True)
            return
        actor = self.ctx.actor

        def read(runs: list[Any]) -> None:
            self._runs_loaded(runs)
            self._ask_about([r for r in runs if r.status in LIVE], actor, done)

        def unread(error: BaseException) -> None:  # the database is busy or gone: the last poll's answer
            log.warning("closing: could not read the runs again: %s", error)
            self._ask_about(self.live_runs(), actor, done)

        if self.calls.run(self.backend.runs, actor, done=read, failed=unread) is None:
            done(True)  # the pane has shut down: nothing of it keeps the window

    def _ask_about(self, live: list[Any], actor: Any, done) -> None:
        if not live:
            done(True)
            return
        answer = ask_about_live_runs(self, [r.name for r in live])
        if answer == "cancel":
            done(False)
        elif answer == "stop":
            ids = [r.id for r in live]
            if self.calls.run(self._stop_all, actor, ids, done=lambda _: done(True),
                              failed=lambda error: done(True)) is None:
                done(True)
        else:
            done(True)

    def _stop_all(self, actor: Any, run_ids: list[int]) -> None:
        """(A worker thread.) Ask each run to stop; one that cannot be asked is logged, the others still are."""
        for run_id in run_ids:
            try:
                self.backend.control(actor, run_id, "stop")
            except StudioError as error:
                log.warning("could not stop run %s: %s", run_id, error)

    def shutdown(self) -> None:
        if self._shut:
            return
        self._shut = True
        self.timer.stop()
        self.calls.close()
        self.generate.close_generation()
        self.board.close_feed()

