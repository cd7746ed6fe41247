"""A metrics store for chart tests: what a worker wrote, read back after a step the way the run store does."""

from __future__ import annotations

import threading

import numpy as np


class FakeMetrics:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.data: dict[int, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
        self.reads = 0
        self.reader_threads: set[str] = set()

    def write(self, run_id: int, steps, **metrics) -> None:
        steps = np.asarray(steps, dtype=np.int64)
        with self.lock:
            run = self.data.setdefault(run_id, {})
            for name, values in metrics.items():
                values = np.broadcast_to(np.asarray(values, dtype=np.float64), steps.shape)
                old_s, old_v = run.get(name, (np.empty(0, np.int64), np.empty(0)))
                keep = old_s < steps[0]
                run[name] = (np.concatenate([old_s[keep], steps]), np.concatenate([old_v[keep], values]))

    def write_run(self, run_id: int, n: int, *, offset: float = 0.0, first: int = 1) -> None:
        steps = np.arange(first, first + n)
        s = steps.astype(float)
        self.write(run_id, steps, train_loss=3 * np.exp(-s / 200) + 1 + offset + 0.05 * np.sin(s),
                   lr=np.full(n, 3e-4), grad_norm=0.5 + 0.1 * np.cos(s), tokens_per_s=np.full(n, 1000.0),
                   tokens_seen=s * 256, elapsed_s=s * 0.5)
        val = steps[steps % 10 == 0]
        if len(val):
            self.write(run_id, val, val_loss=3 * np.exp(-val / 200.0) + 1.1 + offset)

    def read(self, run_id: int, since: dict[str, int]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        self.reads += 1
        self.reader_threads.add(threading.current_thread().name)
        out = {}
        with self.lock:
            for name, (steps, values) in self.data.get(run_id, {}).items():
                i = int(np.searchsorted(steps, since.get(name, -1), side="right"))
                if i < len(steps):
                    out[name] = (steps[i:].copy(), values[i:].copy())
        return out

    def truncate_after(self, run_id: int, step: int) -> None:
        with self.lock:
            run = self.data.get(run_id, {})
            for name, (steps, values) in list(run.items()):
                keep = steps <= step
                run[name] = (steps[keep], values[keep])
