"""The charts' data layer: peak levels, smoothing, series and x axes (numpy only)."""

from __future__ import annotations

import numpy as np
import pytest

from studio.gui.panes.training.plots.lod import GrowingArray, PeakLevels
from studio.gui.panes.training.plots.series import RunData, Series
from studio.gui.panes.training.plots.smoothing import EMA, ema


def tensorboard_ema(values, weight):
    out, last, count = [], 0.0, 0
    for v in values:
        if not np.isfinite(v):
            out.append(v)
            continue
        last = weight * last + (1 - weight) * v
        count += 1
        out.append(last / (1 - weight**count))
    return np.array(out)


@pytest.mark.parametrize("weight", [0.0, 0.3, 0.6, 0.9, 0.99, 0.999])
def test_ema_equals_the_point_by_point_recurrence_in_one_go_and_in_pieces(weight):
    rng = np.random.default_rng(1)
    values = np.linspace(5, 1, 12_000) + rng.standard_normal(12_000)
    values[[10, 500, 9000]] = [np.nan, np.inf, np.nan]
    expected = tensorboard_ema(values, weight)
    assert np.allclose(ema(values, weight), expected, rtol=1e-12, atol=1e-12, equal_nan=True)
    state = EMA(weight)
    pieces = np.concatenate([state.feed(values[:1]), state.feed(values[1:4999]), state.feed(values[4999:])])
    assert np.allclose(pieces, expected, rtol=1e-12, atol=1e-12, equal_nan=True)


def test_ema_rejects_a_weight_of_one():
    with pytest.raises(ValueError):
        EMA(1.0)


def test_peak_levels_keep_every_extreme_of_the_drawn_range():
    rng = np.random.default_rng(2)
    values = rng.standard_normal(300_000)
    values[rng.integers(0, len(values), 50)] = np.nan
    values[123_457] = 40.0  # a spike that must survive any decimation
    levels = PeakLevels()
    n = 0
    for size in rng.integers(1, 20_000, 60):  # appended in uneven pieces, as a run writes
        n = min(len(values), n + int(size))
        levels.update(values[:n])
    levels.update(values)
    for i0, i1, cols in [(0, len(values), 800), (100_000, 150_000, 300), (123_000, 124_000, 2000), (5, 9, 100)]:
        index, y = levels.decimate(values, i0, i1, cols)
        assert len(y) <= 4 * cols + 16
        assert np.all(np.diff(index) >= 0)
        window = values[index[0] : i1]
        assert np.nanmax(y) == np.nanmax(window) and np.nanmin(y) == np.nanmin(window)
        assert index[0] <= i0 and index[-1] == i1 - 1


def test_levels_built_in_pieces_equal_levels_built_at_once():
    values = np.random.default_rng(3).random(100_003)
    whole, pieces = PeakLevels(), PeakLevels()
    whole.update(values)
    for end in [*range(7, len(values), 7_777), len(values)]:
        pieces.update(values[:end])
    assert len(whole.mins) == len(pieces.mins)
    for a, b in zip(whole.maxs + whole.mins, pieces.maxs + pieces.mins, strict=True):
        assert np.array_equal(a.view, b.view)


def test_a_resumed_run_rewriting_steps_replaces_the_tail():
    series = Series(smoothed=True, weight=0.5)
    series.append(np.arange(1, 101), np.full(100, 2.0))
    series.append(np.arange(81, 121), np.full(40, 1.0))  # resumed from the checkpoint at step 80
    assert len(series) == 120
    assert np.array_equal(series.steps.view, np.arange(1, 121))
    assert np.all(series.values.view[:80] == 2.0) and np.all(series.values.view[80:] == 1.0)
    assert np.allclose(series.smooth.view, ema(series.values.view, 0.5))


def test_x_axes_map_steps_to_tokens_and_time_and_back():
    run = RunData(1, "r", frozenset({"train_loss"}))
    steps = np.arange(1, 1001)
    run.append({"train_loss": (steps, np.ones(1000)), "tokens_seen": (steps, steps * 512.0),
                "elapsed_s": (steps, steps * 0.25)})
    assert run.axis_available("tokens") and run.axis_available("time")
    assert np.allclose(run.to_x([10, 500], "tokens"), [5120, 256_000])
    assert run.to_step(125.0, "time") == pytest.approx(500)
    x, y = run.visible("train_loss", False, (1000.0, 2048.0), "tokens", 100)
    assert x[0] <= 1000 and x[-1] >= 2048 and len(x) <= 10
    point = run.at("train_loss", 499.6)
    assert point.step == 500 and point.value == 1.0


def test_buffers_grow_with_headroom_and_a_reader_keeps_the_same_values():
    from studio.gui.panes.training.plots.lod import GrowingArray

    buffer = GrowingArray(capacity=16)
    buffer.append(np.arange(1000.0))
    seen = buffer.view
    buffer.reserve(10_000)  # the feed grows buffers before it takes the run's lock
    assert np.array_equal(seen, np.arange(1000.0)) and np.array_equal(buffer.view, seen)
    assert len(buffer._data) >= 11_000 + 5_500  # room to spare: growing is rare
    buffer.append(np.ones(10_000))
    assert len(buffer) == 11_000 and buffer.view[-1] == 1.0


def test_a_run_holds_its_lock_only_to_publish(monkeypatch):
    """The charts take the run's lock to draw: the feed must not hold it while it builds a million points."""
    import threading
    import time

    run = RunData(1, "r", frozenset({"train_loss"}), 0.6)
    held = []

    class TimedLock:
        def __init__(self):
            self._lock = threading.Lock()

        def __enter__(self):
            self._lock.acquire()
            self._t = time.perf_counter()

        def __exit__(self, *exc):
            held.append(time.perf_counter() - self._t)
            self._lock.release()

    run.lock = TimedLock()
    n = 1_000_000
    build = time.perf_counter()
    run.append({"train_loss": (np.arange(1, n + 1), np.random.default_rng(0).random(n))})
    build = time.perf_counter() - build
    run.append({"train_loss": (np.arange(n + 1, n + 21), np.ones(20))})
    assert len(run.series["train_loss"]) == n + 20
    assert max(held) < build / 10, (held, build)


def test_a_first_long_read_is_kept_without_a_copy_and_later_points_grow_it():
    first = np.arange(5000, dtype=np.float64)  # what the reader made: it owns its memory
    buf = GrowingArray(np.float64)
    buf.append(first)
    assert np.shares_memory(buf.view, first) and len(buf) == 5000
    before = buf.view
    buf.append(np.array([7.0, 8.0]))
    assert not np.shares_memory(buf.view, first)  # grown into a new buffer
    assert list(buf.view[-3:]) == [4999.0, 7.0, 8.0] and list(before[-2:]) == [4998.0, 4999.0]
    shared = np.arange(10_000, dtype=np.float64)
    other = GrowingArray(np.float64)
    other.append(shared[:6000])  # a view of someone else's array is copied
    other.truncate(10)
    other.append(np.zeros(3))
    assert not np.shares_memory(other.view, shared) and shared[10] == 10.0
    frozen = np.frombuffer(np.arange(6000, dtype=np.float64).tobytes())  # read-only: copied
    ro = GrowingArray(np.float64)
    ro.append(frozen)
    ro.truncate(5)
    ro.append(np.ones(2))
    assert list(ro.view) == [0.0, 1.0, 2.0, 3.0, 4.0, 1.0, 1.0]
