"""Step-level continuous batching: one thread advances every live request by one token per forward pass.

    engine = Engine(runner, max_batch=8, max_queue=32)
    engine.submit(job)      # QueueFull when max_batch + max_queue requests are already in
    ...                     # job.on_token(id) per token, then job.on_finish(reason, error) once, on the
                            # engine's thread; a consumer hands them to its own thread
    engine.close()

Each loop: requests waiting are admitted into free rows (their prompt is run, the first token sampled),
then one `runner.step` feeds every live row its last token. A request ends at a stop token ("stop"), at
`max_tokens` ("length"), when its consumer cancels it ("cancelled"), or with the error of a failed step
("error": the whole batch fails and the cache is reset; the engine goes on with the next requests).
Sampling is the studio's own (models.generate.next_token_distribution, a per-request torch.Generator on the
CPU), so a seed gives the same text here as in the Generate view.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from studio.core.models.generate import next_token_distribution
from studio.core.serving.runner import BatchRunner

log = logging.getLogger(__name__)


class QueueFull(Exception):
    """The engine holds as many requests as it may (live rows plus the queue)."""


@dataclass
class Job:
    prompt_ids: list[int]
    max_tokens: int
    on_token: Callable[[int], None]
    on_finish: Callable[[str, BaseException | None], None]
    temperature: float = 1.0
    top_p: float | None = None
    top_k: int | None = None
    seed: int | None = None
    stop_ids: frozenset[int] = frozenset()
    cancelled: threading.Event = field(default_factory=threading.Event)
    generated: int = 0
    _last: int = -1
    _gen: torch.Generator | None = None

    @property
    def greedy(self) -> bool:
        return self.temperature == 0

    def cancel(self) -> None:
        self.cancelled.set()


@dataclass
class EngineStats:
    steps: int = 0
    tokens: int = 0
    prefills: int = 0
    busy_s: float = 0.0
    rows_sum: int = 0  # sum of batch sizes over steps (mean batch = rows_sum / steps)


class Engine:
    def __init__(self, runner: BatchRunner, *, max_batch: int = 8, max_queue: int = 32, name: str = "engine"):
        self.runner = runner
        self.max_batch = min(int(max_batch), runner.max_rows)
        self.max_queue = int(max_queue)
        self.stats = EngineStats()
        self._waiting: deque[Job] = deque()
        self._live: list[Job] = []  # row order: _live[i] is runner row i
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name=f"studio-{name}", daemon=True)
        self._thread.start()

    # -- the consumer's side ---------------------------------------------------------------------------------
    def submit(self, job: Job) -> None:
        with self._cond:
            if self._closed:
                raise QueueFull("the engine is stopping")
            if len(self._waiting) + len(self._live) >= self.max_batch + self.max_queue:
                raise QueueFull(f"{self.max_batch} requests are being served and {self.max_queue} wait")
            self._waiting.append(job)
            self._cond.notify()

    @property
    def load(self) -> tuple[int, int]:
        """(requests generating, requests waiting)."""
        with self._cond:
            return len(self._live), len(self._waiting)

    def close(self, timeout: float = 10.0) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout)

    # -- the engine's thread -----------------------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._closed and not self._waiting and not self._live:
                    self._cond.wait()
                if self._closed:
                    pending = list(self._waiting) + self._live
                    self._waiting.clear()
                    self._live.clear()
                    break
                admit = []
                while self._waiting and len(self._live) + len(admit) < self.max_batch:
                    admit.append(self._waiting.popleft())
            started = time.perf_counter()
            try:
                for job in admit:
                    self._admit(job)
                if self._live:
                    self._step()
            except Exception as error:  # a failed forward pass fails the batch, not the server
                log.exception("a batched forward step failed")
                self._fail_all(error)
            self.stats.busy_s += time.perf_counter() - started
        for job in pending:
            self._finish(job, "cancelled")
        self.runner.reset()
        close = getattr(self.runner, "close", None)
        if close is not None:  # a runner holding native resources (llama.cpp) frees them on the engine's thread
            close()

    def _admit(self, job: Job) -> None:
        if job.cancelled.is_set():
            self._finish(job, "cancelled")
            return
        if job.seed is not None:
            job._gen = torch.Generator().manual_seed(job.seed)
        try:
            row, logits = self.runner.add(job.prompt_ids)
        except Exception as error:
            self._finish(job, "error", error)
            return
        self.stats.prefills += 1
        self._live.append(job)
        assert row == len(self._live) - 1
        token = self._sample(job, logits)
        self._emit([(row, token)])

    def _step(self) -> None:
        live = self._live
        logits = self.runner.step([job._last for job in live])
        self.stats.steps += 1
        self.stats.rows_sum += len(live)
        greedy = [i for i, job in enumerate(live) if job.greedy]
        picks: dict[int, int] = {}
        if greedy:
            best = logits[greedy].argmax(-1).tolist() if len(greedy) < len(live) else logits.argmax(-1).tolist()
            picks.update(zip(greedy, best, strict=True))
        for i, job in enumerate(live):
            if i not in picks:
                picks[i] = self._sample(job, logits[i])
        self._emit(sorted(picks.items()))

    @staticmethod
    def _sample(job: Job, logits: torch.Tensor) -> int:
        if job.greedy:
            return int(torch.argmax(logits))
        probs = next_token_distribution(logits, job.temperature, job.top_k, job.top_p)
        return int(torch.multinomial(probs, 1, generator=job._gen))

    def _emit(self, picks: list[tuple[int, int]]) -> None:
        done: list[tuple[int, str]] = []
        for row, token in picks:
            job = self._live[row]
            job._last = token
            job.generated += 1
            self.stats.tokens += 1
            try:
                job.on_token(token)
            except Exception:  # a consumer that cannot take tokens any more is cancelled, not the batch
                log.exception("a request's token consumer failed")
                job.cancel()
            if job.cancelled.is_set():
                done.append((row, "cancelled"))
            elif token in job.stop_ids:
                done.append((row, "stop"))
            elif job.generated >= job.max_tokens or self.runner.length(row) >= self.runner.context_length:
                done.append((row, "length"))
        for row, reason in sorted(done, reverse=True):  # highest row first: a move never touches a row to free
            job = self._live[row]
            moved = self.runner.remove(row)
            if moved != row:
                self._live[row] = self._live[moved]
            self._live.pop()
            self._finish(job, reason)

    def _fail_all(self, error: BaseException) -> None:
        jobs, self._live = self._live, []
        self.runner.reset()
        for job in jobs:
            self._finish(job, "error", error)

    @staticmethod
    def _finish(job: Job, reason: str, error: BaseException | None = None) -> None:
        try:
            job.on_finish(reason, error)
        except Exception:
            log.exception("a request's finish callback failed")
