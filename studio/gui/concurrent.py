"""Run a core `run(args, state)` function on a worker thread and hear about it through Qt signals.

The function receives a studio.core.tasks.TaskState as its `state` keyword; it reports progress and
checks for cancel through it. Signals arrive on the GUI thread (queued across threads)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from studio.core.errors import Cancelled
from studio.core.tasks import Progress, TaskState

log = logging.getLogger(__name__)


class Task(QObject):
    sig_task_progress = Signal(object)  # Progress
    sig_task_finished = Signal(object)  # the function's result
    sig_task_failed = Signal(object)  # the exception
    sig_task_cancelled = Signal()
    sig_task_done = Signal()  # after any of the three above

    def __init__(self, fn: Callable[..., Any], *args: Any, parent: QObject | None = None, **kwargs: Any):
        super().__init__(parent)
        self._fn, self._args, self._kwargs = fn, args, kwargs
        self.state = TaskState(on_progress=self.sig_task_progress.emit)
        self._thread: threading.Thread | None = None

    def start(self) -> Task:
        self._thread = threading.Thread(target=self._run, name=f"task-{getattr(self._fn, '__name__', 'fn')}", daemon=True)
        self._thread.start()
        return self

    def cancel(self) -> None:
        self.state.cancel()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def _run(self) -> None:
        try:
            result = self._fn(*self._args, state=self.state, **self._kwargs)
        except Cancelled:
            self.sig_task_cancelled.emit()
        except Exception as error:  # noqa: BLE001 - handed to the GUI thread to show
            log.info("task failed: %s: %s", type(error).__name__, error)
            self.sig_task_failed.emit(error)
        else:
            self.sig_task_progress.emit(Progress(1.0))
            self.sig_task_finished.emit(result)
        self.sig_task_done.emit()
