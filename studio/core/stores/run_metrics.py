"""Metrics of training runs: written by the worker in batches, read by the GUI and the CLI as numpy arrays.

Writing (`MetricWriter`, one per run, in the worker of rank 0): points are buffered and written a few times a
second in one transaction (BEGIN IMMEDIATE, Core executemany: ORM add_all is 15x slower), which also updates
the run's progress columns and heartbeat. Every BLOCK points of a metric, the same transaction packs them into
one `run_metric_blocks` row (two little-endian arrays) and removes their rows, so that reading a curve of a
million points means a few hundred blob rows plus at most BLOCK - 1 loose rows (a range scan of the covering
primary key (run, metric, step)). A kill -9 loses at most the points of the last unflushed batch.

Reading (`read_curves`): the arrays, optionally only after a step (live updates) and optionally
downsampled to at most `max_points` with min/max per bucket (the peaks stay visible).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import delete, insert, update

from studio.core.db import Database
from studio.core.db.tables.runs import RunMetricBlockRow, RunMetricRow, RunRow

# What the worker records at every optimizer step (val_loss on evaluation steps only).
METRICS = ("train_loss", "val_loss", "lr", "grad_norm", "tokens_per_s", "tokens_seen", "elapsed_s")
BLOCK = 4096
_STEPS = np.dtype("<i8")
_VALUES = np.dtype("<f8")


@dataclass(frozen=True)
class Curve:
    metric: str
    steps: np.ndarray  # int64, increasing
    values: np.ndarray  # float64

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def last(self) -> float | None:
        return float(self.values[-1]) if len(self.values) else None


def _empty(metric: str) -> Curve:
    return Curve(metric, np.empty(0, _STEPS), np.empty(0, _VALUES))


class MetricWriter:
    """Buffers one run's points and writes them with `flush()`. Not thread-safe: one writer per run."""

    def __init__(self, db: Database, run_id: int, block: int = BLOCK):
        self.db = db
        self.run_id = run_id
        self.block = block
        self._buffer: list[dict[str, Any]] = []
        self._loose: dict[str, list[tuple[int, float]]] = {}  # written as rows, not yet packed
        self.rows_written = 0

    def load_loose(self) -> None:
        """Pick up the loose rows a previous worker of this run left (a resume), so that they are packed
        with the next points."""
        with self.db.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT metric, step, value FROM run_metrics WHERE run_id = ? ORDER BY metric, step", (self.run_id,)
            ).all()
        self._loose = {}
        for metric, step, value in rows:
            self._loose.setdefault(metric, []).append((int(step), float(value)))

    def add(self, step: int, values: Mapping[str, float | None]) -> None:
        for metric, value in values.items():
            if value is not None and math.isfinite(value):
                self._buffer.append({"run_id": self.run_id, "metric": metric, "step": int(step),
                                     "value": float(value)})

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def flush(self, run_update: Mapping[str, Any] | None = None) -> int:
        """Write the buffered points (and `run_update`, columns of the run row) in one transaction; returns
        the number of points written. On an error nothing is written and the points stay buffered."""
        rows = self._buffer
        if not rows and not run_update:
            return 0
        loose = {m: list(points) for m, points in self._loose.items()}
        for r in rows:
            loose.setdefault(r["metric"], []).append((r["step"], r["value"]))
        blocks = []
        for metric, points in loose.items():
            while len(points) >= self.block:
                chunk, points[:] = points[:self.block], points[self.block:]
                steps = np.fromiter((s for s, _ in chunk), _STEPS, len(chunk))
                values = np.fromiter((v for _, v in chunk), _VALUES, len(chunk))
                blocks.append({"run_id": self.run_id, "metric": metric, "first_step": int(steps[0]),
                               "last_step": int(steps[-1]), "count": len(chunk), "step_bytes": steps.tobytes(),
                               "value_bytes": values.tobytes()})
        with self.db.immediate() as conn:
            if rows:
                conn.execute(insert(RunMetricRow), rows)
            for b in blocks:
                conn.execute(delete(RunMetricRow).where(
                    RunMetricRow.run_id == self.run_id, RunMetricRow.metric == b["metric"],
                    RunMetricRow.step.between(b["first_step"], b["last_step"])))
            if blocks:
                conn.execute(insert(RunMetricBlockRow), blocks)
            if run_update:
                conn.execute(update(RunRow).where(RunRow.id == self.run_id).values(**run_update))
        self._loose = loose
        self._buffer = []
        self.rows_written += len(rows)
        return len(rows)


