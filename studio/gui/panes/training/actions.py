"""What the user does to runs and checkpoints: the tool bar's actions and the questions they ask (delete with
what is deleted, tags, group, which checkpoint to resume from, where to export). Every backend call runs off
the GUI thread; the pane refreshes when one is done."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QToolBar, QWidget

from studio.gui.panes.training.backend import FINAL, LIVE, PAUSED, QUEUED, RUNNING
from studio.gui.panes.training.new_run.dialog import fmt_bytes

CONTROLS = ("pause", "resume", "stop", "kill")
# The statuses a control request is waiting for (any final one ends a stop, or a pause that came too late).
AWAITED = {"pause": (PAUSED, *FINAL), "resume": (RUNNING, *FINAL), "stop": FINAL}


class RunActions(QObject):
    sig_changed = Signal()  # something changed: refresh now
    sig_new_run = Signal(object)  # None, or (run, checkpoint or None): clone / fine-tune
    sig_status_message = Signal(str)

    def __init__(self, pane: QWidget, backend, calls, actor: Callable[[], Any]):
        super().__init__(pane)
        self.pane, self.backend, self.calls, self.actor = pane, backend, calls, actor
        self.toolbar = QToolBar()
        self.toolbar.setObjectName("runActions")
        self.actions: dict[str, QAction] = {}
        labels = {
            "new": self.tr("New run…"), "clone": self.tr("Clone settings…"), "pause": self.tr("Pause"),
            "resume": self.tr("Resume"), "stop": self.tr("Stop"), "kill": self.tr("Kill"),
            "resume_from": self.tr("Resume from checkpoint…"), "fine_tune": self.tr("Fine-tune from it…"),
            "tags": self.tr("Tags…"), "group": self.tr("Group…"), "delete": self.tr("Delete…"),
        }
        tips = {
            "stop": self.tr("Stop after the current step, with a final checkpoint"),
            "kill": self.tr("End the worker process at once (no final checkpoint)"),
            "resume_from": self.tr("Continue this run from one of its checkpoints"),
            "fine_tune": self.tr("Start a new run from one of this run's checkpoints"),
        }
        for key, label in labels.items():
            action = QAction(label, self)
            action.setObjectName(f"action_{key}")
            if key in tips:
                action.setToolTip(tips[key])
            action.triggered.connect(lambda _=False, k=key: self.trigger(k))
            self.toolbar.addAction(action)
            self.actions[key] = action
            if key in ("clone", "kill", "fine_tune", "group"):
                self.toolbar.addSeparator()
        self.runs: list[Any] = []
        self.awaiting: dict[int, tuple[str, ...]] = {}  # run id -> the statuses a request waits for
        self.can_train = True
        self.update([])

    # -- state ------------------------------------------------------------------------------------------
    def update(self, runs: list[Any]) -> None:
        """Enable what the selected runs' states allow (the service decides anyway)."""
        self.runs = runs
        one = runs[0] if len(runs) == 1 else None
        status = one.status if one else None
        make = self.can_train
        enabled = {
            "new": make, "clone": make and one is not None,
            "pause": make and status == RUNNING, "resume": make and status == PAUSED,
            "stop": make and status in (RUNNING, PAUSED, QUEUED), "kill": make and status in LIVE,
            "resume_from": make and status in FINAL,
            "fine_tune": make and one is not None,
            "tags": make and one is not None, "group": make and bool(runs),
            "delete": make and bool(runs) and all(r.status not in LIVE for r in runs),
        }
        for key, action in self.actions.items():
            action.setEnabled(bool(enabled[key]))

    def trigger(self, key: str) -> None:
        one = self.runs[0] if len(self.runs) == 1 else None
        if key == "new":
            self.sig_new_run.emit(None)
        elif key == "clone" and one is not None:
            self.sig_new_run.emit((one, None))
        elif key in CONTROLS and one is not None:
            self.control(one, key)
        elif key == "resume_from" and one is not None:
            self.ask_checkpoint(one, lambda c: self.resume_from(one, c), restart=lambda: self.restart(one))
        elif key == "fine_tune" and one is not None:
            self.ask_checkpoint(one, lambda c: self.sig_new_run.emit((one, c)))
        elif key == "tags" and one is not None:
            self.edit_tags(one)
        elif key == "group" and self.runs:
            self.edit_group(list(self.runs))
        elif key == "delete" and self.runs:
            self.delete(list(self.runs))

    # -- runs -------------------------------------------------------------------------------------------
    def _done(self, message: str) -> Callable[[Any], None]:
        def done(_result: Any) -> None:
            self.sig_status_message.emit(message)
            self.sig_changed.emit()
        return done

    def control(self, run: Any, action: str) -> None:
        if action == "kill":
            answer = QMessageBox.question(
                self.pane, self.tr("Kill the run?"),
                self.tr("End the worker of “{name}” at once? It writes no final checkpoint; the run can be resumed "
                        "from its last checkpoint.").format(name=run.name))
            if answer != QMessageBox.StandardButton.Yes:
                return
        messages = {"pause": self.tr("Pausing {name}…"), "resume": self.tr("Resuming {name}…"),
                    "stop": self.tr("Stopping {name} (a final checkpoint first)…"), "kill": self.tr("Killed {name}.")}
        if action in AWAITED:  # "Pausing…" gives way to what happened once the run gets there
            self.awaiting[run.id] = AWAITED[action]
        self.calls.run(self.backend.control, self.actor(), run.id, action,
                       done=self._done(messages[action].format(name=run.name)))

    def runs_listed(self, runs: list[Any]) -> None:
        """Say that a requested pause, resume or stop happened, when the runs table shows it has."""
        for run in runs:
            wanted = self.awaiting.get(run.id)
            if wanted is None or run.status not in wanted:
                continue
            del self.awaiting[run.id]
            done = {PAUSED: self.tr("Paused {name} at step {step}."), RUNNING: self.tr("{name} is running again."),
                    "stopped": self.tr("Stopped {name} at step {step}.")}.get(run.status,
                                                                            self.tr("{name} is {status}."))
            self.sig_status_message.emit(done.format(name=run.name, step=f"{run.step:,}", status=run.status))

    def ask_checkpoint(self, run: Any, then: Callable[[Any], None], restart: Callable[[], None] | None = None) -> None:
        """Let the user pick one of the run's checkpoints for `then`. Without any: `restart` (train it again
        from the start) is offered where there is one and the run is not a fine-tune (whose start, the
        source model's weights, only a new run brings back)."""
        def chosen(checkpoints: list[Any]) -> None:
            usable = sorted((c for c in checkpoints if c.usable), key=lambda c: c.step or 0, reverse=True)
            if not usable and restart is not None and run.source_model_id is None:
                answer = QMessageBox.question(
                    self.pane, self.tr("No checkpoint"),
                    self.tr("“{name}” has no checkpoint to continue from. Train it again from the start, with the "
                            "same settings?").format(name=run.name))
                if answer == QMessageBox.StandardButton.Yes:
                    restart()
                return
            if not usable:
                QMessageBox.information(self.pane, self.tr("No checkpoint"),
                                        self.tr("“{name}” has no checkpoint yet.").format(name=run.name))
                return
            labels = [self.checkpoint_label(c) for c in usable]
            label, ok = QInputDialog.getItem(self.pane, self.tr("Choose a checkpoint"), self.tr("Checkpoint"),
                                             labels, 0, False)
            if ok:
                then(usable[labels.index(label)])

        self.calls.run(self.backend.checkpoints, self.actor(), run.id, done=chosen)

    def checkpoint_label(self, c: Any) -> str:
        loss = "" if c.val_loss is None else self.tr(", val loss {loss:.4f}").format(loss=c.val_loss)
        kind = self.tr("best") if c.is_best else self.tr("latest")
        return self.tr("step {step} ({kind}{loss})").format(step=f"{c.step:,}", kind=kind, loss=loss)

    def resume_from(self, run: Any, checkpoint: Any) -> None:
        self.calls.run(self.backend.resume_from, self.actor(), run.id, checkpoint.id,
                       done=self._done(self.tr("Resuming {name} from step {step}…").format(
                           name=run.name, step=f"{checkpoint.step:,}")))

    def restart(self, run: Any) -> None:
        self.calls.run(self.backend.resume_from, self.actor(), run.id, None,
                       done=self._done(self.tr("Starting {name} again from the start…").format(name=run.name)))

    def edit_tags(self, run: Any) -> None:
        text, ok = QInputDialog.getText(self.pane, self.tr("Tags"), self.tr("Tags of “{name}” (comma separated)")
                                        .format(name=run.name), text=", ".join(run.tags))
        if ok:
            tags = tuple(t.strip() for t in text.split(",") if t.strip())
            self.calls.run(self.backend.set_tags, self.actor(), run.id, tags, done=self._done(self.tr("Tags saved.")))

    def edit_group(self, runs: list[Any]) -> None:
        groups = sorted({r.group for r in self.pane.all_runs() if r.group})
        current = runs[0].group if len({r.group for r in runs}) == 1 else ""
        items = [current, *[g for g in groups if g != current]]
        text, ok = QInputDialog.getItem(self.pane, self.tr("Group"),
                                        self.tr("Put {n} run(s) in the group (empty: no group)").format(n=len(runs)),
                                        items, 0, True)
        if ok:
            for run in runs:
                self.calls.run(self.backend.set_group, self.actor(), run.id, text.strip(),
                               done=self._done(self.tr("Group saved.")))

    def delete(self, runs: list[Any]) -> None:
        def ask(summaries: list[Any]) -> None:
            lines = [self.tr("• {name}: {points} metric points, {n} checkpoints ({size}), its log ({log})").format(
                name=s.run_name, points=f"{s.metric_points:,}", n=s.checkpoints, size=fmt_bytes(s.checkpoint_bytes),
                log=fmt_bytes(s.log_bytes)) for s in summaries]
            box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Delete runs"),
                              self.tr("Delete these runs? This deletes, for good:") + "\n\n" + "\n".join(lines),
                              QMessageBox.StandardButton.Cancel, self.pane)
            box.setObjectName("confirmDelete")
            delete = box.addButton(self.tr("Delete"), QMessageBox.ButtonRole.DestructiveRole)
            box.setDefaultButton(QMessageBox.StandardButton.Cancel)
            box.exec()
            if box.clickedButton() is delete:
                for run in runs:
                    self.calls.run(self.backend.delete, self.actor(), run.id,
                                   done=self._done(self.tr("Deleted {name}.").format(name=run.name)))

        actor = self.actor()
        self.calls.run(lambda: [self.backend.delete_summary(actor, r.id) for r in runs], done=ask)

    # -- checkpoints ------------------------------------------------------------------------------------
    def checkpoint_action(self, run: Any, action: str, checkpoint: Any) -> None:
        if action == "resume":
            self.resume_from(run, checkpoint)
        elif action == "fine_tune":
            self.sig_new_run.emit((run, checkpoint))
        elif action == "export":
            folder = QFileDialog.getExistingDirectory(self.pane, self.tr("Export the checkpoint to a folder"))
            if folder:
                self.calls.run(self.backend.export_checkpoint, self.actor(), run.id, checkpoint.id, folder,
                               done=self._done(self.tr("Exported to {folder}.").format(folder=folder)))
        elif action == "delete":
            answer = QMessageBox.question(
                self.pane, self.tr("Delete the checkpoint?"),
                self.tr("Delete the checkpoint at step {step} of “{name}” ({size})? This cannot be undone.").format(
                    step=f"{checkpoint.step:,}", name=run.name, size=fmt_bytes(checkpoint.size_bytes)))
            if answer == QMessageBox.StandardButton.Yes:
                self.calls.run(self.backend.delete_checkpoint, self.actor(), run.id, checkpoint.id,
                               done=self._done(self.tr("Checkpoint deleted.")))
