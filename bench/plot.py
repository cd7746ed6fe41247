"""The Training pane's live charts under load, over the real run store, each figure beside a baseline from the
same run:

1. Opening a finished run of N steps (7 metrics, default 1,000,000 steps): in the Training pane of the main
   window (signed in, the real RunService behind it), from selecting the run in the runs table to its full
   curves drawn (goal: under 0.5 s). Baselines: the run service's read of the 7 curves alone, and one metric
   read row by row from the covering index (what a store without packed blocks would do).
2. Streaming: a writer process uses the worker's own MetricWriter to write 100 steps/s (6 metrics a step,
   flushed 4 times a second as the worker does) to a live run whose curves already hold N points; the pane
   shows that run for S seconds (default 30) while a 5 ms probe timer measures the GUI event loop. Figures:
   the longest stall (goal: under 50 ms), the 99th percentile, stalls over 50 ms, and the latency from a
   point's commit to the redraw that shows it (goal: under 0.5 s). Baselines: the same window with no run
   selected (the machine's floor) and pyqtgraph alone (each curve handed its whole buffer on every tick, with
   setDownsampling(peak) and setClipToView: house style 7 without the peak levels).

    .venv/bin/python bench/plot.py [--points 1000000] [--seconds 30]

The existing points are stored as the worker's MetricWriter leaves them (packed blocks of 4096 steps and
values in run_metric_blocks), inserted directly to save the minutes a million add() calls would take; the
live points go through MetricWriter itself. The bench holds the live run's worker lock, so the service's
reconcile() sees a live worker.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

METRICS = ("train_loss", "val_loss", "lr", "grad_norm", "tokens_per_s", "tokens_seen", "elapsed_s")
RATE = 100  # steps per second
FLUSH_S = 0.25  # the worker flushes its metrics 4 times a second
PASSWORD = "Quiet-Harbour-2931"
FINISHED, LIVE, ROWS_ONLY = "finished-1m", "live-1m", "rows-only"


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


def add_run(studio, owner_id: int, name: str, status: str, n: int) -> int:
    from studio.core.db.tables.runs import RunRow
    from studio.core.stores.runs import utcnow

    with studio.db.session() as s:
        row = RunRow(name=name, owner_id=owner_id, status=status, created_at=utcnow(), started_at=utcnow(),
                     dataset_name="bench", model_config_json=json.dumps({"n_layer": 4, "n_embd": 128}),
                     train_config_json=json.dumps({"max_steps": 2 * n, "lr": 3e-4}), step=n, max_steps=2 * n,
                     parameters=800_000, attempt=1)
        s.add(row)
        s.flush()
        return row.id


def fill_blocks(studio, run_id: int, n: int) -> None:
    """N steps of every metric (val_loss every 100 steps) as MetricWriter packs them."""
    from sqlalchemy import insert

    from studio.core.db.tables.runs import RunMetricBlockRow
    from studio.core.stores.run_metrics import BLOCK

    rng = np.random.default_rng(run_id)
    for metric in METRICS:
        every = 100 if metric == "val_loss" else 1
        steps = np.arange(every, n + 1, every, dtype="<i8")
        values = curve_values(metric, steps, rng).astype("<f8")
        rows = [{"run_id": run_id, "metric": metric, "first_step": int(steps[i]),
                 "last_step": int(steps[min(i + BLOCK, len(steps)) - 1]), "count": len(steps[i:i + BLOCK]),
                 "step_bytes": steps[i:i + BLOCK].tobytes(), "value_bytes": values[i:i + BLOCK].tobytes()}
                for i in range(0, len(steps), BLOCK)]
        with studio.db.immediate() as conn:
            conn.execute(insert(RunMetricBlockRow), rows)


def fill_rows(studio, run_id: int, metric: str, n: int) -> None:
    steps = np.arange(1, n + 1, dtype=np.int64)
    values = curve_values(metric, steps, np.random.default_rng(7))
    with studio.db.immediate() as conn:
        conn.exec_driver_sql("INSERT INTO run_metrics (run_id, metric, step, value) VALUES (?, ?, ?, ?)",
                             list(zip([run_id] * n, [metric] * n, steps.tolist(), values.tolist(), strict=True)))


def writer(data_dir: str, run_id: int, first_step: int, stop_at: float) -> None:
    """The worker's side: 100 steps/s through MetricWriter, flushed every 0.25 s with the run's progress.
    elapsed_s carries the commit time, so that the GUI side can measure the latency to the screen."""
    from studio.core.services import Studio
    from studio.core.stores.run_metrics import MetricWriter
    from studio.core.stores.runs import utcnow

    studio = Studio.open(data_dir)
    out = MetricWriter(studio.db, run_id)
    rng = np.random.default_rng(3)
    step = first_step
    per_flush = int(RATE * FLUSH_S)
    next_at = time.time()
    while time.time() < stop_at:
        steps = np.arange(step + 1, step + per_flush + 1, dtype=np.int64)
        values = {m: curve_values(m, steps, rng) for m in METRICS if m not in ("val_loss", "elapsed_s")}
        now = time.time()
        for i, s in enumerate(steps):
            out.add(int(s), {**{m: float(v[i]) for m, v in values.items()}, "elapsed_s": now})
        step += per_flush
        out.flush({"step": step, "heartbeat_at": utcnow()})
        next_at += FLUSH_S
        time.sleep(max(0.0, next_at - time.time()))
    studio.close()


class Bench:
    """The main window over the bench's data folder, signed in, showing the Training pane."""

    def __init__(self, app, data_dir: str):
        from studio.gui.app import build_window
        from studio.gui.panes.training import pane as pane_module

        pane_module.ask_about_live_runs = lambda parent, names: "leave"  # closing at the end: no question
        self.app = app
        self.window = build_window(app, data_dir, "light", "en")
        studio = self.window.ctx.studio
        self.studio = studio
        self.window.ctx.set_session(studio.accounts.login("bench", PASSWORD))
        self.session = self.window.ctx.session
        self.window.resize(1280, 800)
        self.window.show()
        self.pane = self.window.show_pane("training")
        self.ids = {}
        self.wait(lambda: len(self.pane._runs) == 3)
        self.ids = {r.name: r.id for r in self.pane._runs}

    def wait(self, condition, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the pane did not get there in time")
            self.app.processEvents()
            time.sleep(0.002)

    def select(self, name: str | None) -> None:
        self.pane.runs_table.select([] if name is None else [self.ids[name]])
        self.app.processEvents()

    def drawn_all(self, run_id: int, n: int) -> bool:
        board = self.pane.board
        if not board.shows(run_id):
            return False
        run = board.run_data(run_id)
        if not all(len(run.series.get(m, ())) >= (n // 100 if m == "val_loss" else n) for m in METRICS):
            return False
        return board._drawn.get(run_id) == run.version

    def close(self) -> None:
        self.window.close()
        self.studio.close()


TRACE_MS = 0.0  # --trace-stalls: print what the GUI thread was doing when it stalled longer than this


def _watch_stalls(last: list[float], done: threading.Event, t0: float) -> None:
    """A thread that prints the GUI thread's stack when its probe is late by more than TRACE_MS."""
    gui = threading.main_thread().ident
    while not done.wait(0.005):
        lag = time.perf_counter() - last[0]
        if lag * 1000 > TRACE_MS:
            frame = sys._current_frames().get(gui)
            print(f"--- GUI thread {lag * 1000:.0f} ms late at {time.perf_counter() - t0:.2f} s:\n"
                  + "".join(traceback.format_stack(frame)[-8:]), flush=True)
            last[0] = time.perf_counter()


def probe_loop(app, seconds: float, on_tick=None) -> dict:
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    gaps: list[float] = []
    last = [time.perf_counter()]
    shared = [last[0]]
    done = threading.Event()
    if TRACE_MS:
        threading.Thread(target=_watch_stalls, args=(shared, done, last[0]), daemon=True).start()

    def probe() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = shared[0] = now
        if on_tick is not None:
            on_tick()

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(5)
    timer.timeout.connect(probe)
    timer.start()
    # A local loop: app.exec() would end with aboutToQuit (the pane shuts down on it) and app.quit() first
    # closes the window (which asks about the live run).
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    timer.stop()
    done.set()
    g = np.array(gaps[10:]) * 1000.0 - 5.0  # lateness beyond the probe's own interval
    return {"max_ms": float(g.max()), "p99_ms": float(np.percentile(g, 99)), "median_ms": float(np.median(g)),
            "over_50": int((g > 50).sum()), "ticks": len(g)}


def streaming(bench: Bench, data_dir: str, n: int, seconds: float, naive: bool) -> dict:
    from studio.core.stores.run_metrics import truncate_after
    from studio.gui.panes.training.plots.series import RunData

    run_id = bench.ids[LIVE]
    bench.select(None)
    truncate_after(bench.studio.db, run_id, n)  # each pass starts from the same million points
    if naive:  # pyqtgraph alone: every curve gets its whole buffer; its own peak downsampling does the rest
        def whole(self, metric, smoothed, x_range, axis, columns):
            series = self.series.get(metric)
            if series is None or len(series) == 0 or (smoothed and series.smooth is None):
                return None
            values, _ = series.columns(smoothed)
            return series.steps.view.astype(np.float64), values.view

        original = RunData.visible
        RunData.visible = whole
    bench.select(LIVE)
    bench.wait(lambda: bench.drawn_all(run_id, n))  # the existing million points, drawn
    gc.collect()
    gc.freeze()
    board = bench.pane.board
    latencies: list[float] = []
    seen = [-1]

    def check_latency() -> None:
        run = board.run_data(run_id)
        if board._drawn.get(run_id) != run.version:
            return
        with run.lock:
            series = run.series.get("elapsed_s")
            if series is None or series.last_step <= max(n, seen[0]):
                return
            seen[0] = series.last_step
            written = float(series.values.view[-1])  # the writer's commit time
        latencies.append(time.time() - written)

    stop_at = time.time() + seconds
    proc = mp.get_context("spawn").Process(target=writer, args=(data_dir, run_id, n, stop_at))
    proc.start()
    result = probe_loop(bench.app, seconds, check_latency)
    proc.join()
    result["points_at_end"] = len(board.run_data(run_id).series["train_loss"])
    result["latency_median_ms"] = 1000 * statistics.median(latencies) if latencies else float("nan")
    result["latency_max_ms"] = 1000 * max(latencies) if latencies else float("nan")
    bench.select(None)
    if naive:
        RunData.visible = original
    gc.unfreeze()
    return result


def idle(bench: Bench, seconds: float) -> dict:
    bench.select(None)
    gc.collect()
    gc.freeze()
    result = probe_loop(bench.app, seconds)
    gc.unfreeze()
    return result


def open_finished(bench: Bench, n: int, rounds: int = 5) -> dict:
    run_id = bench.ids[FINISHED]
    times = []
    for _ in range(rounds):
        bench.select(None)
        gc.collect()
        start = time.perf_counter()
        bench.select(FINISHED)
        bench.wait(lambda: bench.drawn_all(run_id, n))
        for view in bench.pane.board.views:
            view.repaint()
        times.append(time.perf_counter() - start)
    bench.select(None)
    service_times = []
    for _ in range(3):
        start = time.perf_counter()
        curves = bench.studio.runs.metrics(bench.session, run_id)
        service_times.append(time.perf_counter() - start)
    assert len(curves["train_loss"]) == n
    rows_id = bench.ids[ROWS_ONLY]
    rows_times = []
    for _ in range(3):
        start = time.perf_counter()
        with bench.studio.db.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT step, value FROM run_metrics WHERE run_id = ? AND metric = ? "
                                        "ORDER BY step", (rows_id, "train_loss")).all()
        np.array(rows)
        rows_times.append(time.perf_counter() - start)
    return {"open_s": statistics.median(times), "open_best_s": min(times), "open_worst_s": max(times),
            "service_s": statistics.median(service_times), "rows_one_metric_s": statistics.median(rows_times),
            "rows": len(rows)}


def prepare(data_dir: str, n: int) -> dict[str, int]:
    """The bench's user and runs; returns the run ids by name."""
    from studio.core.services import Studio

    studio = Studio.open(data_dir)
    user = studio.accounts.create_first_admin("bench", PASSWORD)
    ids = {ROWS_ONLY: add_run(studio, user.user_id, ROWS_ONLY, "completed", n)}
    fill_rows(studio, ids[ROWS_ONLY], "train_loss", n)
    for name, status in ((FINISHED, "completed"), (LIVE, "running")):
        ids[name] = add_run(studio, user.user_id, name, status, n)
        fill_blocks(studio, ids[name], n)
    studio.close()
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--folder", help="keep the data folder here (default: a temporary folder)")
    parser.add_argument("--trace-stalls", type=float, default=0.0, metavar="MS",
                        help="print the GUI thread's stack whenever it is late by more than MS")
    parser.add_argument("--only", choices=("open", "idle", "studio", "naive"), action="append",
                        help="run only these parts (default: all)")
    args = parser.parse_args()
    global TRACE_MS
    TRACE_MS = args.trace_stalls
    only = set(args.only or ("open", "idle", "studio", "naive"))

    from PySide6.QtWidgets import QApplication

    from studio.core.paths import DataPaths
    from studio.core.training import launch

    app = QApplication([])
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        data_dir = str(Path(folder) / "data")
        start = time.perf_counter()
        ids = prepare(data_dir, args.points)
        print(f"prepared 3 runs of {args.points:,} steps in {time.perf_counter() - start:.1f} s", flush=True)
        lock = launch.hold_lock(DataPaths(Path(data_dir)).run_dir(ids[LIVE]))  # for reconcile(): "a live worker"
        bench = Bench(app, data_dir)

        if "open" in only:
            opened = open_finished(bench, args.points)
            print(f"open a finished run of {args.points:,} steps ({len(METRICS)} metrics) in the pane, selection "
                  f"to full curves drawn: median {opened['open_s'] * 1000:.0f} ms (best "
                  f"{opened['open_best_s'] * 1000:.0f}, worst {opened['open_worst_s'] * 1000:.0f} ms of 5); "
                  f"baselines: RunService.metrics of its 7 curves alone {opened['service_s'] * 1000:.0f} ms, one "
                  f"metric's {opened['rows']:,} points read row by row from the covering index "
                  f"{opened['rows_one_metric_s'] * 1000:.0f} ms "
                  f"(open / row read: {opened['open_s'] / opened['rows_one_metric_s']:.2f})", flush=True)

        results = {}
        for key, label, fn in (
                ("idle", "idle pane, no run selected (floor)", lambda: idle(bench, args.seconds)),
                ("studio", "live run, studio charts",
                 lambda: streaming(bench, data_dir, args.points, args.seconds, False)),
                ("naive", "live run, pyqtgraph alone",
                 lambda: streaming(bench, data_dir, args.points, args.seconds, True))):
            if key not in only:
                continue
            result = results[key] = fn()
            extra = ""
            if "points_at_end" in result:
                extra = (f"; points at end {result['points_at_end']:,}; latency commit->drawn median "
                         f"{result['latency_median_ms']:.0f} ms, max {result['latency_max_ms']:.0f} ms")
            print(f"{label}: event loop stall max {result['max_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
                  f"median {result['median_ms']:.2f} ms, over 50 ms: {result['over_50']} of {result['ticks']}{extra}",
                  flush=True)
        if len(results) == 3:
            floor, ours, naive = results["idle"], results["studio"], results["naive"]
            print(f"longest stall: studio {ours['max_ms']:.1f} ms vs pyqtgraph alone {naive['max_ms']:.1f} ms "
                  f"(ratio {ours['max_ms'] / naive['max_ms']:.2f}), idle floor {floor['max_ms']:.1f} ms")
        launch.release_lock(lock)
        bench.close()


if __name__ == "__main__":
    main()
