"""Exponential moving average as TensorBoard draws it: debiased, non-finite points left out (and shown as
they are), continued point by point as a curve grows.

    s_t = a * s_{t-1} + (1 - a) * x_t,   s_0 = 0,   shown: s_t / (1 - a**t)   (t counts finite points)

A Python loop over a million points takes about a second; numpy has no recurrence, so a chunk of L points is
solved in closed form, s_i = a**(i+1) s_prev + (1 - a) a**i cumsum(a**-j x_j), with L small enough that
a**-L stays far from overflow (1e130 at most; the rounding error stays relative to the data).
"""

from __future__ import annotations

import math

import numpy as np


class EMA:
    """The running state of one smoothed curve: feed it the new points, get their smoothed values."""

    def __init__(self, weight: float):
        if not 0.0 <= weight < 1.0:
            raise ValueError("the smoothing weight must be in [0, 1)")
        self.weight = weight
        self.last = 0.0  # s_{t}, before debiasing
        self.count = 0  # finite points so far
        self._chunk = 4096 if weight == 0.0 else max(1, min(4096, int(300.0 / -math.log(weight))))

    def feed(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=np.float64)
        out = values.copy()
        if self.weight == 0.0 or len(values) == 0:
            self.count += int(np.isfinite(values).sum())
            finite = values[np.isfinite(values)]
            if len(finite):
                self.last = float(finite[-1])
            return out
        finite = np.isfinite(values)
        x = values[finite]
        if len(x):
            out[finite] = self._smooth(x)
        return out

    def _smooth(self, x: np.ndarray) -> np.ndarray:
        a = self.weight
        size = min(self._chunk, len(x))
        k = np.arange(size, dtype=np.float64)
        up_all, down_all = a ** (-k), a**k  # a**-j and a**i for a whole chunk, computed once
        result = np.empty_like(x)
        for start in range(0, len(x), size):
            part = x[start : start + size]
            m = len(part)
            up, down = up_all[:m], down_all[:m]
            s = down * (a * self.last + (1.0 - a) * np.cumsum(part * up))
            self.last = float(s[-1])
            # Debias: the weight of the zero start is a**t, t the 1-based count of finite points.
            result[start : start + m] = s / (1.0 - a ** (self.count + 1) * down)
            self.count += m
        return result


def ema(values: np.ndarray, weight: float) -> np.ndarray:
    """The smoothed copy of a whole curve."""
    return EMA(weight).feed(values)
