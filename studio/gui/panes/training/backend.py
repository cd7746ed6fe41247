"""What the Training pane needs from the studio, in one place: a thin adapter over the run service (and the
datasets, vault and audit services), so that the widgets never name a service method themselves.

Every method takes the signed-in session (`ctx.actor`) first, like the services. Methods that read or write
the database are called from worker threads (studio.gui.concurrent.Task, the metrics feed), never from the
GUI thread (but as the window closes over live runs: one read of the runs, and the stops the user asks for);
results are the services' frozen dataclasses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

# The run statuses of the run service (studio.core.stores.runs), with what they mean for the pane.
QUEUED, RUNNING, PAUSED = "queued", "running", "paused"
COMPLETED, STOPPED, DIVERGED, FAILED, INTERRUPTED = "completed", "stopped", "diverged", "failed", "interrupted"
LIVE = (QUEUED, RUNNING, PAUSED)
FINAL = (COMPLETED, STOPPED, DIVERGED, FAILED, INTERRUPTED)
STATUSES = LIVE + FINAL


@dataclass(frozen=True)
class DatasetChoice:
    """A dataset the user may train on, with what the form checks against."""

    id: int
    name: str
    vocab_size: int
    train_tokens: int
    val_tokens: int
    kind: str = "text"


@dataclass(frozen=True)
class ModelChoice:
    """A model version in the vault a run can fine-tune from (float weights: trained or imported models and
    the runs' kept checkpoints; studio.core.services.runs.sources.FineTuneSource)."""

    id: int
    name: str
    version: int
    config: dict[str, Any]  # the shape when known ({}: the plan reads it from the version)
    kind: str = ""  # import | checkpoint | compressed | ...
    step: int | None = None  # checkpoints: the step they hold
    val_loss: float | None = None
    slot: str | None = None  # checkpoints: last-N or best
    dtype: str = ""

    def same_version(self, model_id: int, version: int) -> bool:
        return self.id == model_id and self.version == version


@dataclass(frozen=True)
class RunSpec:
    """Everything the New-run form decides. `model` holds GPTConfig settings without the vocabulary (the
    dataset's tokenizer gives it), `train` TrainConfig settings, `options` the run options (checkpoints)."""

    name: str
    dataset_id: int
    model: dict[str, Any]
    train: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    group: str = ""
    source: tuple[int, int | None] | None = None  # fine-tune from (model id, version)
    from_checkpoint: tuple[int, int] | None = None  # fine-tune from (run id, checkpoint id)


@dataclass(frozen=True)
class DeleteSummary:
    """What deleting a run removes, for the confirmation."""

    run_name: str
    metric_points: int
    checkpoints: int
    checkpoint_bytes: int
    log_bytes: int


@dataclass(frozen=True)
class GenerationSource:
    """Where text is generated from: a checkpoint of a run, or a model version in the vault."""

    run_id: int | None = None
    checkpoint_id: int | None = None
    model_id: int | None = None
    version: int | None = None
    label: str = field(default="", compare=False)  # in words, for the samples kept: "tiny-1 · step 600 (best)"

    @property
    def key(self) -> str:
        if self.checkpoint_id is not None:
            return f"run{self.run_id}:checkpoint{self.checkpoint_id}"
        return f"model{self.model_id}:v{self.version}"


@dataclass(frozen=True)
class Sample:
    """A generated text kept with the checkpoint it came from (studio.runs.keep_sample: the user's own)."""

    source: str  # GenerationSource.key
    step: int | None
    prompt: str
    text: str
    settings: dict[str, Any]
    created_at: str
    label: str = ""  # where it came from, in words: "tiny-stories-1 · step 600 (best)"
    tokens: int | None = None  # generated
    tokens_per_s: float | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Sample:
        return cls(d.get("source") or "", d.get("step"), d.get("prompt") or "", d.get("text") or "",
                   d.get("settings") or {}, d.get("created_at") or "", d.get("label") or "", d.get("tokens"),
                   d.get("tokens_per_s"))


class TrainingBackend(Protocol):
    # -- runs -------------------------------------------------------------------------------------------
    def runs(self, actor) -> list[Any]: ...
    def run(self, actor, run_id: int) -> Any: ...
    def metrics(self, actor, run_id: int, since: dict[str, int]) -> dict[str, tuple[np.ndarray, np.ndarray]]: ...
    def datasets(self, actor) -> list[DatasetChoice]: ...
    def models(self, actor) -> list[ModelChoice]: ...
    def estimate(self, actor, spec: RunSpec, vocab_size: int) -> Any: ...
    def start(self, actor, spec: RunSpec) -> Any: ...
    def control(self, actor, run_id: int, action: str) -> Any: ...  # pause | resume | stop | kill
    def resume_from(self, actor, run_id: int, checkpoint_id: int | None, max_steps: int | None = None) -> Any: ...
    def delete_summary(self, actor, run_id: int) -> DeleteSummary: ...
    def delete(self, actor, run_id: int) -> None: ...
    def set_tags(self, actor, run_id: int, tags: tuple[str, ...]) -> Any: ...
    def set_group(self, actor, run_id: int, group: str) -> Any: ...
    # -- details ----------------------------------------------------------------------------------------
    def log(self, actor, run_id: int, offset: int) -> tuple[str, int]: ...
    def log_tail(self, actor, run_id: int) -> list[str]: ...
    def checkpoints(self, actor, run_id: int) -> list[Any]: ...
    def delete_checkpoint(self, actor, run_id: int, checkpoint_id: int) -> None: ...
    def export_checkpoint(self, actor, run_id: int, checkpoint_id: int, folder: str) -> Any: ...
    def audit(self, actor, run_id: int) -> list[Any]: ...
    # -- generation -------------------------------------------------------------------------------------
    def generate(self, actor, source: GenerationSource, prompt: str, settings: dict[str, Any],
                 should_stop: Callable[[], bool], stats: Any = None) -> Iterator[str]: ...
    def chat(self, actor, source: GenerationSource, messages: list[dict[str, str]], settings: dict[str, Any],
             should_stop: Callable[[], bool], stats: Any = None,
             on_prompt: Callable[[str, int], None] | None = None) -> Iterator[str]: ...
    def samples(self, actor, run_id: int) -> list[Sample]: ...
    def keep_sample(self, actor, run_id: int, sample: Sample) -> None: ...
