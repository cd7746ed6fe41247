"""Training runs as frozen dataclasses: runs, their events and their checkpoint slots. The run service
changes them inside `Service.operation` on its session with the helpers here; the worker, which acts for the
studio itself, writes its progress, status and checkpoints through `RunStore` (short transactions that take
the write lock at once, so that two workers and a GUI never see "database is locked")."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from studio.core.db import Database
from studio.core.db.tables.accounts import GrantRow, UserRow
from studio.core.db.tables.datasets import DatasetRow
from studio.core.db.tables.runs import RunCheckpointRow, RunEventRow, RunRow
from studio.core.db.tables.vault import VaultModelRow
from studio.core.errors import NotFoundError, ValidationError
from studio.core.security import rowauth

# Who owns a run (and so may control or delete it) and what it is made from (a grant on those lets the holder
# read it): authenticated like every access row (security/rowauth.py). The progress columns the worker
# writes are not.
rowauth.protect(RunRow, "run", ("id", "owner_id", "dataset_id", "source_model_id"), id_column="id")

QUEUED, RUNNING, PAUSED = "queued", "running", "paused"
COMPLETED, STOPPED, DIVERGED, FAILED, INTERRUPTED = "completed", "stopped", "diverged", "failed", "interrupted"
LIVE = (QUEUED, RUNNING, PAUSED)  # a worker is (or should be) alive
FINAL = (COMPLETED, STOPPED, DIVERGED, FAILED, INTERRUPTED)
STATUSES = LIVE + FINAL
CONTROLS = ("pause", "resume", "stop")

_NAME = re.compile(r"^[\w][\w.\- ]{0,199}$")
_TAG = re.compile(r"^[\w][\w.\-]{0,39}$")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def check_run_name(name: str) -> str:
    name = (name or "").strip()
    if not _NAME.match(name) or name.isdigit():
        raise ValidationError("A run name has 1 to 200 letters, digits, spaces, '.', '_' or '-', starts with a letter "
                              "or digit and is not only digits.", field="name")
    return name


def run_not_found(ref: int | str) -> NotFoundError:
    """The one answer for a run that does not exist, or exists but is not the asker's to see."""
    return NotFoundError(f"There is no run {ref!r} (see `studio runs list`).")


def check_tags(tags: Any) -> tuple[str, ...]:
    out = []
    for tag in tags or ():
        tag = str(tag).strip()
        if not _TAG.match(tag):
            raise ValidationError(f"A tag has 1 to 40 letters, digits, '.', '_' or '-' (got {tag!r}).", field="tags")
        if tag not in out:
            out.append(tag)
    return tuple(out)


@dataclass(frozen=True)
class RunInfo:
    id: int
    name: str
    owner_id: int
    owner_name: str
    status: str
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    heartbeat_at: datetime | None
    dataset_id: int | None
    dataset_name: str
    source_model_id: int | None
    source_version: int | None
    source_name: str
    model_config: dict[str, Any]
    train_config: dict[str, Any]
    options: dict[str, Any]
    tags: tuple[str, ...]
    group: str
    parameters: int
    step: int
    max_steps: int
    tokens_seen: int
    elapsed_s: float
    train_loss: float | None
    val_loss: float | None
    best_val_loss: float | None
    tokens_per_s: float | None
    message: str
    error: str | None
    system: dict[str, Any]
    attempt: int
    pid: int | None
    host: str | None
    control: str | None
    checkpoint_model_id: int | None

    @property
    def is_live(self) -> bool:
        return self.status in LIVE

    @property
    def progress(self) -> float:
        return min(1.0, self.step / self.max_steps) if self.max_steps else 0.0

    @property
    def eta_s(self) -> float | None:
        """Time left at the run's average speed so far (None before the first step, while paused: a paused
        run is not getting anywhere, and once it ended)."""
        if self.status != RUNNING or not self.step or not self.elapsed_s:
            return None
        return (self.max_steps - self.step) * self.elapsed_s / self.step

    @property
    def val_ppl(self) -> float | None:
        return None if self.val_loss is None else math.exp(min(self.val_loss, 700.0))


@dataclass(frozen=True)
class RunEvent:
    id: int
    run_id: int
    ts: datetime
    kind: str
    message: str


