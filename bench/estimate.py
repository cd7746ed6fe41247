"""The New-run form's time estimate against the runs it predicts: for a few run settings, the run service's plan
(what the form and `studio train` show: time per step with its range, the whole run's time with evaluations)
and then the real run on the sample dataset, in its worker process, right after, on the same machine.

Figures per setting: the estimate (median and range), the real median time per training step (steps without an
evaluation, from the worker's own `elapsed_s` curve, the first 10 steps left out as warm-up), the ratio real /
estimate, whether the real median falls in the range, and the whole run (its `elapsed_s` at the end) against
the run-time estimate. The baseline is the estimate method the form used before (3 steps, FLOPs above 1 s).

    .venv/bin/python bench/estimate.py [--steps 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

PASSWORD = "Quiet-Harbour-2931"
CASES = (  # name, model, train
    ("demo 4L/128d b16, 1 thread", {"n_layer": 4, "n_head": 4, "n_embd": 128, "block_size": 128},
     {"batch_size": 16, "threads": 1}),
    ("tiny preset b32, default threads", None, {"batch_size": 32}),
    ("2L/64d ctx64 b8, 1 thread", {"n_layer": 2, "n_head": 2, "n_embd": 64, "block_size": 64},
     {"batch_size": 8, "threads": 1}),
)


def real_step_s(studio, actor, run_id: int, eval_every: int) -> float:
    curves = studio.runs.metrics(actor, run_id, ["elapsed_s"])
    steps, elapsed = curves["elapsed_s"].steps, curves["elapsed_s"].values
    dt = np.diff(elapsed)
    after = steps[1:]
    keep = (after > 10) & (after % eval_every != 0) & ((after - 1) % eval_every != 0)
    return float(np.median(dt[keep]))


def old_estimate(plan) -> float:
    """What the form said before: 3 measured steps, or FLOPs when those were expected to take over 1 s."""
    from studio.core.models import estimate as est

    m, t = plan.model_config, plan.train_config
    rate = est.matmul_rate(est.resolve_device(t.device))
    flops = est.flops_per_token(m, t.seq_len or m.block_size) * t.batch_size * (t.seq_len or m.block_size)
    if flops / (rate * est.FLOPS_EFFICIENCY) >= 1.0:
        return flops / (rate * est.FLOPS_EFFICIENCY)
    times = est._benchmark_steps(m, t.batch_size, t.seq_len or m.block_size, est.resolve_device(t.device))
    return statistics.median(times[:3])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args(argv)
    from studio.core.datasets.sample import sample_options
    from studio.core.services import Studio
    from studio.core.services.runs import RunSettings

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-estimate-") as tmp:
        studio = Studio.open(Path(tmp) / "data")
        try:
            admin = studio.accounts.create_first_admin("bench", PASSWORD)
            studio.datasets.import_dataset(admin, sample_options("stories"))
            for name, model, train in CASES:
                train = {"max_steps": args.steps, "eval_every": 50, "eval_batches": 4, "warmup_steps": 10,
                         "device": "cpu", **train}
                settings = RunSettings(dataset="stories", preset=None if model else "tiny", model=model or {},
                                       train=train, checkpoint_every=0)
                load = os.getloadavg()[0]
                before = old_estimate(studio.runs.plan(admin, settings, estimate=False))
                plan = studio.runs.plan(admin, settings, estimate="auto")
                e = plan.estimate
                total, low_total, high_total = plan.run_time_s
                run = studio.runs.start(admin, settings, plan=plan)
                done = studio.runs.wait(admin, run.id, timeout_s=3600, poll_s=1.0)
                real = real_step_s(studio, admin, run.id, train["eval_every"])
                rows.append((name, e, before, real, total, low_total, high_total, done.elapsed_s, load))
                print(f"{name}: estimate {e.step_time_s * 1000:.0f} ms ({e.step_time_low_s * 1000:.0f}-"
                      f"{e.step_time_high_s * 1000:.0f}), before {before * 1000:.0f} ms, real {real * 1000:.0f} ms;"
                      f" run {total:.0f} s ({low_total:.0f}-{high_total:.0f}) vs {done.elapsed_s:.0f} s; load {load:.1f}"
                      f" [{e.time_method}]", flush=True)
                time.sleep(1)
        finally:
            studio.close()
    print("\n| settings | estimate per step (range) | before | real median step | real / estimate | in range | "
          "run estimate (range) | real run | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, e, before, real, total, lo, hi, elapsed, load in rows:
        inside = e.step_time_low_s <= real <= e.step_time_high_s
        print(f"| {name} | {e.step_time_s * 1000:.0f} ms ({e.step_time_low_s * 1000:.0f}-{e.step_time_high_s * 1000:.0f})"
              f" | {before * 1000:.0f} ms | {real * 1000:.0f} ms | {real / e.step_time_s:.2f} | {'yes' if inside else 'no'} |"
              f" {total:.0f} s ({lo:.0f}-{hi:.0f}) | {elapsed:.0f} s | {load:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
