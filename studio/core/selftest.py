"""`studio self-test`: an end-to-end check of an installation, in a temporary data folder.

Each step is a function of the shared SelfTest context returning a short detail text; one failing step
marks the steps after it as skipped (they build on it). The installed app runs this (`studio self-test`,
Help -> Self-test), so it exercises the real paths: its own executable as a worker process, its resources.
"""

from __future__ import annotations

import json
import math
import secrets
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.core import procs
from studio.core.procs import studio_command
from studio.core.resources import resources_dir

TRAIN_STEPS = 20
GENERATE_TOKENS = 8
WORKER_TIMEOUT_S = 300


@dataclass(frozen=True)
class StepResult:
    name: str
    status: str  # ok, failed, skipped
    detail: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class SelfTest:
    data_dir: Path
    state: dict[str, Any] = field(default_factory=dict)  # what one step leaves for the next
    task: Any = None  # the TaskState when run as a task: long steps check it for a cancel

    def check(self, *_: Any) -> None:
        if self.task is not None:
            self.task.check()


def _resources(t: SelfTest) -> str:
    needed = ["icons/studio.svg", "i18n/zh_CN/gui.ts"]
    missing = [p for p in needed if not (resources_dir() / p).exists()]
    if missing:
        raise RuntimeError(f"missing resources in {resources_dir()}: {', '.join(missing)}")
    return str(resources_dir())


def _open_data_folder(t: SelfTest) -> str:
    from studio.core.services import Studio

    studio = Studio.open(t.data_dir)
    t.state["studio"] = studio
    current, head = studio.system.schema()
    return f"{t.data_dir} (schema {current})"


def _child_process(t: SelfTest) -> str:
    """The installation can start itself as a child process (how training workers start)."""
    out = procs.run(studio_command("doctor", "--json", "--data-dir", str(t.data_dir)), cwd=t.data_dir,
                    capture_output=True, text=True, timeout=300)
    report = json.loads(out.stdout or "{}")
    if out.returncode != 0 or not report.get("ok"):
        bad = [f"{c['name']}: {c['value']}" for c in report.get("checks", []) if not c["ok"]]
        raise RuntimeError("child process doctor failed: " + ("; ".join(bad) or out.stderr.strip()[-300:]))
    device = next((c["value"] for c in report["checks"] if c["name"] == "device"), "?")
    return f"child process ok; {device}"


def _create_user(t: SelfTest) -> str:
    """The first administrator, as at first start: Argon2id hash, a key pair sealed by the password."""
    studio = t.state["studio"]
    password = secrets.token_urlsafe(18)
    t.state["user"] = session = studio.accounts.create_first_admin("self-test", password)
    return f"administrator {session.user_name!r} created and logged in"


def _import_sample(t: SelfTest) -> str:
    from studio.core.datasets.sample import sample_options

    studio = t.state["studio"]
    info = studio.datasets.import_dataset(t.state["user"], sample_options(name="self-test sample"))
    t.state["dataset"] = info
    if not info.encrypted:
        raise RuntimeError("the sample was imported without encryption")
    return f"{info.name}: {info.documents:,} documents, {info.tokens:,} tokens, encrypted at rest"


def _train(t: SelfTest) -> str:
    """A tiny model, 20 steps, in a worker process started as the app starts every run (its own executable)."""
    from studio.core.services.runs import RunSettings

    studio, user = t.state["studio"], t.state["user"]
    settings = RunSettings(dataset=t.state["dataset"].id, name="self-test run", preset=None,
                           model={"n_layer": 2, "n_head": 2, "n_embd": 32, "block_size": 32, "dropout": 0.0},
                           train={"max_steps": TRAIN_STEPS, "batch_size": 4, "seq_len": 32, "eval_every": 10,
                                  "eval_batches": 2, "warmup_steps": 2, "seed": 1337, "device": "cpu", "threads": 1},
                           checkpoint_every=0)
    run = studio.runs.start(user, settings)
    done = studio.runs.wait(user, run.id, timeout_s=WORKER_TIMEOUT_S, poll_s=0.2, on_update=t.check)
    if done.status != "completed":
        log_tail, _ = studio.runs.read_log(user, run.id, offset=-2000)
        raise RuntimeError(f"the run ended {done.status}: {done.message}\n{log_tail}")
    curve = studio.runs.metrics(user, run.id, ["train_loss"])["train_loss"]
    if len(curve) != TRAIN_STEPS or not all(math.isfinite(v) for v in curve.values):
        raise RuntimeError(f"expected {TRAIN_STEPS} finite losses, got {len(curve)}")
    t.state["run"] = done
    return (f"{TRAIN_STEPS} steps in worker pid {done.pid}: loss {curve.values[0]:.3f} -> {curve.values[-1]:.3f} "
            f"({done.system.get('device', '?')})")


