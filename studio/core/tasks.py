"""Cooperative long work: a plain `run(args, state)` function reports progress and checks for cancel
through a TaskState. The GUI runs such functions on a worker thread; the CLI runs them inline with a
text progress bar. Neither side knows the other (Orange3's concurrent.py is the model)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from studio.core.errors import Cancelled


@dataclass(frozen=True)
class Progress:
    fraction: float  # 0..1, or -1 when unknown
    message: str = ""
    eta_s: float | None = None


class TaskState:
    """Progress and cancellation for one piece of long work. Thread-safe."""

    def __init__(self, on_progress: Callable[[Progress], None] | None = None, min_interval_s: float = 0.05):
        self._cancel = threading.Event()
        self._on_progress = on_progress
        self._min_interval = min_interval_s
        self._last_emit = 0.0
        self._started = time.monotonic()
        self.last: Progress = Progress(0.0)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise Cancelled when the user asked to stop; call it often in loops."""
        if self._cancel.is_set():
            raise Cancelled("Cancelled.")

    def report(self, fraction: float, message: str = "", force: bool = False) -> None:
        """Record progress (rate-limited so that tight loops can call it freely) and check for cancel."""
        self.check()
        now = time.monotonic()
        if not force and now - self._last_emit < self._min_interval and fraction < 1.0:
            return
        self._last_emit = now
        eta = None
        if 0.0 < fraction < 1.0:
            elapsed = now - self._started
            eta = elapsed * (1.0 - fraction) / fraction
        self.last = Progress(max(-1.0, min(1.0, fraction)), message, eta)
        if self._on_progress is not None:
            self._on_progress(self.last)
