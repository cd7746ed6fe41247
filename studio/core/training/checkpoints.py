"""Checkpoints of a run: the policy (every N steps, at the end, the last K kept and the best by validation
loss), the worker's side that writes them, and the seam to the store that keeps them encrypted.

A run's checkpoints live in *slots*: `last-0` .. `last-{K-1}` (rolling: a new checkpoint replaces the oldest)
and `best`. When a worker is launched, the run service (holding the user's unlocked session) reserves the
slots in the store; each slot's secret (its data keys) goes to the worker in the launch message. The worker
writes a slot atomically (a new file replaces the old one by rename, so the previous content stays whole
until the new one is complete) and then records step and losses in `run_checkpoints`. A write that fails
(disk full, read-only) is `CheckpointWriteError`: the worker ends the run as failed, saying so; it never
carries on without checkpoints.

Stores (`CheckpointStore`): `vault` (the real one, encrypting through the vault). Tests register doubles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from studio.core.errors import StudioError, ValidationError
from studio.core.stores.runs import CheckpointInfo, RunInfo, RunStore

if TYPE_CHECKING:
    from studio.core.services.studio import Studio
    from studio.core.training.state import TrainingState


class CheckpointWriteError(StudioError):
    """A checkpoint could not be written (the previous one is intact)."""


@dataclass(frozen=True)
class CheckpointPolicy:
    every: int = 500  # steps between checkpoints (0: only at the end)
    keep_last: int = 2  # rolling slots
    keep_best: bool = True  # a slot for the best validation loss

    def validate(self) -> CheckpointPolicy:
        if not isinstance(self.every, int) or self.every < 0:
            raise ValidationError("checkpoint_every must be a whole number >= 0 (0: only at the end).",
                                  field="checkpoint_every")
        if not isinstance(self.keep_last, int) or not 2 <= self.keep_last <= 20:
            # at least two: a write that fails half-way spoils its own slot, never the latest checkpoint
            raise ValidationError("keep_last must be between 2 and 20.", field="keep_last")
        return self

    def slots(self) -> list[str]:
        return [f"last-{i}" for i in range(self.keep_last)] + (["best"] if self.keep_best else [])

    def to_dict(self) -> dict[str, Any]:
        return {"every": self.every, "keep_last": self.keep_last, "keep_best": self.keep_best}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CheckpointPolicy:
        return cls(int(d.get("every", 500)), int(d.get("keep_last", 2)), bool(d.get("keep_best", True))).validate()


def retained(policy: CheckpointPolicy, checkpoints: Sequence[CheckpointInfo]) -> set[int]:
    """The ids of the usable checkpoints a run keeps, over all its attempts: the `keep_last` latest of the rolling
    slots and the one best by validation loss. Each attempt (a resume) reserves slots of its own, so without this
    an interrupted and resumed run kept them all (6 instead of 3)."""
    usable = [c for c in checkpoints if c.usable]
    last = sorted((c for c in usable if not c.is_best), key=lambda c: (c.step or 0, c.id), reverse=True)
    keep = {c.id for c in last[: policy.keep_last]}
    best = [c for c in usable if c.is_best and c.val_loss is not None]
    if policy.keep_best and best:
        keep.add(min(best, key=lambda c: (c.val_loss, -(c.step or 0), -c.id)).id)
    elif policy.keep_best:  # no validation loss anywhere: the latest best slot
        keep.update(c.id for c in sorted((c for c in usable if c.is_best), key=lambda c: c.id)[-1:])
    return keep


@dataclass(frozen=True)
class Reservation:
    slot: str
    ref: dict[str, Any]  # stored in run_checkpoints.ref (no secret)
    secret: dict[str, Any]  # for the worker only, through the launch message


class CheckpointSink(Protocol):
    """The worker's side of a store: writes one slot from its secret (no database, no user key)."""

    def write(self, secret: dict[str, Any], state: TrainingState, files: dict[str, bytes]) -> int:
        """Write the slot (the training state, and `files`: config.json, tokenizer.json), atomically;
        returns the bytes written. Raises OSError when the disk refuses."""


