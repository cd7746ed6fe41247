"""The Training pane's live charts under load, each figure beside a baseline from the same run:

1. Streaming: a worker process writes 100 steps/s (7 metrics a step, in batches every 0.1 s, Core executemany
   into the metrics table) to a run whose curves already hold N points (default 1,000,000 each); the charts
   follow it for S seconds (default 30) while a 5 ms probe timer measures the GUI event loop. Figures: the
   longest stall (goal: under 50 ms), the 99th percentile, stalls over 50 ms, and the latency from a point's
   commit to the redraw that shows it (goal: under 0.5 s). Baselines: the same window idle (the machine's
   floor) and pyqtgraph alone (each curve handed its whole buffer on every tick, with setDownsampling(peak) and
   setClipToView: house style 7 without the peak levels).
2. Opening a finished run of N steps (7 metrics): from selecting it to its full curves drawn (goal: under
   0.5 s), against reading one of its metrics row by row from the covering index.

    .venv/bin/python bench/plot.py [--points 1000000] [--seconds 30]

The metrics come from the run store's fast read (packed blocks of steps and values plus the newest rows).
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

METRICS = ("train_loss", "val_loss", "lr", "grad_norm", "tokens_per_s", "tokens_seen", "elapsed_s")
BLOCK = 8192
RATE = 100  # steps per second
BATCH_S = 0.1

# -- a stand-in for the run store: the same two tables as the engine's (rows, then packed blocks) ----------
SCHEMA = """
CREATE TABLE run_metrics (run_id INTEGER, metric TEXT, step INTEGER, value REAL,
                          PRIMARY KEY (run_id, metric, step)) WITHOUT ROWID;
CREATE TABLE run_metric_blocks (run_id INTEGER, metric TEXT, first_step INTEGER, last_step INTEGER,
                                count INTEGER, step_bytes BLOB, value_bytes BLOB,
                                PRIMARY KEY (run_id, metric, first_step)) WITHOUT ROWID;
