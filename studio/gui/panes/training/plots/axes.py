"""Axes whose tick labels stay readable on short charts: as many labelled ticks as the chart's height has room
for; on a log scale at 1, 2 and 5 times the powers of ten (or fewer, or evenly spaced values inside one
decade), each labelled with its plain value. pyqtgraph's own log ticks label every minor tick (2, 3, … 9 of
each decade) whatever the height, and its linear ones ask for a few per level whatever the height: on a chart
of 60 pixels the labels overprint."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont, QFontMetricsF

LABEL_ROOM = 1.8  # a label needs this many text heights of axis


def fmt_tick(value: float) -> str:
    """1000 -> 1000, 0.0003 -> 0.0003, 2.5e-05 -> 2.5e-05, 12000 -> 1.2e+04: three significant digits."""
    return f"{value:.3g}"


def _linear_ticks(lo: float, hi: float, room: int) -> list[float]:
    """Evenly spaced nice values (1, 2 or 5 times a power of ten apart) in [lo, hi], at most `room`."""
    span = hi - lo
    if span <= 0:
        return [lo]
    if room < 2:  # room for one label: the nicest value in the middle of the range
        for digits in range(-math.floor(math.log10(span)), 16):
            middle = round((lo + hi) / 2, digits)
            if lo <= middle <= hi:
                return [middle]
        return [(lo + hi) / 2]
    step = 10 ** math.floor(math.log10(span / max(1, room)))
    for factor in (1, 2, 5, 10, 20, 50):
        spacing = step * factor
        first = math.ceil(lo / spacing) * spacing
        values = [first + i * spacing for i in range(int((hi - first) / spacing) + 1)]
        if len(values) <= room:
            return [v for v in values if lo <= v <= hi]
    return [lo, hi]


def log_ticks(low: float, high: float, room: int) -> list[float]:
    """Tick positions (log10 of the values) between `low` and `high` (log10 too), at most `room` of them:
    the densest of: every Nth power of ten, then 1 and 5, 1 2 5, 1 to 9 times each power; inside a single
    decade, evenly spaced values."""
    lo, hi = sorted((float(low), float(high)))
    room = max(1, int(room))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    options: list[list[float]] = []
    first, last = math.ceil(lo - 1e-9), math.floor(hi + 1e-9)
    for every in (100, 50, 20, 10, 5, 3, 2, 1):
        options.append([float(d) for d in range(first, last + 1) if d % every == 0])
    for mantissas in ((1, 5), (1, 2, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9)):
        options.append([d + math.log10(m) for d in range(math.floor(lo), math.ceil(hi) + 1) for m in mantissas
                        if lo - 1e-9 <= d + math.log10(m) <= hi + 1e-9])
    fitting = [o for o in options if min(2, room) <= len(o) <= room]
    if fitting:
        return max(fitting, key=len)
    if any(len(o) > room for o in options[:1]):  # even every 100th decade is too many: spread them out
        decades = options[0]
        return decades[:: math.ceil(len(decades) / room)]
    values = _linear_ticks(10 ** lo, 10 ** hi, room)
    return [math.log10(v) for v in values if v > 0]


class ReadableAxis(pg.AxisItem):
    """A vertical axis with as many labelled ticks as its height has room for, linear or log."""

    def _room(self, size: float) -> int:
        font = self.style.get("tickFont") or QFont()
        return max(1, int(size / (QFontMetricsF(font).height() * LABEL_ROOM)))

    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803 - pyqtgraph override
        if self.logMode or self.orientation not in ("left", "right"):
            return super().tickValues(minVal, maxVal, size)
        lo, hi = sorted((minVal, maxVal))
        values = _linear_ticks(lo, hi, self._room(size))
        spacing = values[1] - values[0] if len(values) > 1 else max(abs(hi - lo), 1e-12)
        return [(spacing, values)]

    def logTickValues(self, minVal, maxVal, size, stdTicks):  # noqa: N802, N803 - pyqtgraph override
        return [(None, log_ticks(minVal, maxVal, self._room(size)))]

    def logTickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph override
        return [fmt_tick(10 ** v) for v in np.asarray(values, dtype=float)]
