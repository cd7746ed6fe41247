"""Training runs: the run itself, its metrics (row by row as the worker writes them, then packed in blocks),
its events (status changes, control requests) and its checkpoint slots."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from studio.core.db.base import Base


class RunRow(Base):
    """One training run. The worker updates the progress columns (step, losses, heartbeat) as it goes, so
    a runs table needs no metric query; `control` is the pending request the worker polls for."""

    __tablename__ = "runs"
    # Names are the owner's: a run someone cannot see never stops them from using a name (migration 0014).
    __table_args__ = (UniqueConstraint("owner_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Where it comes from. Plain ids (no foreign keys): datasets and models live in their own domains,
    # which refuse to delete what a run still uses; the names are kept for display after all.
    dataset_id: Mapped[int | None] = mapped_column(Integer, index=True)
    dataset_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    source_model_id: Mapped[int | None] = mapped_column(Integer, index=True)
    source_version: Mapped[int | None] = mapped_column(Integer)
    source_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    # Settings (JSON): the model, the training loop, the run options (checkpoints, processes).
    model_config_json: Mapped[str] = mapped_column(Text, nullable=False)
    train_config_json: Mapped[str] = mapped_column(Text, nullable=False)
    options_json: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    tags_json: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    group_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    parameters: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Progress, written by the worker.
    step: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    max_steps: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    tokens_seen: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    elapsed_s: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    train_loss: Mapped[float | None] = mapped_column(Float)
    val_loss: Mapped[float | None] = mapped_column(Float)
    best_val_loss: Mapped[float | None] = mapped_column(Float)
    tokens_per_s: Mapped[float | None] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")
    error: Mapped[str | None] = mapped_column(Text)
    system_json: Mapped[str] = mapped_column(Text, nullable=False, default="{}")  # device, threads, torch, host
    # The process.
    attempt: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # launches so far
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))
    control: Mapped[str | None] = mapped_column(String(16))  # pause | resume | stop, until the worker acts
    control_seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    checkpoint_model_id: Mapped[int | None] = mapped_column(Integer)  # the vault model holding its checkpoints


class RunMetricRow(Base):
    """One value of one metric at one step, as the worker writes them (Core executemany, in batches). The
    primary key is the covering index (run, metric, step) and the table has no rowid, so a curve is one
    range scan of the key. Old rows are packed into RunMetricBlockRow by the writer."""

    __tablename__ = "run_metrics"
    __table_args__ = {"sqlite_with_rowid": False}

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[float] = mapped_column(Float, nullable=False)


class RunMetricBlockRow(Base):
    """Consecutive points of one metric packed as two little-endian arrays (int64 steps, float64 values):
    a curve of a million points is a few hundred rows, read in milliseconds."""

    __tablename__ = "run_metric_blocks"
    __table_args__ = {"sqlite_with_rowid": False}

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    first_step: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_step: Mapped[int] = mapped_column(Integer, nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    step_bytes: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    value_bytes: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class RunEventRow(Base):
    """What happened to a run, in order: status changes with their message, control requests, checkpoints."""

    __tablename__ = "run_events"
    __table_args__ = (Index("ix_run_events_run_id_id", "run_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), nullable=False)
    ts: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # status | control | checkpoint | error
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")


class RunCheckpointRow(Base):
    """A checkpoint slot of a run: reserved (empty) when a worker is launched, written (and rewritten, for
    the rolling "last" slots) by the worker, kept in the vault as a version of the run's checkpoint model."""

    __tablename__ = "run_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), nullable=False, index=True)
    attempt: Mapped[int] = mapped_column(Integer, nullable=False)
    slot: Mapped[str] = mapped_column(String(16), nullable=False)  # last-0 .. last-{K-1} | best
    state: Mapped[str] = mapped_column(String(16), nullable=False)  # empty | written | kept | dropped
    step: Mapped[int | None] = mapped_column(Integer)
    train_loss: Mapped[float | None] = mapped_column(Float)
    val_loss: Mapped[float | None] = mapped_column(Float)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    written_at: Mapped[datetime | None] = mapped_column(DateTime)
    ref: Mapped[str] = mapped_column(Text, nullable=False, default="{}")  # where the store keeps it (JSON)
