"""The points of one run held for its charts: one `Series` per metric, and the run's x axes.

Every series is indexed by step. The other x axes (tokens seen, wall time) are the run's own `tokens_seen` and
`elapsed_s` metrics, which grow with the step: a step maps to them, and back, by interpolation, and only the
few thousand points actually drawn are mapped. So switching the x axis costs nothing and one set of peak levels
serves all three.

Thread use: the metrics feed's thread is the only writer (append, truncate, resmooth); the GUI thread reads
(`visible`, `at`). Both hold `RunData.lock`; the writer builds big arrays before taking it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from studio.gui.panes.training.plots.lod import GrowingArray, PeakLevels
from studio.gui.panes.training.plots.smoothing import EMA

# The x axes a chart can be drawn against, and the metric that gives each (None: the step itself).
X_AXES = {"step": None, "tokens": "tokens_seen", "time": "elapsed_s"}


class Series:
    """Steps and values of one metric, their peak levels, and (for noisy metrics) a smoothed copy."""

    def __init__(self, smoothed: bool, weight: float = 0.0):
        self.steps = GrowingArray(np.int64)
        self.values = GrowingArray(np.float64)
        self.levels = PeakLevels()
        self.has_smooth = smoothed
        self.weight = weight
        self.smooth = GrowingArray(np.float64) if smoothed else None
        self.smooth_levels = PeakLevels() if smoothed else None
        self._ema = EMA(weight) if smoothed else None

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def last_step(self) -> int:
        return int(self.steps.view[-1]) if len(self.steps) else -1

    def append(self, steps: np.ndarray, values: np.ndarray) -> None:
        """Add points; a first step at or before the last one held replaces the tail from there (a run resumed
        from an earlier checkpoint writes those steps again)."""
        steps = np.asarray(steps, dtype=np.int64)
        values = np.asarray(values, dtype=np.float64)
        if len(steps) == 0:
            return
        if len(self.steps) and steps[0] <= self.last_step:
            self.truncate(int(np.searchsorted(self.steps.view, steps[0], side="left")))
        self.steps.append(steps)
        self.values.append(values)
        self.levels.update(self.values.view)
        if self.smooth is not None:
            self.smooth.append(self._ema.feed(values))
            self.smooth_levels.update(self.smooth.view)

    def reserve(self, extra: int) -> None:
        """Grow every buffer for `extra` more points, without changing what a reader sees."""
        self.steps.reserve(extra)
        self.values.reserve(extra)
        self.levels.reserve(len(self.values) + extra)
        if self.smooth is not None:
            self.smooth.reserve(extra)
            self.smooth_levels.reserve(len(self.values) + extra)

    def truncate(self, n: int) -> None:
        self.steps.truncate(n)
        self.values.truncate(n)
        self.levels.truncate(n)
        if self.smooth is not None:
            # The smoothing state cannot be rewound: recompute it for what is kept.
            self.set_weight(self.weight)

    def set_weight(self, weight: float) -> None:
        if self.smooth is None:
            return
        self.weight = weight
        self._ema = EMA(weight)
        fresh = GrowingArray(np.float64, capacity=len(self.values) + 1024)
        fresh.append(self._ema.feed(self.values.view))
        levels = PeakLevels()
        levels.update(fresh.view)
        self.smooth, self.smooth_levels = fresh, levels

    def columns(self, smoothed: bool) -> tuple[GrowingArray, PeakLevels]:
        if smoothed and self.smooth is not None:
            return self.smooth, self.smooth_levels
        return self.values, self.levels


@dataclass(frozen=True)
class Readout:
    """The point of a series nearest to where the mouse is: for the hover text."""

    metric: str
    step: int
    value: float
    smoothed: float | None


class RunData:
    """All series of one run, and the maps from step to the other x axes."""

    def __init__(self, run_id: int, name: str, smoothed_metrics: frozenset[str], weight: float = 0.0):
        self.run_id = run_id
        self.name = name
        self.lock = threading.Lock()
        self.series: dict[str, Series] = {}
        self.smoothed_metrics = smoothed_metrics
        self.weight = weight
        self.version = 0  # bumped on every change; the charts redraw what changed
        # A finished run is read until a read brings nothing new; a live one on every poll.
        self.live = True
        self.settled = False
        self.read_once = False  # until the first read ends, "no points" would be a guess

    # -- writing (the feed's thread) -----------------------------------------------------------------------
    def append(self, arrays: dict[str, tuple[np.ndarray, np.ndarray]]) -> bool:
        """Add new points. The heavy part happens outside the lock, so that the charts never wait on it: a
        new metric's series is built whole before it is published, and existing buffers grow first."""
        fresh: dict[str, Series] = {}
        for metric, (steps, values) in arrays.items():
            if len(steps) == 0:
                continue
            series = self.series.get(metric)  # only this thread adds series: reading without the lock is safe
            if series is None:
                series = fresh[metric] = Series(metric in self.smoothed_metrics, self.weight)
                series.append(steps, values)
            else:
                series.reserve(len(steps))
        if not fresh and not any(len(steps) for steps, _ in arrays.values()):
            return False
        with self.lock:
            for metric, (steps, values) in arrays.items():
                if len(steps) and metric not in fresh:
                    self.series[metric].append(steps, values)
            self.series.update(fresh)
            self.version += 1
        return True

    def since(self) -> dict[str, int]:
        """The last step held per metric: what to ask the store for next."""
        with self.lock:
            return {metric: s.last_step for metric, s in self.series.items()}

    def set_weight(self, weight: float) -> None:
        # Smooth outside the lock on the values as they are now (only this thread appends), then swap in.
        with self.lock:
            todo = [(m, s, len(s)) for m, s in self.series.items() if s.has_smooth]
            self.weight = weight
        for _metric, series, n in todo:
            ema = EMA(weight)
            fresh = GrowingArray(np.float64, capacity=n + 1024)
            fresh.append(ema.feed(series.values.view[:n]))
            levels = PeakLevels()
            levels.update(fresh.view)
            with self.lock:
                if len(series) == n:
                    series.weight, series._ema, series.smooth, series.smooth_levels = weight, ema, fresh, levels
                else:
                    series.set_weight(weight)
                self.version += 1

    # -- reading (the GUI thread, under the lock) -----------------------------------------------------------
    def axis_available(self, axis: str) -> bool:
        metric = X_AXES[axis]
        return metric is None or len(self.series.get(metric, ())) > 1

    def to_x(self, steps: np.ndarray, axis: str) -> np.ndarray:
        metric = X_AXES[axis]
        steps = np.asarray(steps, dtype=np.float64)
        if metric is None or not self.axis_available(axis):
            return steps
        ref = self.series[metric]
        return np.interp(steps, ref.steps.view, ref.values.view)

    def to_step(self, x: float, axis: str) -> float:
        metric = X_AXES[axis]
        if metric is None or not self.axis_available(axis):
            return float(x)
        ref = self.series[metric]
        return float(np.interp(x, ref.values.view, ref.steps.view))

    def visible(self, metric: str, smoothed: bool, x_range: tuple[float, float] | None, axis: str,
                columns: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The x and y arrays that draw `metric` over `x_range` (None: all of it) in about `columns` blocks."""
        series = self.series.get(metric)
        if series is None or len(series) == 0:
            return None
        if smoothed and series.smooth is None:
            return None
        values, levels = series.columns(smoothed)
        steps = series.steps.view
        if x_range is None:
            i0, i1 = 0, len(series)
        else:
            lo, hi = self.to_step(x_range[0], axis), self.to_step(x_range[1], axis)
            # One point beyond each edge, so that the line runs to the border of the chart.
            i0 = max(0, int(np.searchsorted(steps, lo, side="left")) - 1)
            i1 = min(len(series), int(np.searchsorted(steps, hi, side="right")) + 1)
        index, y = levels.decimate(values.view, i0, i1, columns)
        return self.to_x(steps[index], axis), y

    def at(self, metric: str, step: float) -> Readout | None:
        """The point of `metric` nearest to `step`."""
        series = self.series.get(metric)
        if series is None or len(series) == 0:
            return None
        steps = series.steps.view
        i = int(np.searchsorted(steps, step))
        if i >= len(steps) or (i > 0 and step - steps[i - 1] <= steps[i] - step):
            i = max(0, i - 1)
        smooth = float(series.smooth.view[i]) if series.smooth is not None and series.weight > 0 else None
        return Readout(metric, int(steps[i]), float(series.values.view[i]), smooth)

    def arrays(self, metric: str) -> tuple[np.ndarray, np.ndarray]:
        """Copies of all points of a metric (for the CSV export)."""
        series = self.series.get(metric)
        if series is None:
            return np.empty(0, dtype=np.int64), np.empty(0)
        return series.steps.view.copy(), series.values.view.copy()
