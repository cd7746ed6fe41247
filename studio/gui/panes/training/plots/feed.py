"""The metrics feed: a worker thread that reads new points of the watched runs and hands them to the charts.

The GUI thread never waits on the database. Every POLL_S (or at once when woken: a run was added, the
smoothing changed) the thread asks `reader(run_id, since)` for the points after the last step it holds of each
metric, appends them to that run's `RunData` (peak levels and smoothing included, so the GUI thread only slices
ready arrays), and emits `sig_run_changed(run_id)`. The charts redraw on their own timer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, Signal

from studio.gui.panes.training.plots.series import RunData

log = logging.getLogger(__name__)

POLL_S = 0.2  # with the charts' 80 ms redraw, a point shows within 0.3 s of being written

# reader(run_id, since) -> {metric: (steps, values)} with the points after since[metric] (all when absent).
Reader = Callable[[int, dict[str, int]], dict[str, tuple[np.ndarray, np.ndarray]]]


class MetricsFeed(QObject):
    sig_run_changed = Signal(int)  # run id: new points, or a new smoothing
    sig_read_failed = Signal(int, str)  # run id, message

    def __init__(self, reader: Reader, parent: QObject | None = None):
        super().__init__(parent)
        self._reader = reader
        self._runs: dict[int, RunData] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._weight: float | None = None
        self._failed: set[int] = set()
        self._thread = threading.Thread(target=self._loop, name="metrics-feed", daemon=True)
        self._thread.start()

    def watch(self, run: RunData) -> None:
        with self._lock:
            self._runs[run.run_id] = run
            self._failed.discard(run.run_id)
        self._wake.set()

    def unwatch(self, run_id: int) -> None:
        with self._lock:
            self._runs.pop(run_id, None)

    def set_smoothing(self, weight: float) -> None:
        with self._lock:
            self._weight = weight
        self._wake.set()

    def set_live(self, run_id: int, live: bool) -> None:
        with self._lock:
            run = self._runs.get(run_id)
        if run is not None and run.live != live:
            run.live = live
            run.settled = False  # read once more: the last points may have come with the status
            self._wake.set()

    def poll_now(self) -> None:
        self._wake.set()

    def close(self) -> None:
        self._closing.set()
        self._wake.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._closing.is_set():
            self._wake.wait(POLL_S)
            self._wake.clear()
            if self._closing.is_set():
                break
            with self._lock:
                runs = list(self._runs.values())
                weight, self._weight = self._weight, None
            if weight is not None:
                for run in runs:
                    run.set_weight(weight)
                    self._emit(run.run_id)
            for run in runs:
                if self._closing.is_set():
                    break
                if run.live or not run.settled:
                    self._read(run)

    def _read(self, run: RunData) -> None:
        try:
            arrays = self._reader(run.run_id, run.since())
        except Exception as error:  # noqa: BLE001 - said once in the pane, detail in the log
            if run.run_id not in self._failed:
                self._failed.add(run.run_id)
                log.warning("reading the metrics of run %s failed: %s", run.run_id, error)
                if not self._closing.is_set():
                    self.sig_read_failed.emit(run.run_id, str(error))
            return
        self._failed.discard(run.run_id)
        with self._lock:
            if self._runs.get(run.run_id) is not run:  # unwatched meanwhile
                return
        first, run.read_once = not run.read_once, True
        if run.append(arrays) or first:  # the first read is told even when it brought nothing
            self._emit(run.run_id)
        elif not run.live:
            run.settled = True  # finished and fully read: no more polling

    def _emit(self, run_id: int) -> None:
        if not self._closing.is_set():
            self.sig_run_changed.emit(run_id)