def read_curves(db: Database, run_id: int, metrics: Iterable[str] | None = None, *, after_step: int | None = None,
                max_points: int | None = None) -> dict[str, Curve]:
    """The curves of a run: {metric: Curve}, every metric asked for (empty when it has no point yet).
    `after_step` keeps only later points (for live updates); `max_points` downsamples each curve."""
    names = tuple(metrics) if metrics is not None else METRICS
    after = -1 if after_step is None else int(after_step)
    parts: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {m: [] for m in names}
    marks = ",".join("?" * len(names))
    with db.engine.connect() as conn:
        for metric, first, sb, vb in conn.exec_driver_sql(
            f"SELECT metric, first_step, step_bytes, value_bytes FROM run_metric_blocks "
            f"WHERE run_id = ? AND metric IN ({marks}) AND last_step > ? ORDER BY metric, first_step",
            (run_id, *names, after),
        ):
            steps, values = np.frombuffer(sb, _STEPS), np.frombuffer(vb, _VALUES)
            if first <= after:
                keep = steps > after
                steps, values = steps[keep], values[keep]
            parts[metric].append((steps, values))
        loose = conn.exec_driver_sql(
            f"SELECT metric, step, value FROM run_metrics WHERE run_id = ? AND metric IN ({marks}) AND step > ? "
            "ORDER BY metric, step", (run_id, *names, after),
        ).cursor.fetchall()  # the driver's plain tuples: SQLAlchemy Rows cost ~30 us each to unpack
    if loose:
        # Columns from plain tuples: np.array over SQLAlchemy Rows probed each row for the array protocols
        # through its missing-key path (4.3 s for a live run's 16,000 loose points)
        metric_col, step_col, value_col = zip(*loose, strict=True)
        column = np.array(metric_col)
        all_steps, all_values = np.array(step_col, dtype=_STEPS), np.array(value_col, dtype=_VALUES)
        for metric in names:
            sel = column == metric
            if sel.any():
                parts[metric].append((all_steps[sel], all_values[sel]))
    out = {}
    for metric in names:
        if not parts[metric]:
            out[metric] = _empty(metric)
            continue
        steps = np.concatenate([s for s, _ in parts[metric]])
        values = np.concatenate([v for _, v in parts[metric]])
        curve = Curve(metric, steps, values)
        out[metric] = downsample(curve, max_points) if max_points else curve
    return out


def downsample(curve: Curve, max_points: int) -> Curve:
    """At most `max_points` points: the curve cut into max_points // 2 buckets of consecutive points, each
    giving its minimum and its maximum in step order (peaks and dips survive, unlike taking every k-th)."""
    n = len(curve)
    if max_points < 2 or n <= max_points:
        return curve
    buckets = max_points // 2
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    starts = edges[:-1]
    lo = np.minimum.reduceat(curve.values, starts)
    hi = np.maximum.reduceat(curve.values, starts)
    # where in each bucket the extremes are, so the output keeps the order of the steps
    idx = np.arange(n)
    bucket_of = np.repeat(np.arange(buckets), np.diff(edges))
    is_lo = curve.values == lo[bucket_of]
    is_hi = curve.values == hi[bucket_of]
    first_lo = np.full(buckets, n, np.int64)
    first_hi = np.full(buckets, n, np.int64)
    np.minimum.at(first_lo, bucket_of[is_lo], idx[is_lo])
    np.minimum.at(first_hi, bucket_of[is_hi], idx[is_hi])
    pick = np.sort(np.concatenate([first_lo, first_hi]))
    pick = np.unique(pick[pick < n])
    return Curve(curve.metric, curve.steps[pick], curve.values[pick])


def truncate_after(db: Database, run_id: int, step: int) -> int:
    """Remove every point after `step` (a run resumed from an earlier checkpoint computes them again);
    a block that straddles `step` keeps its earlier points as loose rows. Returns the points removed."""
    removed = 0
    with db.immediate() as conn:
        straddling = conn.exec_driver_sql(
            "SELECT metric, step_bytes, value_bytes, count FROM run_metric_blocks "
            "WHERE run_id = ? AND last_step > ?", (run_id, step)).all()
        rows = []
        for metric, sb, vb, count in straddling:
            steps, values = np.frombuffer(sb, _STEPS), np.frombuffer(vb, _VALUES)
            keep = steps <= step
            removed += int(count - keep.sum())
            rows.extend({"run_id": run_id, "metric": metric, "step": int(s), "value": float(v)}
                        for s, v in zip(steps[keep], values[keep], strict=True))
        conn.execute(delete(RunMetricBlockRow).where(RunMetricBlockRow.run_id == run_id,
                                                     RunMetricBlockRow.last_step > step))
        result = conn.execute(delete(RunMetricRow).where(RunMetricRow.run_id == run_id, RunMetricRow.step > step))
        removed += result.rowcount or 0
        if rows:
            conn.execute(insert(RunMetricRow), rows)
    return removed


def count_points(db: Database, run_id: int) -> int:
    with db.engine.connect() as conn:
        loose = conn.exec_driver_sql("SELECT count(*) FROM run_metrics WHERE run_id = ?", (run_id,)).scalar()
        packed = conn.exec_driver_sql("SELECT coalesce(sum(count), 0) FROM run_metric_blocks WHERE run_id = ?",
                                      (run_id,)).scalar()
    return int(loose or 0) + int(packed or 0)