@dataclass(frozen=True)
class CheckpointInfo:
    id: int
    run_id: int
    attempt: int
    slot: str
    state: str  # empty | written | kept | dropped
    step: int | None
    train_loss: float | None
    val_loss: float | None
    size_bytes: int
    written_at: datetime | None
    ref: dict[str, Any]

    @property
    def is_best(self) -> bool:
        return self.slot == "best"

    @property
    def usable(self) -> bool:
        return self.state in ("written", "kept") and self.step is not None


def to_run(row: RunRow, owner_name: str) -> RunInfo:
    return RunInfo(
        row.id, row.name, row.owner_id, owner_name, row.status, row.created_at, row.started_at, row.ended_at,
        row.heartbeat_at, row.dataset_id, row.dataset_name, row.source_model_id, row.source_version, row.source_name,
        json.loads(row.model_config_json), json.loads(row.train_config_json), json.loads(row.options_json),
        tuple(json.loads(row.tags_json)), row.group_name, row.parameters, row.step, row.max_steps, row.tokens_seen,
        row.elapsed_s, row.train_loss, row.val_loss, row.best_val_loss, row.tokens_per_s, row.message, row.error,
        json.loads(row.system_json), row.attempt, row.pid, row.host, row.control, row.checkpoint_model_id,
    )


def to_checkpoint(row: RunCheckpointRow) -> CheckpointInfo:
    return CheckpointInfo(row.id, row.run_id, row.attempt, row.slot, row.state, row.step, row.train_loss,
                          row.val_loss, row.size_bytes, row.written_at, json.loads(row.ref))


def run_row(session: Session, run_id: int) -> RunRow:
    row = session.get(RunRow, run_id)
    if row is None:
        raise NotFoundError(f"There is no run {run_id} (see `studio runs list`).")
    return row


def run_info(session: Session, row: RunRow) -> RunInfo:
    owner = session.get(UserRow, row.owner_id)
    return to_run(row, owner.name if owner else "?")


def add_event(session: Session, run_id: int, kind: str, message: str) -> None:
    session.add(RunEventRow(run_id=run_id, ts=utcnow(), kind=kind, message=message[:4000]))


