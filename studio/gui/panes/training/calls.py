"""Backend calls off the GUI thread: `Calls.run(fn, *args, done=..., failed=...)` runs fn on a worker thread
(studio.gui.concurrent.Task) and calls back on the GUI thread. Keeps the tasks alive while they run and drops
every callback once the owner is closed (a pane built afresh for another user must not hear old answers)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject

from studio.gui.concurrent import Task

log = logging.getLogger(__name__)


def _call(fn: Callable[..., Any], *args: Any, state) -> Any:
    return fn(*args)


class Calls(QObject):
    def __init__(self, on_error: Callable[[BaseException], None], parent: QObject | None = None):
        super().__init__(parent)
        self._on_error = on_error
        self._tasks: set[Task] = set()
        self._busy: set[str] = set()
        self.closed = False

    def run(self, fn: Callable[..., Any], *args: Any, done: Callable[[Any], None] | None = None,
            failed: Callable[[BaseException], None] | None = None, key: str | None = None) -> Task | None:
        """Start fn(*args) on a worker thread. With `key`, a call is skipped while another with the same key
        is still running (polls that must not pile up)."""
        if self.closed or (key is not None and key in self._busy):
            return None
        task = Task(_call, fn, *args, parent=self)
        self._tasks.add(task)
        if key is not None:
            self._busy.add(key)

        def finished(result: Any) -> None:
            if not self.closed and done is not None:
                done(result)

        def error(exc: BaseException) -> None:
            if not self.closed:
                (failed or self._on_error)(exc)

        def over() -> None:
            self._tasks.discard(task)
            if key is not None:
                self._busy.discard(key)
            task.deleteLater()

        task.sig_task_finished.connect(finished)
        task.sig_task_failed.connect(error)
        task.sig_task_done.connect(over)
        task.start()
        return task

    def busy(self, key: str) -> bool:
        return key in self._busy

    def wait_all(self, timeout: float = 5.0) -> None:
        for task in list(self._tasks):
            task.wait(timeout)

    def close(self) -> None:
        self.closed = True
        for task in list(self._tasks):
            task.cancel()
