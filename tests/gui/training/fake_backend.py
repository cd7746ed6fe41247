"""A stand-in for the run service, for the pane's pure UI tests (the "Done when" tests use the real service:
test_real_runs.py): runs train on threads (a loss that falls, evaluations, checkpoints, a log), obey
pause/resume/stop/kill, resume from a checkpoint, and generate text one character at a time. Shapes follow
studio.core.stores.runs (RunInfo, CheckpointInfo); test_fake_matches_the_service checks they still do."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from studio.core.errors import NotFoundError, StudioError, ValidationError
from studio.gui.panes.training.backend import FINAL, LIVE, DatasetChoice, DeleteSummary, ModelChoice, Sample
from tests.gui.training.fake_metrics import FakeMetrics


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class FakeRun:
    id: int
    name: str
    owner_id: int = 1
    owner_name: str = "root"
    status: str = "queued"
    created_at: datetime = field(default_factory=now)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    heartbeat_at: datetime | None = None
    dataset_id: int | None = 1
    dataset_name: str = "stories"
    source_model_id: int | None = None
    source_version: int | None = None
    source_name: str = ""
    model_config: dict = field(default_factory=dict)
    train_config: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    tags: tuple = ()
    group: str = ""
    parameters: int = 0
    step: int = 0
    max_steps: int = 0
    tokens_seen: int = 0
    elapsed_s: float = 0.0
    train_loss: float | None = None
    val_loss: float | None = None
    best_val_loss: float | None = None
    tokens_per_s: float | None = None
    message: str = ""
    error: str | None = None
    system: dict = field(default_factory=dict)
    attempt: int = 1
    pid: int | None = None
    host: str | None = None
    control: str | None = None
    checkpoint_model_id: int | None = None

    @property
    def is_live(self) -> bool:
        return self.status in LIVE

    @property
    def progress(self) -> float:
        return min(1.0, self.step / self.max_steps) if self.max_steps else 0.0

    @property
    def eta_s(self) -> float | None:
        if self.status != "running" or not self.step or not self.elapsed_s:
            return None
        return (self.max_steps - self.step) * self.elapsed_s / self.step


@dataclass(frozen=True)
class FakeCheckpoint:
    id: int
    run_id: int
    attempt: int
    slot: str
    state: str
    step: int | None
    train_loss: float | None
    val_loss: float | None
    size_bytes: int
    written_at: datetime | None
    ref: dict

    @property
    def is_best(self) -> bool:
        return self.slot == "best"

    @property
    def usable(self) -> bool:
        return self.state in ("written", "kept") and self.step is not None


BACKEND_METHODS = frozenset({
    "runs", "run", "metrics", "datasets", "models", "estimate", "start", "control", "resume_from", "delete_summary",
    "delete", "set_tags", "set_group", "log", "log_tail", "checkpoints", "delete_checkpoint", "export_checkpoint", "audit",
    "generate", "samples", "keep_sample"})


class FakeBackend:
    def __getattribute__(self, name: str):
        # Which service calls the GUI thread made itself (it must make none: it never waits on the database).
        value = object.__getattribute__(self, name)
        if name not in BACKEND_METHODS:
            return value
        calls = object.__getattribute__(self, "gui_thread_calls")

        def noted(*args, **kwargs):
            if threading.current_thread() is threading.main_thread():
                calls.append(name)
            return value(*args, **kwargs)

        return noted

    def __init__(self, steps_per_s: float = 100.0):
        self.gui_thread_calls: list[str] = []
        self.crash_at_start: set[str] = set()  # run names whose "worker" dies before its first step
        self.steps_per_s = steps_per_s
        self.store = FakeMetrics()
        self.lock = threading.Lock()
        self._runs: dict[int, FakeRun] = {}
        self._logs: dict[int, str] = {}
        self._checkpoints: dict[int, list[FakeCheckpoint]] = {}
        self._samples: dict[tuple[int, int | None], list[Sample]] = {}  # (run, user): the user's own
        self._threads: dict[int, threading.Thread] = {}
        self._next = iter(range(1, 10**6))
        self._ckpt_ids = iter(range(1, 10**6))
        self.calls: list[tuple] = []
        self.models_list = [ModelChoice(7, "wide", 2, {"n_layer": 2, "n_head": 2, "n_embd": 64, "block_size": 64},
                                        "import", dtype="float32")]
        self.datasets_list = [DatasetChoice(1, "stories", 65, 1_000_000, 50_000),
                              DatasetChoice(2, "no-validation", 65, 200_000, 0)]

    # -- reads ------------------------------------------------------------------------------------------
    def runs(self, actor) -> list[FakeRun]:
        with self.lock:
            return sorted(self._runs.values(), key=lambda r: -r.id)

    def run(self, actor, run_id: int) -> FakeRun:
        with self.lock:
            if run_id not in self._runs:
                raise NotFoundError(f"There is no run {run_id}.")
            return self._runs[run_id]

    def metrics(self, actor, run_id, since):
        return self.store.read(run_id, since)

    def datasets(self, actor):
        return list(self.datasets_list)

    def models(self, actor):
        return list(self.models_list)

    def estimate(self, actor, spec, vocab_size):
        if spec.source == (7, 2) and not spec.options.get("resize_vocab"):  # "wide": a vocabulary of 80
            raise ValidationError(f"The dataset's tokenizer has {vocab_size} tokens but the model wide:2 has a "
                                  "vocabulary of 80. Fine-tune on a dataset tokenized with the model's tokenizer, "
                                  "or choose to resize the vocabulary (the new embeddings start untrained).",
                                  field="dataset")
        params = 12 * spec.model["n_layer"] * spec.model["n_embd"] ** 2 + vocab_size * spec.model["n_embd"]
        return SimpleNamespace(parameters=params, weights_bytes=4 * params, gradients_bytes=4 * params,
                               optimizer_bytes=8 * params, activations_bytes=10**6, total_bytes=16 * params + 10**6,
                               step_time_s=0.01, time_method="fake", device="cpu", device_memory_bytes=8 * 10**9,
                               fits=True)

    # -- runs -------------------------------------------------------------------------------------------
    def start(self, actor, spec) -> FakeRun:
        self.calls.append(("start", spec))
        with self.lock:
            if any(r.name == spec.name for r in self._runs.values()):
                raise ValidationError("Another run already has this name.", field="name")
            run_id = next(self._next)
            run = FakeRun(run_id, spec.name, owner_name=getattr(actor, "user_name", "root"),
                          dataset_id=spec.dataset_id,
                          dataset_name=next(d.name for d in self.datasets_list if d.id == spec.dataset_id),
                          model_config={**spec.model, "vocab_size": 65}, train_config=dict(spec.train),
                          options=self._options(spec), tags=spec.tags, group=spec.group,
                          parameters=12 * spec.model["n_layer"] * spec.model["n_embd"] ** 2,
                          max_steps=spec.train["max_steps"], system={"device": "cpu", "threads": 2, "torch": "fake"})
            self._runs[run_id] = run
            self._logs[run_id] = f"run {spec.name}: queued\n"
            self._checkpoints[run_id] = []
        self._launch(run_id, 0)
        return self.run(actor, run_id)

    @staticmethod
    def _options(spec) -> dict:
        """A run's options as the run service keeps them: the checkpoint policy and the settings it was given."""
        o = spec.options
        policy = {"every": o.get("checkpoint_every", 500), "keep_last": o.get("keep_last", 2),
                  "keep_best": o.get("keep_best", True)}
        settings = {"checkpoint_every": policy["every"], "keep_last": policy["keep_last"],
                    "keep_best": policy["keep_best"], "nproc": o.get("nproc", 1),
                    "resize_vocab": bool(o.get("resize_vocab")), "tags": list(spec.tags), "group": spec.group}
        return {"checkpoints": policy, "nproc": settings["nproc"], "settings": settings}

    def _update(self, run_id: int, **values: Any) -> FakeRun:
        with self.lock:
            self._runs[run_id] = replace(self._runs[run_id], **values)
            return self._runs[run_id]

    def _log(self, run_id: int, line: str) -> None:
        with self.lock:
            self._logs[run_id] += line + "\n"

    def _launch(self, run_id: int, first_step: int) -> None:
        thread = threading.Thread(target=self._train, args=(run_id, first_step), daemon=True)
        self._threads[run_id] = thread
        thread.start()

    def _train(self, run_id: int, first_step: int) -> None:
        if self._runs[run_id].name in self.crash_at_start:  # as the service reports a worker that died starting
            self._log(run_id, "Traceback (most recent call last):\n  File \"<frozen runpy>\", line 198\n"
                              "ModuleNotFoundError: No module named 'studio.core.nothing'")
            self._update(run_id, status="failed", ended_at=now(), error="ModuleNotFoundError", message=(
                "The worker process ended before its first step: ModuleNotFoundError: No module named "
                "'studio.core.nothing'. Fix the cause, then start it again with the same settings (it has no "
                "checkpoint to resume from)."))
            return
        run = self._update(run_id, status="running", started_at=self._runs[run_id].started_at or now(),
                           ended_at=None, control=None)
        self._log(run_id, f"running from step {first_step}")
        cfg, opts = run.train_config, run.options
        eval_every, keep_every = cfg.get("eval_every", 50), opts["checkpoints"]["every"] or run.max_steps
        step, elapsed = first_step, run.elapsed_s
        while step < run.max_steps:
            control = self._runs[run_id].control
            if control == "pause":
                self._update(run_id, status="paused", control=None)
                self._log(run_id, "paused")
                while self._runs[run_id].control not in ("resume", "stop", "kill"):
                    time.sleep(0.02)
                if self._runs[run_id].control == "resume":
                    self._update(run_id, status="running", control=None)
                    self._log(run_id, "resumed")
                continue
            if control == "kill":
                self._update(run_id, status="interrupted", control=None, ended_at=now(), message="killed")
                self._log(run_id, "killed")
                return
            if control == "stop":
                self._checkpoint(run_id, step, "last-0")
                self._update(run_id, status="stopped", control=None, ended_at=now(), message="stop requested")
                self._log(run_id, f"stopped at step {step}")
                return
            time.sleep(1.0 / self.steps_per_s)
            step += 1
            elapsed += 1.0 / self.steps_per_s
            loss = 1.0 + 3.0 * math.exp(-step / 100.0) + 0.05 * math.sin(step)
            lr = cfg.get("lr", 1e-3) * min(1.0, step / 50) * (0.55 + 0.45 * math.cos(math.pi * step / run.max_steps))
            values = dict(train_loss=loss, lr=lr, grad_norm=0.5 + 0.2 * abs(math.sin(step * 1.7)),
                          tokens_per_s=1000.0 + 40 * math.sin(step * 0.9), tokens_seen=step * 256.0, elapsed_s=elapsed)
            self.store.write(run_id, [step], **values)
            update = dict(step=step, tokens_seen=step * 256, elapsed_s=elapsed, train_loss=loss, tokens_per_s=1000.0,
                          heartbeat_at=now())
            if step % eval_every == 0 or step == run.max_steps:
                val = loss + 0.1
                self.store.write(run_id, [step], val_loss=val)
                best = self._runs[run_id].best_val_loss
                update.update(val_loss=val, best_val_loss=val if best is None else min(best, val))
                if best is None or val < best:
                    self._checkpoint(run_id, step, "best", val)
            self._update(run_id, **update)
            if step % keep_every == 0:
                self._checkpoint(run_id, step, "last-0")
                self._log(run_id, f"step {step}: loss {loss:.4f}, checkpoint written")
        self._checkpoint(run_id, step, "last-0")
        self._update(run_id, status="completed", ended_at=now(), message="max_steps")
        self._log(run_id, "completed")

    def _checkpoint(self, run_id: int, step: int, slot: str, val: float | None = None) -> None:
        with self.lock:
            kept = [c for c in self._checkpoints[run_id] if c.slot != slot]
            kept.append(FakeCheckpoint(next(self._ckpt_ids), run_id, self._runs[run_id].attempt, slot, "written", step,
                                       None, val, 123_456, now(), {}))
            self._checkpoints[run_id] = kept

    def control(self, actor, run_id: int, action: str) -> FakeRun:
        self.calls.append((action, run_id))
        run = self._runs[run_id]
        if run.status in FINAL:
            raise StudioError(f"Run {run.name} is {run.status}; it cannot {action}.")
        return self._update(run_id, control=action)

    def resume_from(self, actor, run_id: int, checkpoint_id: int | None, max_steps: int | None = None) -> FakeRun:
        self.calls.append(("resume_from", run_id, checkpoint_id))
        checkpoint = next((c for c in self._checkpoints[run_id] if c.id == checkpoint_id), None)
        step = checkpoint.step if checkpoint is not None else 0  # no checkpoint: the service starts over
        run = self._update(run_id, status="queued", attempt=self._runs[run_id].attempt + 1, step=step,
                           ended_at=None, message="", error=None)
        self.store.truncate_after(run_id, step)
        self._launch(run_id, step)
        return run

    def delete_summary(self, actor, run_id: int) -> DeleteSummary:
        run = self.run(actor, run_id)
        points = sum(len(s) for s, _ in self.store.data.get(run_id, {}).values())
        checkpoints = self._checkpoints.get(run_id, [])
        return DeleteSummary(run.name, points, len(checkpoints), sum(c.size_bytes for c in checkpoints),
                             len(self._logs.get(run_id, "")))

    def delete(self, actor, run_id: int) -> None:
        self.calls.append(("delete", run_id))
        with self.lock:
            self._runs.pop(run_id)
            self.store.data.pop(run_id, None)

    def set_tags(self, actor, run_id, tags):
        return self._update(run_id, tags=tuple(tags))

    def set_group(self, actor, run_id, group):
        return self._update(run_id, group=group)

    # -- details ----------------------------------------------------------------------------------------
    def log(self, actor, run_id: int, offset: int) -> tuple[str, int]:
        with self.lock:
            text = self._logs.get(run_id, "")
        return text[offset:], len(text)

    def log_tail(self, actor, run_id: int) -> list[str]:
        with self.lock:
            return self._logs.get(run_id, "").splitlines()[-12:]

    def checkpoints(self, actor, run_id: int) -> list[FakeCheckpoint]:
        with self.lock:
            return list(self._checkpoints.get(run_id, []))

    def delete_checkpoint(self, actor, run_id, checkpoint_id):
        with self.lock:
            self._checkpoints[run_id] = [c for c in self._checkpoints[run_id] if c.id != checkpoint_id]

    def export_checkpoint(self, actor, run_id, checkpoint_id, folder):
        self.calls.append(("export", run_id, checkpoint_id, folder))

    def audit(self, actor, run_id):
        return [SimpleNamespace(ts="2026-11-28T12:00:00.000000Z", actor_name="root", action="run.start",
                                outcome="allowed", details_json='{"name": "x"}')]

    # -- generation -------------------------------------------------------------------------------------
    def generate(self, actor, source, prompt, settings, should_stop, stats=None):
        text = "Once upon a time there was a tiny model that learned to write."
        start = time.perf_counter()
        for ch in text[: settings["max_new_tokens"]]:
            if should_stop():
                return
            time.sleep(0.01)
            if stats is not None:  # as the engine counts: one token a character here
                stats.tokens += 1
                stats.elapsed_s = time.perf_counter() - start
                stats.first_token_s = stats.first_token_s or stats.elapsed_s
            yield ch

    def samples(self, actor, run_id):  # each user's own, as the service keeps them
        return list(self._samples.get((run_id, getattr(actor, "user_id", None)), []))

    def keep_sample(self, actor, run_id, sample):
        self._samples.setdefault((run_id, getattr(actor, "user_id", None)), []).append(sample)

    def wait_idle(self, timeout: float = 10.0) -> None:
        for thread in list(self._threads.values()):
            thread.join(timeout)