def _stored_in_vault(t: SelfTest) -> str:
    """The run's final checkpoint is a committed, encrypted version in the vault."""
    studio, user, run = t.state["studio"], t.state["user"], t.state["run"]
    model_id = studio.runs.get(user, run.id).checkpoint_model_id
    if model_id is None:
        raise RuntimeError("the run left no checkpoint model in the vault")
    version = studio.vault.versions(user, model_id)[-1]
    if version.state != "ready":
        raise RuntimeError(f"the checkpoint version is {version.state}, not committed (ready)")
    weights = next(a for a in version.artifacts if a.name == "model.safetensors")
    blob = studio.vault.blobs.path(weights.blob)
    with open(blob, "rb") as f:
        head = f.read(4096)
    if b"transformer" in head or b"dtype" in head:
        raise RuntimeError(f"{blob} holds plaintext weights")
    t.state["model"] = (model_id, version.number)
    return f"{version.model_name} v{version.number}: {version.stored_bytes:,} bytes encrypted"


def _load_back(t: SelfTest) -> str:
    studio, user = t.state["studio"], t.state["user"]
    model_id, number = t.state["model"]
    loaded = studio.vault.load(user, model_id, number)
    bad = [name for name, tensor in loaded.tensors.items() if not bool(tensor.float().isfinite().all())]
    if not loaded.tensors or bad or not loaded.tokenizer:
        raise RuntimeError(f"the loaded version is incomplete (non-finite: {bad[:3]}, tokenizer: {bool(loaded.tokenizer)})")
    count = sum(tensor.numel() for tensor in loaded.tensors.values())
    return f"{len(loaded.tensors)} tensors, {count:,} weights decrypted and verified"


def _generate(t: SelfTest) -> str:
    from studio.core.models.generate import SamplingConfig

    studio, user = t.state["studio"], t.state["user"]
    model_id, number = t.state["model"]
    config = SamplingConfig(max_new_tokens=GENERATE_TOKENS, temperature=0.8, top_k=20, seed=7)
    pieces = list(studio.runs.sample(user, f"model:{model_id}:{number}", "Once upon a time", config))
    if not pieces:
        raise RuntimeError("the model produced no text")
    return f"{len(pieces)} tokens: {''.join(pieces)!r}"


def _quantize(t: SelfTest) -> str:
    from studio.core.compression.recipe import Recipe

    studio, user = t.state["studio"], t.state["user"]
    model_id, number = t.state["model"]
    outcome = studio.compression.compress(user, model_id, Recipe(quant="int8"), version=number,
                                          dataset=t.state["dataset"].id, name="self-test int8")
    original, result = outcome.results
    if result.perplexity is None or not math.isfinite(result.perplexity):
        raise RuntimeError(f"the int8 model's perplexity is {result.perplexity}")
    return (f"int8 {outcome.version.model_name} v{outcome.version.version}: {original.file_bytes:,} -> "
            f"{result.file_bytes:,} bytes, perplexity {original.perplexity:.2f} -> {result.perplexity:.2f}")


def _audit_chain(t: SelfTest) -> str:
    studio, user = t.state["studio"], t.state["user"]
    report = studio.audit.verify(user)
    if not report.ok:
        raise RuntimeError(report.summary())
    if report.checked < 5:
        raise RuntimeError(f"only {report.checked} audit entries for everything above")
    return report.summary()


STEPS: list[tuple[str, Callable[[SelfTest], str]]] = [
    ("resources", _resources),
    ("data folder and database", _open_data_folder),
    ("worker process", _child_process),
    ("create a user", _create_user),
    ("import the sample dataset", _import_sample),
    (f"train {TRAIN_STEPS} steps in a worker process", _train),
    ("model stored in the vault", _stored_in_vault),
    ("load it back", _load_back),
    ("generate tokens", _generate),
    ("quantize (int8)", _quantize),
    ("verify the audit chain", _audit_chain),
]


def _stop_live_runs(studio: Any, user: Any) -> None:
    """A cancelled self-test leaves no worker behind in the folder about to be removed."""
    if user is None:
        return
    for run in studio.runs.live_runs(user):
        try:
            studio.runs.kill(user, run.id)
        except Exception:  # noqa: BLE001 - best effort while cleaning up
            pass


def run_self_test(on_result: Callable[[StepResult], None] | None = None, state=None) -> list[StepResult]:
    results: list[StepResult] = []
    with tempfile.TemporaryDirectory(prefix="studio-selftest-") as tmp:
        t = SelfTest(Path(tmp) / "data", task=state)
        failed = False
        try:
            for name, fn in STEPS:
                if state is not None:
                    state.check()
                start = time.perf_counter()
                if failed:
                    result = StepResult(name, "skipped", "an earlier step failed", 0.0)
                else:
                    try:
                        result = StepResult(name, "ok", fn(t), time.perf_counter() - start)
                    except Exception as error:  # noqa: BLE001 - every failure is reported, not raised
                        failed = True
                        detail = f"{type(error).__name__}: {error}"
                        result = StepResult(name, "failed", detail, time.perf_counter() - start)
                        t.state.setdefault("tracebacks", []).append(traceback.format_exc())
                results.append(result)
                if on_result is not None:
                    on_result(result)
        finally:
            studio = t.state.get("studio")
            if studio is not None:
                _stop_live_runs(studio, t.state.get("user"))
                studio.close()
    return results