"""


def connect(path: str) -> sqlite3.Connection:
    con = sqlite3.connect(path, timeout=30, check_same_thread=False)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    return con


def curve_values(metric: str, steps: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    s = steps.astype(np.float64)
    if metric == "train_loss":
        return 1.2 + 3.0 * np.exp(-s / 2e5) + 0.15 * rng.standard_normal(len(s))
    if metric == "val_loss":
        return 1.3 + 3.0 * np.exp(-s / 2e5)
    if metric == "lr":
        return 3e-4 * (0.5 + 0.5 * np.cos(np.pi * np.minimum(s / 2e6, 1.0)))
    if metric == "grad_norm":
        return 0.5 + 0.3 * np.abs(rng.standard_normal(len(s)))
    if metric == "tokens_per_s":
        return 25_000 + 800 * rng.standard_normal(len(s))
    if metric == "tokens_seen":
        return s * 4096.0
    return s * 0.16  # elapsed_s


def fill_blocks(con: sqlite3.Connection, run_id: int, n: int) -> None:
    rng = np.random.default_rng(run_id)
    for metric in METRICS:
        every = 100 if metric == "val_loss" else 1
        steps = np.arange(every, n + 1, every, dtype=np.int64)
        values = curve_values(metric, steps, rng)
        con.executemany(
            "INSERT INTO run_metric_blocks VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((run_id, metric, int(steps[i]), int(steps[min(i + BLOCK, len(steps)) - 1]),
              len(steps[i : i + BLOCK]), steps[i : i + BLOCK].astype("<i8").tobytes(),
              values[i : i + BLOCK].astype("<f8").tobytes()) for i in range(0, len(steps), BLOCK)),
        )
    con.commit()


def fill_rows(con: sqlite3.Connection, run_id: int, metric: str, n: int) -> None:
    steps = np.arange(1, n + 1, dtype=np.int64)
    values = curve_values(metric, steps, np.random.default_rng(7))
    con.executemany("INSERT INTO run_metrics VALUES (?, ?, ?, ?)",
                    zip([run_id] * n, [metric] * n, steps.tolist(), values.tolist(), strict=True))
    con.commit()


def make_reader(path: str):
    """reader(run_id, since) for the charts' feed: packed blocks, then the rows after them."""
    con = connect(path)

    def read(run_id: int, since: dict[str, int]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        out = {}
        for metric in METRICS:
            after = since.get(metric, -1)
            steps_parts, value_parts = [], []
            for step_bytes, value_bytes in con.execute(
                "SELECT step_bytes, value_bytes FROM run_metric_blocks WHERE run_id=? AND metric=? AND last_step>?"
                " ORDER BY first_step", (run_id, metric, after)):
                s = np.frombuffer(step_bytes, "<i8")
                v = np.frombuffer(value_bytes, "<f8")
                keep = s > after
                steps_parts.append(s[keep])
                value_parts.append(v[keep])
            rows = con.execute("SELECT step, value FROM run_metrics WHERE run_id=? AND metric=? AND step>? ORDER BY step",
                               (run_id, metric, after)).fetchall()
            if rows:
                arr = np.array(rows, dtype=np.float64)
                steps_parts.append(arr[:, 0].astype(np.int64))
                value_parts.append(arr[:, 1])
            if steps_parts:
                out[metric] = (np.concatenate(steps_parts), np.concatenate(value_parts))
        return out

    return read


def writer(path: str, run_id: int, first_step: int, stop_at: float) -> None:
    """The worker's side: 100 steps/s, 7 metrics a step, one executemany per 0.1 s. elapsed_s carries the
    commit time, so the GUI side can measure the latency to the screen."""
    con = connect(path)
    rng = np.random.default_rng(3)
    step = first_step
    per_batch = int(RATE * BATCH_S)
    next_at = time.time()
    while time.time() < stop_at:
        steps = np.arange(step + 1, step + per_batch + 1, dtype=np.int64)
        rows = []
        for metric in METRICS:
            if metric in ("val_loss", "elapsed_s"):
                continue
            values = curve_values(metric, steps, rng)
            rows.extend(zip([run_id] * len(steps), [metric] * len(steps), steps.tolist(), values.tolist(), strict=True))
        now = time.time()
        rows.extend((run_id, "elapsed_s", int(s), now) for s in steps)
        con.executemany("INSERT OR REPLACE INTO run_metrics VALUES (?, ?, ?, ?)", rows)
        con.commit()
        step += per_batch
        next_at += BATCH_S
        time.sleep(max(0.0, next_at - time.time()))


# -- the GUI side ----------------------------------------------------------------------------------------
def probe_loop(app, seconds: float, on_tick=None) -> dict:
    from PySide6.QtCore import Qt, QTimer

    gaps: list[float] = []
    last = [time.perf_counter()]

    def probe() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now
        if on_tick is not None:
            on_tick()

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(5)
    timer.timeout.connect(probe)
    timer.start()
    QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec()
    timer.stop()
    g = np.array(gaps[10:]) * 1000.0 - 5.0  # lateness beyond the probe's own interval
    return {"max_ms": float(g.max()), "p99_ms": float(np.percentile(g, 99)), "median_ms": float(np.median(g)),
            "over_50": int((g > 50).sum()), "ticks": len(g)}


def streaming(app, path: str, n: int, seconds: float, naive: bool) -> dict:
    from studio.gui.panes.training.plots.board import ChartBoard
    from studio.gui.panes.training.plots.series import RunData

    if naive:  # pyqtgraph alone: every curve gets its whole buffer; its own peak downsampling does the rest
        def whole(self, metric, smoothed, x_range, axis, columns):
            series = self.series.get(metric)
            if series is None or len(series) == 0 or (smoothed and series.smooth is None):
                return None
            values, _ = series.columns(smoothed)
            return series.steps.view.astype(np.float64), values.view

        original = RunData.visible
        RunData.visible = whole
    board = ChartBoard(make_reader(path))
    board.resize(1200, 800)
    board.show()
    board.set_runs([(2, "live")])
    while len(board.run_data(2).series.get("train_loss", ())) < n:  # the existing million points
        app.processEvents()
        time.sleep(0.01)
    board.redraw()
    app.processEvents()
    gc.collect()
    gc.freeze()
    latencies: list[float] = []
    seen = [-1]

    def check_latency() -> None:
        run = board.run_data(2)
        if board._drawn.get(2) != run.version:
            return
        with run.lock:
            series = run.series.get("elapsed_s")
            if series is None or series.last_step <= max(n, seen[0]):
                return
            seen[0] = series.last_step
            written = float(series.values.view[-1])  # the writer's commit time
        latencies.append(time.time() - written)

    stop_at = time.time() + seconds
    proc = mp.get_context("spawn").Process(target=writer, args=(path, 2, n, stop_at))
    proc.start()
    result = probe_loop(app, seconds, check_latency)
    proc.join()
    result["points_at_end"] = len(board.run_data(2).series["train_loss"])
    result["latency_median_ms"] = 1000 * statistics.median(latencies) if latencies else float("nan")
    result["latency_max_ms"] = 1000 * max(latencies) if latencies else float("nan")
    board.close_feed()
    board.deleteLater()
    if naive:
        RunData.visible = original
    gc.unfreeze()
    return result


def idle(app, seconds: float) -> dict:
    from studio.gui.panes.training.plots.board import ChartBoard

    board = ChartBoard(lambda run_id, since: {})
    board.resize(1200, 800)
    board.show()
    app.processEvents()
    gc.collect()
    gc.freeze()
    result = probe_loop(app, seconds)
    board.close_feed()
    board.deleteLater()
    gc.unfreeze()
    return result


def open_finished(app, path: str, n: int, rounds: int = 5) -> dict:
    from studio.gui.panes.training.plots.board import ChartBoard

    board = ChartBoard(make_reader(path))
    board.resize(1200, 800)
    board.show()
    app.processEvents()
    times = []
    for _ in range(rounds):
        board.set_runs([])
        app.processEvents()
        start = time.perf_counter()
        board.set_runs([(1, "finished")])
        while True:
            app.processEvents()
            run = board.run_data(1)
            if all(len(run.series.get(m, ())) >= (n // 100 if m == "val_loss" else n) for m in METRICS):
                break
            time.sleep(0.002)
        board.redraw()
        board.graphics.repaint()
        times.append(time.perf_counter() - start)
    board.close_feed()
    board.deleteLater()
    con = connect(path)
    rows_times = []
    for _ in range(3):
        start = time.perf_counter()
        rows = con.execute("SELECT step, value FROM run_metrics WHERE run_id=3 AND metric='train_loss' ORDER BY step"
                           ).fetchall()
        np.array(rows)
        rows_times.append(time.perf_counter() - start)
    return {"open_s": statistics.median(times), "open_best_s": min(times),
            "rows_one_metric_s": statistics.median(rows_times), "rows": len(rows)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--folder", help="keep the database here (default: a temporary folder)")
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        path = str(Path(folder) / "metrics.db")
        start = time.perf_counter()
        con = connect(path)
        con.executescript(SCHEMA)
        fill_blocks(con, 1, args.points)  # a finished run
        fill_blocks(con, 2, args.points)  # the live run's first million steps
        fill_rows(con, 3, "train_loss", args.points)  # the same curve as rows only, for the baseline read
        con.close()
        print(f"prepared {args.points:,} steps x {len(METRICS)} metrics in {time.perf_counter() - start:.1f} s",
              flush=True)

        opened = open_finished(app, path, args.points)
        print(f"open a finished run of {args.points:,} steps ({len(METRICS)} metrics) to full curves drawn: "
              f"median {opened['open_s'] * 1000:.0f} ms (best {opened['open_best_s'] * 1000:.0f} ms); "
              f"baseline: one metric's {opened['rows']:,} rows read row by row from the covering index "
              f"{opened['rows_one_metric_s'] * 1000:.0f} ms (ratio {opened['open_s'] / opened['rows_one_metric_s']:.2f})",
              flush=True)

        rows = []
        for label, fn in (("idle window (floor)", lambda: idle(app, args.seconds)),
                          ("live run, studio charts", lambda: streaming(app, path, args.points, args.seconds, False)),
                          ("live run, pyqtgraph alone", lambda: streaming(app, path, args.points, args.seconds, True))):
            if "live" in label:  # each streaming pass starts from the same million points
                con = connect(path)
                con.execute("DELETE FROM run_metrics WHERE run_id=2")
                con.commit()
                con.close()
            result = fn()
            rows.append((label, result))
            extra = ""
            if "points_at_end" in result:
                extra = (f"; points at end {result['points_at_end']:,}; latency commit->drawn median "
                         f"{result['latency_median_ms']:.0f} ms, max {result['latency_max_ms']:.0f} ms")
            print(f"{label}: event loop stall max {result['max_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
                  f"median {result['median_ms']:.2f} ms, over 50 ms: {result['over_50']} of {result['ticks']}{extra}",
                  flush=True)
        floor, ours, naive = (r for _, r in rows)
        print(f"longest stall: studio {ours['max_ms']:.1f} ms vs pyqtgraph alone {naive['max_ms']:.1f} ms "
              f"(ratio {ours['max_ms'] / naive['max_ms']:.2f}), idle floor {floor['max_ms']:.1f} ms")


if __name__ == "__main__":
    main()