class RunStore:
    def __init__(self, db: Database):
        self._db = db

    # --- reads --------------------------------------------------------------------------------------------

    @staticmethod
    def named(session: Session, name: str, seen_by: int | None) -> list[RunRow]:
        """The runs called `name`, in any case (SQLite's lower()), that user `seen_by` can see (every one for
        None: an administrator or the studio itself), oldest first: their own, and those they read through a
        grant on the run or through owning or holding a grant on its dataset or one of its models (what the
        policy implies, services/runs/objects.py). Only the user's own rows and grants are looked at, so what
        this costs and returns does not depend on runs of that name that others can see. Rows are taken as
        written here: the operation that follows verifies them and refuses a forgery, recorded."""
        query = select(RunRow).where(func.lower(RunRow.name) == func.lower(name)).order_by(RunRow.id)
        if seen_by is None:
            return list(session.scalars(query))
        own = list(session.scalars(query.where(RunRow.owner_id == seen_by)))
        held: dict[str, set[int]] = {"run": set(), "dataset": set(), "model": set()}
        for obj_type, obj_id in session.execute(select(GrantRow.obj_type, GrantRow.obj_id).where(
                GrantRow.user_id == seen_by, GrantRow.obj_type.in_(tuple(held)))):
            if obj_id.isdigit():
                held[obj_type].add(int(obj_id))
        held["dataset"].update(session.scalars(select(DatasetRow.id).where(DatasetRow.owner_id == seen_by)))
        held["model"].update(session.scalars(select(VaultModelRow.id).where(VaultModelRow.owner_id == seen_by)))
        reach = [RunRow.id.in_(held["run"]), RunRow.dataset_id.in_(held["dataset"]),
                 RunRow.source_model_id.in_(held["model"]), RunRow.checkpoint_model_id.in_(held["model"])]
        shared = list(session.scalars(query.where(RunRow.owner_id != seen_by, or_(*reach))))
        return own + shared

    def get(self, run_id: int) -> RunInfo:
        with self._db.session() as s:
            return run_info(s, run_row(s, run_id))

    def list(self, ids: list[int] | None = None, status: str | None = None) -> list[RunInfo]:
        with self._db.session() as s:
            q = select(RunRow, UserRow.name).join(UserRow, UserRow.id == RunRow.owner_id)
            if ids is not None:
                q = q.where(RunRow.id.in_(ids))
            if status is not None:
                q = q.where(RunRow.status == status)
            return [to_run(r, n) for r, n in s.execute(q.order_by(RunRow.id.desc())).all()]

    def ids(self) -> list[int]:
        with self._db.session() as s:
            return list(s.scalars(select(RunRow.id)))

    def live_ids(self) -> list[int]:
        with self._db.session() as s:
            return list(s.scalars(select(RunRow.id).where(RunRow.status.in_(LIVE))))

    def name_taken(self, name: str, owner_id: int | None) -> bool:
        """Whether `owner_id` has a run called `name` (names are unique per owner: migration 0014)."""
        with self._db.session() as s:
            return s.scalar(select(func.count()).select_from(RunRow).where(
                RunRow.owner_id.is_(owner_id) if owner_id is None else RunRow.owner_id == owner_id,
                RunRow.name == name)) > 0

    def events(self, run_id: int, after_id: int = 0, limit: int = 1000) -> list[RunEvent]:
        with self._db.session() as s:
            rows = s.scalars(select(RunEventRow).where(RunEventRow.run_id == run_id, RunEventRow.id > after_id)
                             .order_by(RunEventRow.id).limit(limit))
            return [RunEvent(r.id, r.run_id, r.ts, r.kind, r.message) for r in rows]

    def checkpoints(self, run_id: int, usable_only: bool = False) -> list[CheckpointInfo]:
        with self._db.session() as s:
            rows = s.scalars(select(RunCheckpointRow).where(RunCheckpointRow.run_id == run_id)
                             .order_by(RunCheckpointRow.id))
            out = [to_checkpoint(r) for r in rows]
        return [c for c in out if c.usable] if usable_only else out

    def checkpoint(self, checkpoint_id: int) -> CheckpointInfo:
        with self._db.session() as s:
            row = s.get(RunCheckpointRow, checkpoint_id)
            if row is None:
                raise NotFoundError(f"There is no checkpoint {checkpoint_id}.")
            return to_checkpoint(row)

    # --- the worker's writes (short, immediate transactions) ------------------------------------------------

    def update(self, run_id: int, **values: Any) -> None:
        with self._db.immediate() as conn:
            conn.execute(update(RunRow).where(RunRow.id == run_id).values(**values))

    def set_status(self, run_id: int, status: str, message: str = "", *, error: str | None = None,
                   **values: Any) -> None:
        """Record a status change with its event (and the error text for failures)."""
        if status not in STATUSES:
            raise ValueError(f"unknown run status {status!r}")
        values.update(status=status, message=message)
        if error is not None:
            values["error"] = error
        if status in FINAL:
            values.setdefault("ended_at", utcnow())
            values.setdefault("control", None)
        with self._db.immediate() as conn:
            conn.execute(update(RunRow).where(RunRow.id == run_id).values(**values))
            conn.execute(insert(RunEventRow).values(run_id=run_id, ts=utcnow(), kind="status",
                                                    message=f"{status}: {message}"[:4000]))

    def event(self, run_id: int, kind: str, message: str) -> None:
        with self._db.immediate() as conn:
            conn.execute(insert(RunEventRow).values(run_id=run_id, ts=utcnow(), kind=kind, message=message[:4000]))

    def take_control(self, run_id: int) -> str | None:
        """The pending control request, cleared as it is taken (pause, resume or stop), or None."""
        with self._db.engine.connect() as conn:
            pending = conn.execute(select(RunRow.control, RunRow.control_seq).where(RunRow.id == run_id)).first()
        if pending is None or pending[0] is None:
            return None
        with self._db.immediate() as conn:
            # cleared only if no newer request came in meanwhile (that one is taken next time)
            conn.execute(update(RunRow).where(RunRow.id == run_id, RunRow.control_seq == pending[1])
                         .values(control=None))
        return pending[0]

    def checkpoint_written(self, checkpoint_id: int, step: int, train_loss: float | None, val_loss: float | None,
                           size_bytes: int) -> None:
        with self._db.immediate() as conn:
            conn.execute(update(RunCheckpointRow).where(RunCheckpointRow.id == checkpoint_id).values(
                state="written", step=step, train_loss=train_loss, val_loss=val_loss, size_bytes=size_bytes,
                written_at=utcnow()))

    def set_checkpoint_state(self, checkpoint_id: int, state: str, **values: Any) -> None:
        with self._db.immediate() as conn:
            conn.execute(update(RunCheckpointRow).where(RunCheckpointRow.id == checkpoint_id)
                         .values(state=state, **values))
