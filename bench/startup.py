"""Start-up time: process start to the first window shown, median of 5, beside `python -c "import torch"`.

    .venv/bin/python bench/startup.py [--runs 5]

Runs offscreen by default (QT_QPA_PLATFORM=offscreen) so that it works headless; the disk cache is
warmed by one untimed run of each first. Goal: first window under 1.0 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def time_window(data_dir: str, command: list[str] | None = None) -> float:
    """Seconds from starting `command` (default: the studio from source) to its first window shown."""
    command = command or [sys.executable, "-m", "studio"]
    env = dict(os.environ, STUDIO_BENCH_STARTUP="1", QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    start = time.time()
    out = subprocess.run([*command, "--data-dir", data_dir], env=env, capture_output=True, text=True, timeout=180)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("first-window-shown")), None)
    if line is None:
        raise SystemExit(f"the studio did not report its first window:\n{out.stdout}\n{out.stderr}")
    return float(line.split()[1]) - start


def time_import_torch() -> float:
    start = time.time()
    subprocess.run([sys.executable, "-c", "import torch"], check=True)
    return time.time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        time_window(data_dir)  # warm the disk cache and create the database
        time_import_torch()
        window = [time_window(data_dir) for _ in range(args.runs)]
        torch = [time_import_torch() for _ in range(args.runs)]
    w, t = statistics.median(window), statistics.median(torch)
    print(f"first window shown        median {w:.3f} s  (runs: {', '.join(f'{x:.3f}' for x in window)})")
    print(f"python -c 'import torch'  median {t:.3f} s  (runs: {', '.join(f'{x:.3f}' for x in torch)})")
    print(f"ratio window / import torch: {w / t:.2f}; goal: window under 1.0 s -> {'met' if w < 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
