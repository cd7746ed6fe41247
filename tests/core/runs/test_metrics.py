import time

import numpy as np
import pytest
from sqlalchemy import insert

from studio.core.db.tables.runs import RunMetricBlockRow
from studio.core.stores.run_metrics import (
    BLOCK,
    Curve,
    MetricWriter,
    count_points,
    downsample,
    read_curves,
    truncate_after,
)


def _write(studio, run_id, steps, block=16, flush_every=7):
    w = MetricWriter(studio.db, run_id, block=block)
    for i, step in enumerate(steps):
        values = {"train_loss": 10.0 - step * 0.01, "lr": 1e-3}
        if step % 5 == 0:
            values["val_loss"] = 9.0 - step * 0.01
        w.add(step, values)
        if i % flush_every == 0:
            w.flush({"step": step})
    w.flush()
    return w


def test_points_round_trip_through_rows_and_blocks(studio, run_row):
    run = run_row()
    _write(studio, run, range(1, 101))
    curves = read_curves(studio.db, run)
    np.testing.assert_array_equal(curves["train_loss"].steps, np.arange(1, 101))
    np.testing.assert_allclose(curves["train_loss"].values, 10.0 - np.arange(1, 101) * 0.01)
    np.testing.assert_array_equal(curves["val_loss"].steps, np.arange(5, 101, 5))
    assert len(curves["grad_norm"]) == 0  # asked for (all metrics by default), none written
    assert count_points(studio.db, run) == 100 + 100 + 20
    with studio.db.engine.connect() as conn:
        blocks = conn.exec_driver_sql("SELECT count(*) FROM run_metric_blocks WHERE run_id = ?", (run,)).scalar()
        loose = conn.exec_driver_sql("SELECT count(*) FROM run_metrics WHERE run_id = ?", (run,)).scalar()
    assert blocks == 6 + 6 + 1 and loose == 4 + 4 + 4  # packed by 16, the rest loose


def test_after_step_returns_only_new_points_across_blocks(studio, run_row):
    run = run_row()
    _write(studio, run, range(1, 101))
    new = read_curves(studio.db, run, ["train_loss"], after_step=40)["train_loss"]
    np.testing.assert_array_equal(new.steps, np.arange(41, 101))


def test_two_runs_do_not_mix(studio, run_row):
    a, b = run_row(), run_row()
    _write(studio, a, range(1, 40))
    _write(studio, b, range(1, 20))
    assert len(read_curves(studio.db, a)["train_loss"]) == 39
    assert len(read_curves(studio.db, b)["train_loss"]) == 19


def test_non_finite_values_are_not_written(studio, run_row):
    run = run_row()
    w = MetricWriter(studio.db, run)
    w.add(1, {"train_loss": float("nan"), "lr": 0.1, "val_loss": None})
    assert w.flush() == 1


def test_a_resumed_writer_packs_the_loose_rows_of_the_previous_one(studio, run_row):
    run = run_row()
    _write(studio, run, range(1, 11))  # 10 loose rows each
    w = MetricWriter(studio.db, run, block=16)
    w.load_loose()
    for step in range(11, 21):
        w.add(step, {"train_loss": float(step)})
    w.flush()
    curve = read_curves(studio.db, run, ["train_loss"])["train_loss"]
    np.testing.assert_array_equal(curve.steps, np.arange(1, 21))
    with studio.db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count FROM run_metric_blocks WHERE run_id = ? AND metric = 'train_loss'",
                                    (run,)).scalar() == 16


def test_truncate_after_splits_a_straddling_block(studio, run_row):
    run = run_row()
    _write(studio, run, range(1, 101))
    removed = truncate_after(studio.db, run, 40)
    assert removed == 60 + 60 + 12
    curves = read_curves(studio.db, run)
    np.testing.assert_array_equal(curves["train_loss"].steps, np.arange(1, 41))
    np.testing.assert_array_equal(curves["val_loss"].steps, np.arange(5, 41, 5))
    w = MetricWriter(studio.db, run, block=16)  # and writing goes on from there
    w.load_loose()
    for step in range(41, 61):
        w.add(step, {"train_loss": 0.5})
    w.flush()
    np.testing.assert_array_equal(read_curves(studio.db, run, ["train_loss"])["train_loss"].steps, np.arange(1, 61))


def test_a_failed_flush_keeps_the_points_buffered(studio, run_row, monkeypatch):
    run = run_row()
    w = MetricWriter(studio.db, run)
    w.add(1, {"train_loss": 1.0})
    from studio.core.errors import DatabaseError

    with pytest.raises(DatabaseError):
        w.flush({"no_such_column": 1})
    assert w.pending == 1
    w.flush()
    assert len(read_curves(studio.db, run)["train_loss"]) == 1


def test_downsample_keeps_peaks_and_order():
    steps = np.arange(100_000)
    values = np.sin(steps / 1000.0)
    values[12345] = 50.0  # a spike
    values[67890] = -50.0
    small = downsample(Curve("x", steps, values), 1000)
    assert len(small) <= 1000
    assert np.all(np.diff(small.steps) > 0)
    assert 50.0 in small.values and -50.0 in small.values
    same = downsample(Curve("x", steps[:10], values[:10]), 1000)
    assert len(same) == 10


def test_a_million_points_load_fast(studio, run_row):
    """The Training pane opens a finished run of 1,000,000 steps well under 0.5 s (issue 7)."""
    run = run_row()
    n = 1_000_000
    steps = np.arange(1, n + 1, dtype=np.int64)
    values = np.linspace(5, 1, n)
    with studio.db.immediate() as conn:  # packed as the writer packs them (filling row by row takes ~7 s)
        for start in range(0, n - 1000, BLOCK):
            s, v = steps[start:start + BLOCK], values[start:start + BLOCK]
            conn.execute(insert(RunMetricBlockRow).values(
                run_id=run, metric="train_loss", first_step=int(s[0]), last_step=int(s[-1]), count=len(s),
                step_bytes=s.tobytes(), value_bytes=v.tobytes()))
    w = MetricWriter(studio.db, run)
    w.load_loose()
    for s, v in zip(steps[start + BLOCK:], values[start + BLOCK:], strict=True):
        w.add(int(s), {"train_loss": float(v)})
    w.flush()
    def best_of_3(**kw):
        # Best of three: a loaded CI machine can stall any one read; the bound is about the code's cost.
        best, got = 1e9, None
        for _ in range(3):
            t = time.perf_counter()
            got = read_curves(studio.db, run, ["train_loss"], **kw)["train_loss"]
            best = min(best, time.perf_counter() - t)
        return best, got

    best, curve = best_of_3()
    assert len(curve) == n and curve.steps[-1] == n
    down, small = best_of_3(max_points=4000)
    assert len(small) <= 4000
    print(f"1M points: {best * 1000:.1f} ms, downsampled to 4000: {down * 1000:.1f} ms")
    assert best < 0.25, best
    assert down < 0.25, down
