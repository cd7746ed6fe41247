"""A progress bar with a message, an ETA and a Cancel button, bound to a running Task."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from studio.core.tasks import Progress
from studio.gui.concurrent import Task
from studio.gui.units import fmt_duration


class TaskProgress(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.label = QLabel()
        self.cancel_button = QPushButton(self.tr("Cancel"))
        layout.addWidget(self.bar, 2)
        layout.addWidget(self.label, 3)
        layout.addWidget(self.cancel_button)
        self._task: Task | None = None
        self.cancel_button.clicked.connect(self._cancel)
        self.hide()

    def bind(self, task: Task) -> None:
        self._task = task
        self.bar.setRange(0, 1000)
        self.bar.setValue(0)
        self.label.setText("")
        self.cancel_button.setEnabled(True)
        task.sig_task_progress.connect(self._progress)
        task.sig_task_done.connect(self.hide)
        self.show()

    def _progress(self, p: Progress) -> None:
        if p.fraction < 0:
            self.bar.setRange(0, 0)
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(p.fraction * 1000))
        eta = "" if p.eta_s is None else fmt_duration(p.eta_s)
        text = p.message
        if eta:
            text = self.tr("{message}  (about {eta} left)").format(message=p.message, eta=eta)
        self.label.setText(text)

    def _cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self.cancel_button.setEnabled(False)
            self.label.setText(self.tr("Cancelling…"))
