"""The run service: the one door through which the GUI and the CLI start, watch and control training runs.

    plan = studio.runs.plan(actor, RunSettings(dataset="sample", preset="tiny", train={"max_steps": 2000}))
    run = studio.runs.start(actor, plan.settings)          # a worker process is running now
    studio.runs.metrics(actor, run.id, after_step=120)     # {metric: Curve(steps, values)}
    studio.runs.pause(actor, run.id); studio.runs.resume(actor, run.id); studio.runs.stop(actor, run.id)

Each run is its own OS process (studio.core.training.worker). Control goes through the runs table, which
the worker polls between steps, so it survives the GUI closing and reopening; kill is a signal. A worker that
died without a final status is found by `reconcile()` (its lock is free) and marked interrupted; `resume`
starts a new worker from the last checkpoint (or one the user picks).
"""

from __future__ import annotations

import json
import logging
import os
import platform
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from studio.core import operations as ops
from studio.core.actor import SYSTEM
from studio.core.db.tables.accounts import UserRow
from studio.core.db.tables.runs import RunCheckpointRow, RunRow
from studio.core.errors import ConflictError, NotFoundError, StudioError, ValidationError
from studio.core.models.config import GPTConfig, parameter_count
from studio.core.security import policy
from studio.core.services.base import Service

if TYPE_CHECKING:
    from studio.core.services.runs.sources import FineTuneSource
    from studio.core.stores.run_metrics import Curve
from studio.core.procs import studio_command
from studio.core.services.runs import data as run_data
from studio.core.services.runs import objects
from studio.core.services.runs.chat import ChatMixin
from studio.core.services.runs.sampling import SamplingMixin
from studio.core.services.runs.settings import (
    DataInfo,
    RunPlan,
    RunSettings,
    build_model_config,
    build_train_config,
    check_data,
    check_settings,
)
from studio.core.stores.accounts import sees_everything
from studio.core.stores.runs import (
    FAILED,
    INTERRUPTED,
    LIVE,
    PAUSED,
    QUEUED,
    RUNNING,
    STOPPED,
    CheckpointInfo,
    RunEvent,
    RunInfo,
    RunStore,
    add_event,
    check_run_name,
    check_tags,
    run_info,
    run_not_found,
    run_row,
    utcnow,
)
from studio.core.training import launch
from studio.core.training.checkpoints import store_named
from studio.core.training.distributed import torchrun_command
from studio.core.training.launch import LaunchMessage
from studio.core.units import human_size

log = logging.getLogger(__name__)
objects.register()


def replace_estimate(plan: RunPlan, earlier: RunPlan | None) -> RunPlan:
    """`plan` with the estimate of an `earlier` plan of the same settings (not measured twice)."""
    if earlier is None or earlier.estimate is None:
        return plan
    from dataclasses import replace

    return replace(plan, estimate=earlier.estimate)


def log_tail(path: Path, lines: int = 12, max_bytes: int = 8192) -> list[str]:
    """The last `lines` lines of a run's log (where a worker that died says why), [] when there is none."""
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - max_bytes))
            text = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    out = text.splitlines()
    if size > max_bytes and out:
        out = out[1:]  # the first line is cut
    return [line.rstrip() for line in out[-lines:]]


def _runs_of_dataset(session: Any, dataset_id: int) -> list[str]:
    from sqlalchemy import select

    names = session.scalars(select(RunRow.name).where(RunRow.dataset_id == dataset_id).order_by(RunRow.id))
    return [f"run {name!r}" for name in names]


