"""The worker process: one training run, started by the run service as `studio worker --run-id ID --data-dir DIR` (or by
torchrun, once per rank). Its stdout and stderr are the run's log (runs/<id>/run.log).

It reads its launch message from standard input (rank 0; the others get what they need from rank 0), opens
the data folder, builds the Trainer (fresh, from given weights, or from a training state) and drives it:

- metrics go to the database in batches (at most 4 flushes a second, so the GUI sees a new point within half
  a second), together with the run's progress columns and a heartbeat;
- control requests (pause, resume, stop) are read from the runs table between steps (at most 5 times a
  second) and, in a distributed run, broadcast from rank 0 at every step so the ranks stay in lockstep;
  SIGTERM is a stop;
- checkpoints every N steps, on a new best validation loss and at the end (completed or stopped);
- the final status: completed, stopped, diverged (with the trainer's advice), or failed with the error.
  A worker that is killed writes nothing more: the run service sees its lock released and marks the run
  interrupted.

Only rank 0 writes to the database or the checkpoint store.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import signal
import sys
import threading
import time
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any

from studio.core.actor import SYSTEM
from studio.core.errors import StudioError
from studio.core.stores.run_metrics import MetricWriter
from studio.core.stores.runs import COMPLETED, FAILED, PAUSED, RUNNING, STOPPED, RunInfo, RunStore, utcnow
from studio.core.training.checkpoints import (
    CheckpointKeeper,
    CheckpointPolicy,
    Slot,
    store_named,
)
from studio.core.training.distributed import (
    SINGLE,
    World,
    broadcast_bytes,
    broadcast_flags,
    init_world,
    shutdown,
)
from studio.core.training.launch import LaunchMessage

log = logging.getLogger(__name__)

FLUSH_EVERY_S = 0.25
CONTROL_EVERY_S = 0.2
HEARTBEAT_S = 2.0
LOG_EVERY_S = 5.0
_PAUSE, _RESUME, _STOP = 1, 2, 4


class Worker:
    def __init__(self, studio: Any, run_id: int, message: LaunchMessage | None, world: World = SINGLE,
                 out=None):
        self.studio = studio
        self.run_id = run_id
        self.message = message
        self.world = world
        self.out = out or sys.stdout
        self.store = RunStore(studio.db)
        self.writer: MetricWriter | None = None
        self.keeper: CheckpointKeeper | None = None
        self.trainer: Any = None
        self.stop_signal = threading.Event()
        self.ended_in_step = False  # set when the training loop ended as every rank's does (see distributed.shutdown)
        self._last_flush = self._last_control = self._last_log = 0.0
        self._last: dict[str, Any] = {}

    # --- output -------------------------------------------------------------------------------------------

    def say(self, text: str) -> None:
        if self.world.is_main:
            stamp = time.strftime("%H:%M:%S")
            self.out.write(f"[{stamp}] {text}\n")
            self.out.flush()

    # --- the run --------------------------------------------------------------------------------------------

    def run(self) -> int:
        run = self.store.get(self.run_id)
        try:
            self._prepare(run)
            result = self._train(run)
            self.ended_in_step = True  # every rank ends its loop at the same step (flags are broadcast)
            return result
        except StudioError as error:  # CheckpointWriteError included: its message says what is intact
            return self._fail(str(error), str(error))
        except Exception as error:  # a bug or an environment failure: the run says so, the log has the trace
            text = "".join(traceback.format_exception(error))
            self.out.write(text)
            return self._fail(f"The worker failed: {type(error).__name__}: {error}", text)

    def _fail(self, message: str, error: str) -> int:
        self.say(f"failed: {message}")
        if self.world.is_main:
            if self.writer is not None:
                try:
                    self.writer.flush(self._progress())
                except StudioError as flush_error:
                    self.say(f"could not write the last metrics: {flush_error}")
            self._settle()
            self.store.set_status(self.run_id, FAILED, message, error=error)
        return 1

    def _prepare(self, run: RunInfo) -> None:
        import torch

        from studio.core.models.family import describe
        from studio.core.training.config import RESUMABLE_CHANGES, LoraConfig, TrainConfig
        from studio.core.training.sources import open_run_data
        from studio.core.training.state import read_state
        from studio.core.training.trainer import Trainer

        world = self.world
        msg = self.message
        init = broadcast_bytes(world, msg.init.encode() if msg else None).decode()
        spec = json.loads(broadcast_bytes(world, json.dumps(msg.extra.get("data") or run.options["data"]).encode()
                                          if msg else None))
        blob = broadcast_bytes(world, msg.blob if msg else None) if init != "fresh" else b""
        if msg is not None:
            msg.blob = b""  # one copy of the plaintext at a time: `blob`, then the tensors made from it
        train_config = TrainConfig.from_dict(run.train_config)
        seq_len = train_config.seq_len or describe(run.model_config).context_length
        data = open_run_data(self.studio, SYSTEM, spec, seq_len)
        del spec  # an encrypted dataset's key: the storage that read the arrays held it, nothing else does
        if world.distributed and torch.cuda.is_available():
            train_config = replace(train_config, device=f"cuda:{world.local_rank}")
        if init == "state":
            state = read_state(blob)
            saved = state.meta["train_config"]
            changes = {k: getattr(train_config, k) for k in RESUMABLE_CHANGES if saved.get(k) != getattr(train_config, k)}
            self.trainer = Trainer.from_state(state, data.data, world=world, **changes)
            del state, blob
        else:
            weights = None
            if init == "weights":
                from safetensors.torch import load as st_load

                weights = st_load(blob)
                del blob
            lora = run.options.get("lora")
            self.trainer = Trainer(run.model_config, train_config, data.data, weights=weights, world=world,
                                   lora=LoraConfig.from_dict(lora) if lora else None,
                                   fsdp=bool(run.options.get("fsdp")), copy_weights=False)
            del weights
        policy = CheckpointPolicy.from_dict(run.options.get("checkpoints", {}))
        self.policy = policy
        self._checkpointed_step = self.trainer.step  # a resumed run starts from a checkpoint of this step
        if world.is_main:
            assert msg is not None
            store = store_named(run.options.get("checkpoint_store", "vault"))
            slots = [Slot(int(c["id"]), str(c["slot"]), c["secret"]) for c in msg.checkpoints]
            files = {"config.json": _json(self.trainer.model_config).encode()}
            if self.trainer.lora is not None:
                from studio.core.models.lora import ADAPTER_FILE, adapter_document, fan_in_fan_out

                base = {"model_id": run.source_model_id, "version": run.source_version, "label": run.source_name}
                t = self.trainer
                doc = adapter_document(t.lora, t.lora_paths, base, t.family.name,
                                       fan_in_fan_out=fan_in_fan_out(t.model, t.lora_paths))
                files[ADAPTER_FILE] = _json(doc).encode()
            if data.tokenizer_json is not None:
                files["tokenizer.json"] = data.tokenizer_json.encode()
            self.keeper = CheckpointKeeper(self.store, store.sink(self.studio), slots, policy, files, log=self.say)
            self.writer = MetricWriter(self.studio.db, self.run_id)
            self.writer.load_loose()
            t = self.trainer
            system = {
                "device": str(t.device), "precision": "bf16" if t.bf16 else "fp32", "threads": torch.get_num_threads(),
                "torch": torch.__version__, "python": platform.python_version(), "host": platform.node(),
                "world_size": world.size, "pid": os.getpid(), "pids": self._pids(),
            }
            self.store.update(self.run_id, system_json=_json(system), step=t.step, tokens_seen=t.tokens_seen,
                              elapsed_s=t.elapsed_s, best_val_loss=t.best_val_loss, heartbeat_at=utcnow(),
                              parameters=t.parameters)
            self.say(f"run {run.name} (id {run.id}, attempt {run.attempt}): {init} start at step {t.step} of "
                     f"{t.train_config.max_steps}; {t.parameters:,} parameters{_trainable(t)} on {t.device} "
                     f"({system['precision']}, {system['threads']} threads, {world.size} process(es)), data "
                     f"{data.name}: {len(data.data.train):,} training tokens")
        elif world.distributed:
            self._pids()
        self.message = None  # the checkpoint keys live on in the keeper's slots only

    def _pids(self) -> list[int]:
        """The pids to signal for a kill: the torchrun agent and every rank on this machine (ranks on other
        machines are ended by their own agent when this one goes)."""
        from studio.core.training.distributed import gather_json

        here = platform.node()
        ranks = gather_json(self.world, [here, os.getpid()]) or []
        launcher = [os.getppid()] if self.world.distributed else []
        return launcher + [int(pid) for host, pid in ranks if host == here]

    def _train(self, run: RunInfo) -> int:
        t = self.trainer
        if self.world.is_main:
            self.store.set_status(self.run_id, RUNNING, f"running from step {t.step}",
                                  started_at=run.started_at or utcnow())
        for m in t.steps(self._poll, self._on_status):
            self._on_metrics(m)
        result = t.result
        assert result is not None
        if result.status in (COMPLETED, STOPPED) and self._checkpoint_due(t.step, False, final=True):
            self._checkpoint(t.step, False, final=True)
        if self.world.is_main:
            assert self.writer is not None
            self.writer.flush(self._progress())
            self._settle()
            self.say(f"{result.status}: {result.message}")
            self.store.set_status(self.run_id, result.status, result.message)
        return 0

    def _settle(self) -> None:
        """Make this worker's checkpoints ordinary vault versions now that it writes no more (as the studio
        itself: the user who started the run may be long gone)."""
        try:
            run = self.store.get(self.run_id)
            store = store_named(run.options.get("checkpoint_store", "vault"))
            mine = [c for c in self.store.checkpoints(self.run_id) if c.attempt == run.attempt]
            store.settle(self.studio, SYSTEM, run, mine)
        except StudioError as error:
            self.say(f"could not finish the checkpoints: {error} (the next resume does)")

    # --- callbacks ----------------------------------------------------------------------------------------

    def _progress(self) -> dict[str, Any]:
        t = self.trainer
        out = {"step": t.step, "tokens_seen": t.tokens_seen, "elapsed_s": t.elapsed_s,
               "best_val_loss": t.best_val_loss, "heartbeat_at": utcnow()}
        for k in ("train_loss", "val_loss", "tokens_per_s"):
            if k in self._last:
                out[k] = self._last[k]
        return out

    def _on_metrics(self, m: Any) -> None:
        if self.world.is_main:
            assert self.writer is not None
            self.writer.add(m.step, {"train_loss": m.train_loss, "val_loss": m.val_loss, "lr": m.lr,
                                     "grad_norm": m.grad_norm, "tokens_per_s": m.tokens_per_s,
                                     "tokens_seen": m.tokens_seen, "elapsed_s": m.elapsed_s})
            rate = self._last.get("tokens_per_s")
            self._last["tokens_per_s"] = m.tokens_per_s if rate is None else 0.9 * rate + 0.1 * m.tokens_per_s
            self._last["train_loss"] = m.train_loss
            if m.val_loss is not None:
                self._last["val_loss"] = m.val_loss
        if self._checkpoint_due(m.step, m.is_best):
            self._checkpoint(m.step, m.is_best, val_loss=m.val_loss, train_loss=m.train_loss)
        if not self.world.is_main:
            return
        now = time.monotonic()
        if now - self._last_flush >= FLUSH_EVERY_S:
            self.writer.flush(self._progress())
            self._last_flush = now
        if now - self._last_log >= LOG_EVERY_S or m.val_loss is not None or m.step == 1:
            self._last_log = now
            val = f" val {m.val_loss:.4f}" if m.val_loss is not None else ""
            self.say(f"step {m.step}/{self.trainer.train_config.max_steps} loss {m.train_loss:.4f}{val} "
                     f"lr {m.lr:.3g} grad {m.grad_norm:.3g} {m.tokens_per_s:,.0f} tok/s")

    def _checkpoint_due(self, step: int, is_best: bool, final: bool = False) -> bool:
        every = self.policy.every
        return final or bool(every and step % every == 0) or (is_best and self.policy.keep_best)

    def _checkpoint(self, step: int, is_best: bool, final: bool = False, val_loss: float | None = None,
                    train_loss: float | None = None) -> None:
        state = self.trainer.state()  # every rank takes part (the data positions are gathered)
        self._checkpointed_step = step
        if not self.world.is_main:
            return
        assert self.keeper is not None and self.writer is not None
        self.writer.flush(self._progress())  # the curve is never behind a checkpoint
        train_loss = self._last.get("train_loss") if train_loss is None else train_loss
        val_loss = self._last.get("val_loss") if val_loss is None else val_loss
        for kind in self.keeper.due(step, is_best, final):
            self.keeper.save(kind, state, step, train_loss, val_loss)

    def _on_status(self, status: str, message: str) -> None:
        step = self.trainer.step
        if status == PAUSED and step != self._checkpointed_step:
            # A paused run has a checkpoint of the step it holds, to generate from while it waits (every rank
            # takes part: the state is gathered; each knows the last step checkpointed, so they agree).
            self._checkpoint(step, False, final=True)
            message += f" (checkpoint of step {step} written)"
        if not self.world.is_main or status not in (RUNNING, PAUSED):
            return
        assert self.writer is not None
        self.writer.flush(self._progress())
        self.say(message)
        self.store.set_status(self.run_id, status, message)

    def _poll(self, trainer: Any) -> None:
        flags = 0
        if self.world.is_main:
            now = time.monotonic()
            if self.stop_signal.is_set():
                flags |= _STOP
            if now - self._last_control >= CONTROL_EVERY_S:
                self._last_control = now
                request = self.store.take_control(self.run_id)
                if request is not None:
                    self.say(f"control: {request}")
                flags |= {"pause": _PAUSE, "resume": _RESUME, "stop": _STOP}.get(request or "", 0)
            if trainer.paused and now - self._last_flush >= HEARTBEAT_S:
                assert self.writer is not None
                self.writer.flush(self._progress())
                self._last_flush = now
        if self.world.distributed:
            flags = broadcast_flags(self.world, [flags])[0]
        if flags & _STOP:
            trainer.request_stop()
        elif flags & _PAUSE:
            trainer.request_pause()
        elif flags & _RESUME:
            trainer.request_resume()


def _trainable(t: Any) -> str:
    if t.trainable_parameters == t.parameters:
        return ""
    how = f"LoRA rank {t.lora.rank} on {len(t.lora_paths)} layers, " if t.lora is not None else ""
    return f" ({how}{t.trainable_parameters:,} trained)"


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def main(argv: list[str] | None = None) -> int:
    """`studio worker --run-id ID --data-dir DIR`: started by the run service, never by hand."""
    parser = argparse.ArgumentParser(prog="studio worker", description="a training run's worker process")
    parser.add_argument("--run-id", type=int, required=True)  # not --run: torchrun would take it for --run-path
    parser.add_argument("--data-dir", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    world = init_world()
    try:
        message = LaunchMessage.read_from(sys.stdin.buffer) if world.is_main else None
    except StudioError as error:
        print(f"studio worker: {error}", file=sys.stderr)
        return 2
    from studio.core.services.studio import Studio

    studio = Studio.open(Path(args.data_dir), log_to_file=False)
    worker = Worker(studio, args.run_id, message, world)
    del message
    signal.signal(signal.SIGTERM, lambda *_: worker.stop_signal.set())
    if hasattr(signal, "SIGINT"):
        signal.signal(signal.SIGINT, lambda *_: worker.stop_signal.set())
    try:
        return worker.run()
    finally:
        studio.close()
        shutdown(world, together=worker.ended_in_step)
