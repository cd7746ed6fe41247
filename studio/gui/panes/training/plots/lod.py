"""Growing numpy buffers and the peak levels that keep a million-point curve cheap to draw.

A chart is a few hundred pixels wide, so it never needs more than a few thousand points of a curve. pyqtgraph's
own peak downsampling (`setDownsampling(mode='peak')`) gets there by reducing the whole visible curve on every
`setData`: for 1,000,000 points and the eight curves of the training charts that took 31 ms a tick here, and
up to 80 ms stalls (bench/plot.py's first attempt). `PeakLevels` does the same reduction once, as points
arrive: level k holds the minimum and maximum of every block of 4 * 2**k points, updated for the new blocks only.
Drawing picks the level whose blocks are about a pixel wide and slices it: the work per frame is the number of
pixels, not the number of points. The curves still get pyqtgraph's peak downsampling and clipToView on top
(harmless on a few thousand points).
"""

from __future__ import annotations

import numpy as np

FIRST_BLOCK = 4  # level 0 reduces blocks of 4 points; level k blocks of 4 * 2**k


class GrowingArray:
    """A 1-D numpy buffer that appends in amortised O(1) by doubling its capacity."""

    def __init__(self, dtype=np.float64, capacity: int = 1024):
        self._data = np.empty(max(16, capacity), dtype=dtype)
        self.n = 0

    def __len__(self) -> int:
        return self.n

    @property
    def view(self) -> np.ndarray:
        """The filled part (a view: valid until the next append that grows the buffer)."""
        return self._data[: self.n]

    def reserve(self, extra: int) -> None:
        """Make room for `extra` more values. The filled part is copied before the new buffer replaces the
        old one, so a reader holding the old view sees the same values: the metrics feed grows buffers
        outside the run's lock (a million-point copy under it stalled the charts for 140 ms)."""
        need = self.n + extra
        if need > len(self._data):
            capacity = max(need + need // 2, 2 * len(self._data))
            grown = np.empty(capacity, dtype=self._data.dtype)
            grown[: self.n] = self._data[: self.n]
            self._data = grown

    def append(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=self._data.dtype)
        if self.n == 0 and len(values) > len(self._data) and values.base is None and values.flags.writeable \
                and values.flags.c_contiguous:
            # The first read of a long finished run: keep the array the reader made (it owns its memory and
            # nobody else holds it) instead of copying it; a later append grows it like any buffer.
            self._data, self.n = values, len(values)
            return
        self.reserve(len(values))
        need = self.n + len(values)
        self._data[self.n : need] = values
        self.n = need

    def truncate(self, n: int) -> None:
        self.n = max(0, min(self.n, n))


def _reduce(lo: np.ndarray, hi: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Min and max of consecutive groups of `width` values (NaN ignored unless a group is all NaN).

    Strided slices combined pairwise: numpy's reduce along a short last axis is several times slower."""
    m = len(lo) // width
    out_lo, out_hi = lo[0 : m * width : width].copy(), hi[0 : m * width : width].copy()
    for k in range(1, width):
        np.fmin(out_lo, lo[k : m * width : width], out=out_lo)
        np.fmax(out_hi, hi[k : m * width : width], out=out_hi)
    return out_lo, out_hi


class PeakLevels:
    """Per-block minimum and maximum of a growing series, at every power-of-two block size from 4 up."""

    def __init__(self) -> None:
        self.mins: list[GrowingArray] = []
        self.maxs: list[GrowingArray] = []

    def block(self, level: int) -> int:
        return FIRST_BLOCK << level

    def reserve(self, n: int) -> None:
        """Room for the levels of a series of n points (see GrowingArray.reserve)."""
        for level, (lo, hi) in enumerate(zip(self.mins, self.maxs, strict=True)):
            extra = n // self.block(level) - len(lo)
            if extra > 0:
                lo.reserve(extra)
                hi.reserve(extra)

    def update(self, values: np.ndarray) -> None:
        """Bring the levels up to date with `values` (the whole series, of which only new blocks are reduced)."""
        n = len(values)
        level = 0
        while n >= self.block(level):
            if level == len(self.mins):
                self.mins.append(GrowingArray(capacity=n // self.block(level) + 16))
                self.maxs.append(GrowingArray(capacity=n // self.block(level) + 16))
            lo, hi = self.mins[level], self.maxs[level]
            done = len(lo)
            complete = n // self.block(level)
            if complete > done:
                if level == 0:
                    chunk = values[done * FIRST_BLOCK : complete * FIRST_BLOCK]
                    new_lo, new_hi = _reduce(chunk, chunk, FIRST_BLOCK)
                else:
                    below_lo, below_hi = self.mins[level - 1].view, self.maxs[level - 1].view
                    new_lo, new_hi = _reduce(below_lo[2 * done : 2 * complete], below_hi[2 * done : 2 * complete], 2)
                lo.append(new_lo)
                hi.append(new_hi)
            level += 1

    def truncate(self, n: int) -> None:
        """Forget everything from point `n` on (the series was cut there)."""
        for level, (lo, hi) in enumerate(zip(self.mins, self.maxs, strict=True)):
            complete = n // self.block(level)
            lo.truncate(complete)
            hi.truncate(complete)

    def decimate(self, values: np.ndarray, i0: int, i1: int, max_blocks: int) -> tuple[np.ndarray, np.ndarray]:
        """Indices and values that draw points i0..i1 (exclusive) of the series in about `max_blocks` columns.

        Returns `(index, y)`: where the range is short, the points themselves; else, for each block of the
        chosen level, its first index twice with its maximum and minimum (pyqtgraph's 'peak' shape), then the
        points after the last complete block as they are. `index` says which point's x to draw each y at."""
        i0, i1 = max(0, i0), min(len(values), i1)
        if i1 <= i0:
            return np.empty(0, dtype=np.int64), np.empty(0)
        span = i1 - i0
        if span <= 2 * max_blocks or not self.mins:
            return np.arange(i0, i1, dtype=np.int64), values[i0:i1]
        level = 0
        while level + 1 < len(self.mins) and span / self.block(level) > max_blocks:
            level += 1
        b = self.block(level)
        j0, j1 = i0 // b, min(i1 // b, len(self.mins[level]))
        if j1 <= j0:
            return np.arange(i0, i1, dtype=np.int64), values[i0:i1]
        starts = np.arange(j0, j1, dtype=np.int64) * b
        index = np.repeat(starts, 2)
        y = np.empty(2 * (j1 - j0))
        y[0::2] = self.maxs[level].view[j0:j1]
        y[1::2] = self.mins[level].view[j0:j1]
        tail = j1 * b
        if tail < i1:
            index = np.concatenate([index, np.arange(tail, i1, dtype=np.int64)])
            y = np.concatenate([y, values[tail:i1]])
        return index, y