class CheckpointStore(Protocol):
    """The parent's side, called by the run service with the user's session."""

    name: str

    def reserve(self, studio: Studio, actor: Any, run: RunInfo, slots: Sequence[str]) -> list[Reservation]: ...

    def sink(self, studio: Studio) -> CheckpointSink: ...

    def read(self, studio: Studio, actor: Any, run: RunInfo, checkpoint: CheckpointInfo) -> TrainingState: ...

    def tokenizer(self, studio: Studio, actor: Any, run: RunInfo, checkpoint: CheckpointInfo) -> str | None:
        """The tokenizer.json kept with the checkpoint (the dataset's), to sample from it."""

    def settle(self, studio: Studio, actor: Any, run: RunInfo, checkpoints: Sequence[CheckpointInfo]) -> None:
        """No worker of the run is alive any more: keep what was written (state "kept"), drop what was not."""

    def delete(self, studio: Studio, actor: Any, run: RunInfo) -> None: ...


_STORES: dict[str, Callable[[], CheckpointStore]] = {}


def register_store(name: str, factory: Callable[[], CheckpointStore]) -> None:
    _STORES[name] = factory


def store_named(name: str) -> CheckpointStore:
    if name not in _STORES and name == "vault":
        from studio.core.training import vault_checkpoints  # noqa: F401  (registers itself)
    try:
        return _STORES[name]()
    except KeyError:
        raise StudioError(f"No checkpoint store named {name!r} in this installation.") from None


@dataclass
class Slot:
    id: int  # run_checkpoints row
    name: str
    secret: dict[str, Any]
    step: int | None = None


class CheckpointKeeper:
    """The worker's checkpoint policy over its slots (rank 0). `due()` says which checkpoints a step calls
    for; `save()` writes one and records it."""

    def __init__(self, store: RunStore, sink: CheckpointSink, slots: list[Slot], policy: CheckpointPolicy,
                 files: dict[str, bytes] | None = None, log: Callable[[str], None] = print):
        self.store, self.sink, self.policy, self.log = store, sink, policy, log
        self.files = files or {}
        self.last = [s for s in slots if s.name.startswith("last-")]
        self.best = next((s for s in slots if s.name == "best"), None)
        if not self.last:
            raise StudioError("The worker was given no checkpoint slot.")
        self.latest: Slot | None = None

    def due(self, step: int, is_best: bool, final: bool = False) -> list[str]:
        kinds = []
        if final or (self.policy.every and step % self.policy.every == 0):
            if self.latest is None or self.latest.step != step:
                kinds.append("last")
        if is_best and self.best is not None:
            kinds.append("best")
        return kinds

    def _next_last(self) -> Slot:
        empty = [s for s in self.last if s.step is None]
        return empty[0] if empty else min(self.last, key=lambda s: s.step or 0)

    def save(self, kind: str, state: TrainingState, step: int, train_loss: float | None,
             val_loss: float | None) -> Slot:
        slot = self._next_last() if kind == "last" else self.best
        assert slot is not None
        previous = self.latest.step if self.latest is not None else None
        try:
            size = self.sink.write(slot.secret, state, self.files)
        except OSError as error:
            # the slot's files may be half new, half old: it no longer holds a usable checkpoint
            self.store.set_checkpoint_state(slot.id, "empty", step=None, val_loss=None, train_loss=None)
            slot.step = None
            where = (f"The previous checkpoint, of step {previous}, is intact." if previous is not None
                     else "There is no earlier checkpoint of this run.")
            raise CheckpointWriteError(
                f"Could not write the checkpoint of step {step} ({error.strerror or error}). {where} "
                "Free some disk space (or make the data folder writable) and resume the run.") from error
        self.store.checkpoint_written(slot.id, step, train_loss, val_loss, size)
        slot.step = step
        if kind == "last":
            self.latest = slot
        self.log(f"checkpoint ({slot.name}) at step {step}: {size / 1e6:.1f} MB")
        return slot