class RunService(ChatMixin, SamplingMixin, Service):
    def __init__(self, studio: Any):
        super().__init__(studio)
        self.store = RunStore(studio.db)
        self._lock = threading.Lock()
        datasets = getattr(studio, "datasets", None)
        if datasets is not None:  # a dataset that runs trained on is not deleted under them
            datasets.add_dependents_finder(_runs_of_dataset)
        vault = getattr(studio, "vault", None)
        if vault is not None:  # a live worker holds its checkpoints' keys: no rotation can reach it
            vault.add_writer_finder(self._checkpoint_writers)

    def _worker_alive(self, run_id: int, host: str | None, beat: Any) -> bool:
        """Whether a worker of the run lives: its lock is held (a run on another machine: assumed so; where
        flock does not exist, a heartbeat within a minute)."""
        if host and host != platform.node():
            return True
        held = launch.lock_held(self.studio.paths.run_dir(run_id))
        if held is None:  # no flock here: a worker beats at least every few seconds, even paused
            return beat is not None and (utcnow() - beat).total_seconds() < 60
        return held

    def _checkpoint_writers(self, session: Any, model_id: int) -> list[str]:
        """The live runs writing pending checkpoint versions of vault model `model_id` (for the vault's
        rotations: see VaultBase.live_writers). A starting run names itself in its pending versions before its
        checkpoint_model_id is set."""
        from sqlalchemy import select

        from studio.core.db.tables.vault import VaultVersionRow

        ids = set(session.scalars(select(RunRow.id).where(RunRow.checkpoint_model_id == model_id,
                                                          RunRow.status.in_(LIVE))))
        for meta in session.scalars(select(VaultVersionRow.metadata_json).where(
                VaultVersionRow.model_id == model_id, VaultVersionRow.state == "pending")):
            run_id = json.loads(meta or "{}").get("run")
            if isinstance(run_id, int):
                ids.add(run_id)
        names = []
        for run_id in sorted(ids):
            row = session.get(RunRow, run_id)
            if row is not None and row.status in LIVE and self._worker_alive(row.id, row.host,
                                                                             row.heartbeat_at or row.created_at):
                names.append(f"Run {row.name!r} (id {row.id})")
        return names

    # --- planning ---------------------------------------------------------------------------------------------

    def plan(self, actor: Any, settings: RunSettings, *, estimate: str | bool = "auto") -> RunPlan:
        """Validate `settings` and work out the run: configurations, parameter count, and (unless
        `estimate` is False) memory and time per step ("auto" measures a few steps when they are quick,
        "flops" derives the time only). Raises ValidationError (with `field`) for anything wrong."""
        self.check(actor, ops.RUN_START)
        check_settings(settings)
        data = self._data_info(actor, settings, tokenizer=bool(settings.source))
        source_label = ""
        if settings.source:
            model_config, source_label = self._source_config(actor, settings, data)
        else:
            model_config = build_model_config(settings, data.vocab_size)
        train_config = build_train_config(settings, model_config)
        notes = check_data(data, train_config, model_config)
        lora = settings.lora_config
        est = None
        if estimate:
            from studio.core.models.estimate import estimate as estimate_cost

            est = estimate_cost(model_config, train_config.batch_size, train_config.device,
                                seq_len=train_config.seq_len, optimizer=train_config.optimizer,
                                grad_accum=train_config.grad_accum, bf16=train_config.precision == "bf16",
                                method="flops" if estimate == "flops" else "auto", lora=lora,
                                shards=settings.nproc * settings.nnodes if settings.fsdp else 1,
                                threads=train_config.threads)
            if est.fits is False:
                notes.append(f"The estimate ({human_size(est.total_bytes)}) is more than the device's memory "
                             f"({human_size(est.device_memory_bytes or 0)}): use a smaller batch or model.")
            parameters = est.parameters
        elif isinstance(model_config, GPTConfig) and lora is None:
            parameters = parameter_count(model_config)
        else:
            from studio.core.models.estimate import model_counts

            counts = model_counts(model_config, lora)
            parameters = counts.parameters + counts.adapter
        if lora is not None:
            notes.append(f"LoRA rank {lora.rank} (alpha {lora.alpha:g}): the base stays frozen; the result is a "
                         "small adapter version of the base (merge it with `studio vault merge`).")
        return RunPlan(settings, model_config, train_config, data, parameters, est, tuple(notes), source_label)

    def _data_info(self, actor: Any, settings: RunSettings, tokenizer: bool) -> DataInfo:
        """What the plan needs of the data: the dataset's description (the policy is asked, nothing is
        recorded: the form asks for plans as the user types) and, `tokenizer`, its tokenizer (fine-tuning
        compares it with the model's; an encrypted dataset's is read with the actor's key)."""
        if settings.data is not None:  # token files (tests, benchmarks)
            from studio.core.training.sources import open_arrays_folder

            found = open_arrays_folder(settings.data["folder"])
            val = found.data.val
            return DataInfo(dict(settings.data), None, found.name, found.vocab_size, found.eos_id,
                            found.tokenizer_json, len(found.data.train), len(val) if val is not None else 0)
        if settings.dataset is None:
            raise ValidationError("Choose a dataset to train on.", field="dataset")
        dataset_id = run_data.resolve(self.studio, actor, settings.dataset)
        self.check(actor, ops.DATASET_READ, "dataset", dataset_id)
        with self.studio.db.session() as s:
            h = run_data.dataset_handle(self.studio, s, actor, dataset_id, with_key=tokenizer)
            tok = h.tokenizer_json() if tokenizer else None
        return DataInfo({"kind": "dataset", "id": h.id}, h.id, h.name, h.vocab_size, h.eos_id, tok, h.train_tokens,
                        h.val_tokens, h.tokenizer_label)

    def _worker_data(self, session: Any, actor: Any, run: RunInfo) -> dict[str, Any]:
        """The data spec for the worker's launch message (with an encrypted dataset's key)."""
        spec = run.options["data"]
        if spec.get("kind") != "dataset":
            return dict(spec)
        return run_data.dataset_handle(self.studio, session, actor, int(spec["id"]), with_key=True).worker_spec()

    def fine_tune_sources(self, actor: Any) -> list[FineTuneSource]:
        """The vault versions the actor may start a fine-tuning run from (float weights: trained and imported
        models, every kept checkpoint of a run; not quantized versions), for `RunSettings.source`."""
        from studio.core.services.runs.sources import fine_tune_sources

        self.check(actor, ops.RUN_START)
        return fine_tune_sources(self.studio, actor)

    def _source_config(self, actor: Any, settings: RunSettings, data: DataInfo) -> tuple[Any, str]:
        from studio.core.services.runs.sources import source_config

        return source_config(self.studio, actor, settings, data)

    # --- starting -----------------------------------------------------------------------------------------------

    def start(self, actor: Any, settings: RunSettings, *, plan: RunPlan | None = None) -> RunInfo:
        """Create the run and start its worker process. Returns the run (status queued; the worker moves
        it to running within seconds)."""
        plan = self._start_plan(actor, settings, plan)
        settings = plan.settings
        init, blob, source = "fresh", b"", None
        if settings.source:
            from studio.core.services.runs.sources import load_source

            source = load_source(self.studio, actor, settings, plan)
            init, blob = "weights", source.blob
        lock_fd = None
        with self.operation(actor, ops.RUN_START, "run", None, dataset=plan.data.name,
                            source=plan.source_label or None) as op:
            s = op.session
            name = check_run_name(settings.name) if settings.name else self._default_name(actor, plan)
            if self.store.name_taken(name, actor.user_id):
                raise ConflictError(f"You have a run called {name!r} already; choose another name.")
            options = {"data": plan.data.spec, "checkpoints": settings.policy.to_dict(),
                       "checkpoint_store": settings.checkpoint_store, "settings": settings.to_dict(),
                       "nproc": settings.nproc, "nnodes": settings.nnodes, "notes": list(plan.notes),
                       "eos_id": plan.data.eos_id, "has_tokenizer": plan.data.tokenizer_json is not None or plan.data.dataset_id is not None}
            if settings.lora_config is not None:
                options["lora"] = settings.lora_config.to_dict()
            if settings.fsdp:
                options["fsdp"] = True
            row = RunRow(
                name=name, owner_id=actor.user_id, status=QUEUED, created_at=utcnow(), dataset_id=plan.data.dataset_id,
                dataset_name=plan.data.name, source_model_id=source.model_id if source else None,
                source_version=source.version if source else None, source_name=plan.source_label,
                model_config_json=json.dumps(plan.model_config.to_dict()),
                train_config_json=json.dumps(plan.train_config.to_dict()), options_json=json.dumps(options),
                tags_json=json.dumps(list(check_tags(settings.tags))), group_name=settings.group.strip(),
                parameters=plan.parameters, max_steps=plan.train_config.max_steps, heartbeat_at=utcnow(),
            )
            s.add(row)
            s.flush()
            op.obj_id = str(row.id)
            op.details.update(name=name, parameters=plan.parameters, max_steps=plan.train_config.max_steps)
            add_event(s, row.id, "status", f"queued: created by {actor.user_name}")
            run = run_info(s, row)
            data = self._worker_data(s, actor, run)  # the audited read of the dataset: this entry
            # Held before the row is visible: a reconcile elsewhere never sees a queued run without its lock.
            lock_fd = launch.hold_lock(self.studio.paths.run_dir(row.id))
        return self._launch(actor, run, init, blob, lock_fd, data)

    def _start_plan(self, actor: Any, settings: RunSettings, plan: RunPlan | None) -> RunPlan:
        """The plan to start from (validated again: the dataset or the model may have changed since the
        form asked), keeping an earlier plan's estimate rather than measuring it twice."""
        return replace_estimate(self.plan(actor, settings, estimate=False), plan)

    def _default_name(self, actor: Any, plan: RunPlan) -> str:
        base = plan.settings.preset if plan.settings.preset and not plan.settings.source else "run"
        data = re.sub(r"[^\w.\-]+", "-", plan.data.name).strip("-").lower()[:60] or "data"
        n = 1
        while self.store.name_taken(f"{base}-{data}-{n}", actor.user_id):
            n += 1
        return f"{base}-{data}-{n}"

    def _launch(self, actor: Any, run: RunInfo, init: str, blob: bytes, lock_fd: int | None,
                data: dict[str, Any]) -> RunInfo:
        """Reserve the checkpoint slots and start the worker (the run's lock is held by the caller and
        passed on to the worker). On any failure the run is marked failed with the reason."""
        attempt = run.attempt + 1
        try:
            ckpt_store = store_named(run.options.get("checkpoint_store", "vault"))
            from studio.core.training.checkpoints import CheckpointPolicy

            policy_ = CheckpointPolicy.from_dict(run.options["checkpoints"])
            reservations = ckpt_store.reserve(self.studio, actor, run, policy_.slots())
            slots = []
            with self.studio.db.session() as s:
                for r in reservations:
                    row = RunCheckpointRow(run_id=run.id, attempt=attempt, slot=r.slot, state="empty",
                                           ref=json.dumps(r.ref))
                    s.add(row)
                    s.flush()
                    slots.append({"id": row.id, "slot": r.slot, "secret": r.secret})
            message = LaunchMessage(init, blob, slots, {"data": data})
            run_dir = self.studio.paths.run_dir(run.id)
            proc = launch.start_process(self._command(run), run_dir / "run.log", message, lock_fd=lock_fd,
                                        env=self._env(run))
        except BaseException as error:
            launch.release_lock(lock_fd)
            text = str(error) if isinstance(error, StudioError) else f"{type(error).__name__}: {error}"
            self.store.set_status(run.id, FAILED, f"Could not start the worker: {text}", error=text)
            self._settle(run.id)  # the reserved slots (and a checkpoint model made for them) go again
            raise
        launch.release_lock(lock_fd)  # the worker holds it now
        threading.Thread(target=proc.wait, name=f"reap-run-{run.id}", daemon=True).start()  # no zombie
        self.store.update(run.id, pid=proc.pid, host=platform.node(), attempt=attempt, heartbeat_at=utcnow())
        log.info("started the worker of run %s (pid %s, attempt %s)", run.id, proc.pid, attempt)
        return self.store.get(run.id)

    def _command(self, run: RunInfo) -> list[str]:
        args = ["--run-id", str(run.id), "--data-dir", str(self.studio.paths.root)]
        s = RunSettings.from_dict(run.options["settings"])
        if s.nproc == 1 and s.nnodes == 1:
            return studio_command("worker", *args)
        return torchrun_command(args, nproc=s.nproc, nnodes=s.nnodes, node_rank=s.node_rank,
                                master_addr=s.master_addr, master_port=s.master_port)

    @staticmethod
    def _env(run: RunInfo) -> dict[str, str]:
        env = dict(os.environ)
        nproc = int(run.options.get("nproc", 1))
        if nproc > 1 and "OMP_NUM_THREADS" not in env:  # torchrun would set 1; share the cores instead
            env["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // nproc))
        return env

    # --- reading ------------------------------------------------------------------------------------------------

    def _id(self, actor: Any, run: int | str | RunInfo) -> int:
        return run.id if isinstance(run, RunInfo) else self.resolve(actor, run)

    def resolve(self, actor: Any, run: int | str) -> int:
        """The id of a run given by id (a number or a string of digits: the policy then decides, and records a
        denial) or by name, among the runs the actor can see: their own first, then one they see through a
        grant; several of those are a ConflictError asking for the id. A name typed in another case is taken
        when only one visible run matches it. Names are unique per owner only, and a run the actor cannot see
        does not exist for them: asking for it by name gets, at the same cost, the answer a name nobody uses
        gets (RunStore.named looks only at the actor's own rows and grants)."""
        if isinstance(run, int) or run.strip().isdigit():
            with self.studio.db.session() as s:
                if s.get(RunRow, int(run)) is None:
                    raise run_not_found(run)
            return int(run)
        name = run.strip()
        with self.acting_session(actor) as s:
            rows = self.store.named(s, name, None if sees_everything(s, actor) else actor.user_id)
            exact = [r for r in rows if r.name == name]
            own = [r for r in exact if r.owner_id == actor.user_id]
            if own or len(exact) == 1:
                return (own or exact)[0].id
            if not exact and len(rows) == 1:  # a name typed in another case
                return rows[0].id
            if exact:
                owners = {u.id: u.name for u in s.scalars(select(UserRow).where(
                    UserRow.id.in_({r.owner_id for r in exact})))}
                listed = ", ".join(f"{r.id} ({owners.get(r.owner_id, 'no owner')}'s)" for r in exact)
                raise ConflictError(f"Several runs you can see are called {name!r} (ids {listed}); give the id.")
        raise run_not_found(run)

    def list(self, actor: Any, *, status: str | None = None, search: str = "", tag: str | None = None,
             group: str | None = None) -> list[RunInfo]:
        """The runs the actor may see, newest first."""
        self.check(actor, ops.RUN_LIST)
        self.reconcile()
        runs = self.store.list(status=status)
        with self.studio.db.session() as s:
            visible = set(policy.visible_ids(s, actor, "run", [r.id for r in runs]))
        needle = search.strip().casefold()
        out = []
        for r in runs:
            if r.id not in visible or (tag and tag not in r.tags) or (group is not None and r.group != group):
                continue
            if needle and needle not in r.name.casefold() and needle not in r.dataset_name.casefold():
                continue
            out.append(r)
        return out

    def get(self, actor: Any, run: int | str) -> RunInfo:
        run_id = self._id(actor, run)
        self.check(actor, ops.RUN_READ, "run", run_id)
        self.reconcile([run_id])
        return self.store.get(run_id)

    def metrics(self, actor: Any, run: int | str, metrics: Iterable[str] | None = None, *,
                after_step: int | None = None, max_points: int | None = None) -> dict[str, Curve]:
        """Curves as numpy arrays; `after_step` for live updates, `max_points` to downsample (min/max)."""
        from studio.core.stores import run_metrics

        run_id = self._id(actor, run)
        self.check(actor, ops.RUN_READ, "run", run_id)
        return run_metrics.read_curves(self.studio.db, run_id, metrics, after_step=after_step, max_points=max_points)

    def events(self, actor: Any, run: int | str, after_id: int = 0) -> list[RunEvent]:
        run_id = self._id(actor, run)
        self.check(actor, ops.RUN_READ, "run", run_id)
        return self.store.events(run_id, after_id)

    def checkpoints(self, actor: Any, run: int | str, *, usable_only: bool = True) -> list[CheckpointInfo]:
        run_id = self._id(actor, run)
        self.check(actor, ops.RUN_READ, "run", run_id)
        return self.store.checkpoints(run_id, usable_only=usable_only)

    def log_path(self, actor: Any, run: int | str) -> Path:
        run_id = self._id(actor, run)
        self.check(actor, ops.RUN_READ, "run", run_id)
        return self.studio.paths.run_dir(run_id) / "run.log"

    def read_log(self, actor: Any, run: int | str, offset: int = 0, max_bytes: int = 1 << 20) -> tuple[str, int]:
        """Text of the run log from byte `offset` (at most `max_bytes`) and the offset to read from next
        (for tailing). A negative offset reads the last -offset bytes."""
        path = self.log_path(actor, run)
        if not path.exists():
            return "", 0
        with open(path, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            start = max(0, size + offset) if offset < 0 else min(offset, size)
            fh.seek(start)
            data = fh.read(max_bytes)
        return data.decode("utf-8", errors="replace"), start + len(data)

    def log_tail(self, actor: Any, run: int | str, lines: int = 12) -> list[str]:
        """The last lines of the run's log: where a worker that failed says why (the pane and `studio train`
        show them with the failure)."""
        return log_tail(self.log_path(actor, run), lines)

    def wait(self, actor: Any, run: int | str, *, timeout_s: float | None = None, poll_s: float = 0.5,
             on_update: Callable[[RunInfo], None] | None = None) -> RunInfo:
        """Block until the run is no longer live (or the timeout passes); `on_update` sees every poll."""
        run_id = self._id(actor, run)
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            info = self.get(actor, run_id)
            if on_update is not None:
                on_update(info)
            if not info.is_live or (deadline is not None and time.monotonic() > deadline):
                return info
            time.sleep(poll_s)

    # --- control ----------------------------------------------------------------------------------------------

    def _request(self, actor: Any, run: int | str, what: str, allowed: tuple[str, ...]) -> RunInfo:
        run_id = self._id(actor, run)
        self.reconcile([run_id])
        with self.operation(actor, ops.RUN_CONTROL, "run", run_id, request=what) as op:
            row = run_row(op.session, run_id)
            if row.status not in allowed:
                raise ConflictError(f"Run {row.name!r} is {row.status}; it cannot be asked to {what}.")
            row.control, row.control_seq = what, row.control_seq + 1
            add_event(op.session, run_id, "control", f"{what} requested by {actor.user_name}")
            op.details["name"] = row.name
        return self.store.get(run_id)

    def pause(self, actor: Any, run: int | str) -> RunInfo:
        """Ask the worker to pause after the current step (it keeps its state in memory and waits)."""
        return self._request(actor, run, "pause", (QUEUED, RUNNING))

    def stop(self, actor: Any, run: int | str) -> RunInfo:
        """Ask the worker to stop: a final checkpoint, then status stopped."""
        return self._request(actor, run, "stop", LIVE)

    def kill(self, actor: Any, run: int | str, wait_s: float = 10.0) -> RunInfo:
        """End the worker at once (SIGKILL): no final checkpoint; status stopped, resumable from the last
        checkpoint."""
        run_id = self._id(actor, run)
        self.reconcile([run_id])
        with self.operation(actor, ops.RUN_CONTROL, "run", run_id, request="kill") as op:
            row = run_row(op.session, run_id)
            if row.status not in LIVE:
                raise ConflictError(f"Run {row.name!r} is {row.status}; there is no worker to kill.")
            op.details["name"] = row.name
            run_dir = self.studio.paths.run_dir(run_id)
            if launch.lock_held(run_dir) is not False:
                system = json.loads(row.system_json)
                launch.kill_processes([p for p in [row.pid, *system.get("pids", [])] if p])
                if not launch.wait_released(run_dir, wait_s):
                    raise StudioError(f"The worker of run {row.name!r} did not end within {wait_s:.0f} s.")
            last = self._last_checkpoint_text(op.session, run_id)
            row.status, row.ended_at, row.control = STOPPED, utcnow(), None
            row.message = f"Killed by {actor.user_name} at step {row.step} (no final checkpoint; {last})."
            add_event(op.session, run_id, "status", f"stopped: {row.message}")
        # no worker is left to finish its checkpoints: what it wrote is kept, its reserved slots go (else the
        # Vault lists the run's model as "being written" for ever)
        self._settle(run_id)
        return self.store.get(run_id)

    @staticmethod
    def _last_checkpoint_text(session: Any, run_id: int) -> str:
        from sqlalchemy import func, select

        step = session.scalar(select(func.max(RunCheckpointRow.step)).where(
            RunCheckpointRow.run_id == run_id, RunCheckpointRow.state.in_(("written", "kept"))))
        return f"the last checkpoint is of step {step}" if step is not None else "it has no checkpoint yet"

    def resume(self, actor: Any, run: int | str, *, checkpoint: int | None = None,
               max_steps: int | None = None) -> RunInfo:
        """A paused run continues; a stopped, interrupted, failed or completed run gets a new worker that
        continues exactly from its last checkpoint (or `checkpoint`), to `max_steps` if given (a run without
        any checkpoint starts over)."""
        run_id = self._id(actor, run)
        info = self.get(actor, run_id)
        if info.status == PAUSED and checkpoint is None and max_steps is None:
            return self._request(actor, run_id, "resume", (PAUSED, RUNNING))
        if info.is_live:
            raise ConflictError(f"Run {info.name!r} is {info.status}; stop it before resuming it from a checkpoint.")
        # A worker that has written its final status may still be leaving (torch's teardown takes a moment): a
        # resume right after the end waits for its lock instead of failing with "still alive".
        launch.wait_released(self.studio.paths.run_dir(run_id), 30.0)
        ckpt_store = store_named(info.options.get("checkpoint_store", "vault"))
        self._settle(run_id)
        chosen = self._choose_checkpoint(run_id, checkpoint)
        target = max_steps if max_steps is not None else info.max_steps
        start_step = chosen.step if chosen is not None else 0
        if target <= start_step:
            raise ValidationError(f"Run {info.name!r} is at step {start_step} of {info.max_steps}; give more steps "
                                  "(--steps) to continue it.", field="max_steps")
        init, blob = "fresh", b""
        if chosen is not None:
            from studio.core.training.state import write_state

            state = ckpt_store.read(self.studio, actor, info, chosen)
            if state.meta.get("lora") is not None:  # the adapter alone: the worker rebuilds it on its base
                from studio.core.services.runs.sources import base_weights

                if info.source_model_id is None or info.source_version is None:
                    raise ValidationError(f"Run {info.name!r} is a LoRA run without its base model.")
                base = base_weights(self.studio, actor, info.source_model_id, info.source_version)
                state.tensors.update({f"base/{k}": v for k, v in base.items()})
                del base
            init, blob = "state", write_state(state)
            del state
        elif info.source_model_id is not None:
            raise ValidationError(f"Run {info.name!r} has no checkpoint to resume from; start a new fine-tuning run.")
        train_config = dict(info.train_config, max_steps=target)
        with self.operation(actor, ops.RUN_CONTROL, "run", run_id, request="resume", step=start_step) as op:
            row = run_row(op.session, run_id)
            if row.status in LIVE:
                raise ConflictError(f"Run {row.name!r} was started meanwhile.")
            how = f"from the checkpoint of step {start_step}" if chosen is not None else "from the start"
            row.status, row.message, row.error, row.ended_at, row.control = QUEUED, f"resuming {how}", None, None, None
            row.train_config_json, row.max_steps = json.dumps(train_config), target
            row.step = start_step
            if chosen is None:
                row.tokens_seen, row.elapsed_s, row.best_val_loss, row.train_loss, row.val_loss = 0, 0.0, None, None, None
            op.session.execute(update(RunCheckpointRow).where(
                RunCheckpointRow.run_id == run_id, RunCheckpointRow.step > start_step).values(state="dropped"))
            add_event(op.session, run_id, "status", f"queued: resumed by {actor.user_name} {how}")
            op.details.update(name=row.name, max_steps=target)
            fresh = run_info(op.session, row)
            data = self._worker_data(op.session, actor, fresh)
            lock_fd = launch.hold_lock(self.studio.paths.run_dir(run_id))
        from studio.core.stores import run_metrics

        run_metrics.truncate_after(self.studio.db, run_id, start_step)
        return self._launch(actor, fresh, init, blob, lock_fd, data)

    def _choose_checkpoint(self, run_id: int, checkpoint: int | None) -> CheckpointInfo | None:
        usable = self.store.checkpoints(run_id, usable_only=True)
        if checkpoint is not None:
            found = next((c for c in usable if c.id == checkpoint), None)
            if found is None:
                raise NotFoundError(f"Run {run_id} has no usable checkpoint {checkpoint} (see `studio runs show`).")
            return found
        if not usable:
            return None
        return max(usable, key=lambda c: (c.step or 0, not c.is_best, c.id))

    def join(self, actor: Any, run: int | str, node_rank: int) -> RunInfo:
        """Start this machine's workers of a run over several machines (`nnodes` > 1): the same torchrun
        command as node 0's, with this node's rank. The data folder must be the same one (a shared folder);
        only node 0 writes metrics and checkpoints."""
        run_id = self._id(actor, run)
        with self.operation(actor, ops.RUN_CONTROL, "run", run_id, request="join", node_rank=node_rank) as op:
            row = run_row(op.session, run_id)
            info = run_info(op.session, row)
        s = RunSettings.from_dict(info.options["settings"])
        if s.nnodes < 2:
            raise ValidationError(f"Run {info.name!r} runs on one machine; there is nothing to join.", field="nnodes")
        if not 0 < node_rank < s.nnodes:
            raise ValidationError(f"--node-rank must be between 1 and {s.nnodes - 1} (node 0 started the run).",
                                  field="node_rank")
        if info.status not in (QUEUED, RUNNING):
            raise ConflictError(f"Run {info.name!r} is {info.status}; only a starting or running run can be joined.")
        args = ["--run-id", str(run_id), "--data-dir", str(self.studio.paths.root)]
        command = torchrun_command(args, nproc=s.nproc, nnodes=s.nnodes, node_rank=node_rank,
                                   master_addr=s.master_addr, master_port=s.master_port)
        log_file = self.studio.paths.run_dir(run_id) / f"run-node{node_rank}.log"
        proc = launch.start_process(command, log_file, LaunchMessage(), lock_fd=None, env=self._env(info))
        threading.Thread(target=proc.wait, name=f"reap-run-{run_id}-node{node_rank}", daemon=True).start()
        self.store.event(run_id, "control", f"node {node_rank} joined by {actor.user_name} (pid {proc.pid})")
        return self.store.get(run_id)

    # --- changes -----------------------------------------------------------------------------------------------

    def update(self, actor: Any, run: int | str, *, name: str | None = None, tags: Iterable[str] | None = None,
               group: str | None = None) -> RunInfo:
        run_id = self._id(actor, run)
        with self.operation(actor, ops.RUN_UPDATE, "run", run_id) as op:
            row = run_row(op.session, run_id)
            if name is not None:
                name = check_run_name(name)
                if name != row.name and self.store.name_taken(name, row.owner_id):
                    raise ConflictError(f"Its owner has a run called {name!r} already; choose another name.")
                op.details.update(old_name=row.name, new_name=name)
                row.name = name
            if tags is not None:
                row.tags_json = json.dumps(list(check_tags(tags)))
                op.details["tags"] = json.loads(row.tags_json)
            if group is not None:
                row.group_name = group.strip()[:200]
                op.details["group"] = row.group_name
        return self.store.get(run_id)

    def delete(self, actor: Any, run: int | str) -> RunInfo:
        """Delete a run that is not live, with its metrics, events, log and checkpoints."""
        run_id = self._id(actor, run)
        info = self.get(actor, run_id)
        self.check(actor, ops.RUN_DELETE, "run", run_id)
        if info.is_live:
            raise ConflictError(f"Run {info.name!r} is {info.status}; stop or kill it before deleting it.")
        store = store_named(info.options.get("checkpoint_store", "vault"))
        store.delete(self.studio, actor, info)  # the checkpoints first: a failure leaves the run as it was
        with self.operation(actor, ops.RUN_DELETE, "run", run_id) as op:
            row = run_row(op.session, run_id)
            if row.status in LIVE:
                raise ConflictError(f"Run {row.name!r} was started meanwhile.")
            from studio.core.stores.run_metrics import count_points

            op.details.update(name=row.name, points=count_points(self.studio.db, run_id))
            op.session.delete(row)
        shutil.rmtree(self.studio.paths.run_dir(run_id), ignore_errors=True)
        return info

    # --- workers that died -----------------------------------------------------------------------------------

    def reconcile(self, run_ids: Iterable[int] | None = None) -> list[int]:
        """Mark live runs whose worker is gone (its lock is free) as interrupted; returns their ids. Runs on
        other machines (multi-node) are left to their own host."""
        ids = self.store.live_ids() if run_ids is None else list(run_ids)
        found = []
        host = platform.node()
        for run_id in ids:
            try:
                run = self.store.get(run_id)
            except NotFoundError:
                continue
            if not run.is_live or (run.host and run.host != host):
                continue
            if self._worker_alive(run_id, run.host, run.heartbeat_at or run.created_at):
                continue
            with self._lock:
                with self.studio.db.session() as s:
                    row = run_row(s, run_id)
                    if row.status not in LIVE:
                        continue
                    self._mark_dead(s, row)
                    add_event(s, run_id, "status", f"{row.status}: {row.message}")
            found.append(run_id)
            log.warning("run %s: worker gone, marked %s", run_id, row.status)
            self._settle(run_id)
        return found

    def _mark_dead(self, session: Any, row: RunRow) -> None:
        """The status and message of a run whose worker ended without a final status. One that never took a
        step (it never reported running, or ran no step: an import error, a bad launch, a crash while
        starting) failed, and its message quotes the log, where the reason is; one that died later was
        interrupted (killed, crashed, the machine restarted). Each says what to do, and "resume" only where
        that continues something."""
        step = session.scalar(select(func.max(RunCheckpointRow.step)).where(
            RunCheckpointRow.run_id == row.id, RunCheckpointRow.state.in_(("written", "kept"))))
        then = (f"resume the run to continue from its checkpoint of step {step}." if step is not None
                else "start it again with the same settings (it has no checkpoint to resume from).")
        row.ended_at, row.control = utcnow(), None
        if row.status == QUEUED or row.step == 0:
            tail = log_tail(self.studio.paths.run_dir(row.id) / "run.log")
            reason = next((line.strip() for line in reversed(tail) if line.strip()), "").rstrip(".")
            said = f": {reason[:300]}" if reason else " without writing anything to its log"
            row.status = FAILED
            row.message = f"The worker process ended before its first step{said}. Fix the cause, then {then}"
            row.error = "\n".join(tail) or row.error or "worker process ended before its first step"
        else:
            row.status = INTERRUPTED
            row.message = (f"The worker process ended without a final status at step {row.step} (killed, "
                           f"crashed or the machine restarted): {then}")
            row.error = row.error or "worker process ended unexpectedly"

    def _settle(self, run_id: int) -> None:
        """Finish the checkpoints of a run whose worker is gone (as the studio itself, see vault_checkpoints)."""
        run = self.store.get(run_id)
        try:
            store_named(run.options.get("checkpoint_store", "vault")).settle(
                self.studio, SYSTEM, run, self.store.checkpoints(run_id))
        except StudioError as error:
            log.warning("run %s: could not finish its checkpoints: %s", run_id, error)

    def live_runs(self, actor: Any) -> list[RunInfo]:
        """Runs with a worker, that the actor may see (the GUI asks before closing)."""
        return [r for r in self.list(actor) if r.is_live]

