"""Help -> Self-test: the same end-to-end check as `studio self-test`, run off the GUI thread."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from studio.core.selftest import StepResult, run_self_test
from studio.gui.concurrent import Task


class _Relay(QObject):
    sig_step_done = Signal(object)


class SelfTestDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Self-test"))
        self.resize(960, 420)
        layout = QVBoxLayout(self)
        self.summary = QLabel(self.tr("Running the self-test in a temporary data folder…"))
        self.output = QPlainTextEdit(readOnly=True)
        self.output.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.output.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        # what a user pastes into a bug report
        self.copy_button = self.buttons.addButton(self.tr("Copy report"), QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.report()))
        layout.addWidget(self.summary)
        layout.addWidget(self.output, 1)
        layout.addWidget(self.buttons)
        self.results: list[StepResult] = []
        self._relay = _Relay(self)
        self._relay.sig_step_done.connect(self._step_done)
        self.task = Task(run_self_test, on_result=self._relay.sig_step_done.emit, parent=self)
        self.task.sig_task_finished.connect(self._finished)
        self.task.sig_task_failed.connect(lambda e: self.summary.setText(self.tr("The self-test could not run: {error}").format(error=e)))
        self.task.start()

    def _step_done(self, result: StepResult) -> None:
        self.results.append(result)
        status = {"ok": self.tr("ok"), "failed": self.tr("FAILED"), "skipped": self.tr("skipped")}[result.status]
        self.output.appendPlainText(f"{status:8} {result.name:40} {result.detail}  ({result.seconds:.1f} s)")

    def report(self) -> str:
        return self.summary.text() + "\n" + self.output.toPlainText()

    def _finished(self, results: list[StepResult]) -> None:
        ok = all(r.ok for r in results)
        self.summary.setText(self.tr("Self-test passed.") if ok else self.tr("Self-test FAILED: see the steps below."))

    def reject(self) -> None:
        self.task.cancel()
        super().reject()
