"""The training loop, nanoGPT's, as an object that runs step by step.

    trainer = Trainer(model_config, train_config, data)            # or Trainer.from_state(blob, data)
    result = trainer.run(on_metrics=..., on_status=..., poll=...)  # or: for m in trainer.steps(): ...
    blob = trainer.state_bytes()                                    # any time between steps

Between two optimizer steps the trainer is in a consistent state: that is where metrics are reported, where
pause and stop requests take effect (`request_pause`, `request_resume`, `request_stop`, thread-safe) and where
a checkpoint may be taken. `poll` is called there too (and repeatedly while paused), so a worker process can
read its control channel without a thread of its own. Nothing here writes files or touches a database.
"""

from __future__ import annotations

import contextlib
import math
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from studio.core.errors import ValidationError
from studio.core.models.config import GPTConfig
from studio.core.models.estimate import resolve_device
from studio.core.models.family import family_for_config
from studio.core.training.config import RESUMABLE_CHANGES, LoraConfig, TrainConfig, lr_at
from studio.core.training.data import BatchSampler, TokenSplit, TrainData
from studio.core.training.distributed import SINGLE, World, all_reduce_mean, gather_json
from studio.core.training.optim import make_optimizer, optimizer_from_flat, optimizer_to_flat
from studio.core.training.state import TrainingState, capture_rng, read_state, restore_rng, write_state


@dataclass(frozen=True)
class StepMetrics:
    step: int  # optimizer steps completed
    tokens_seen: int
    train_loss: float  # mean over the step's micro-batches
    lr: float
    grad_norm: float  # before clipping
    tokens_per_s: float  # this step's training tokens / its time (evaluation not counted)
    elapsed_s: float  # running time of the run so far, pauses excluded, across resumes
    val_loss: float | None = None  # set on evaluation steps
    val_ppl: float | None = None
    is_best: bool = False  # this evaluation is the best so far (keep this checkpoint as "best")


@dataclass(frozen=True)
class RunResult:
    status: str  # completed | stopped | diverged
    reason: str  # max_steps | early_stopping | stop_requested | non_finite
    message: str
    step: int
    best_val_loss: float | None


class FamilyStep(torch.nn.Module):
    """The model's training step through its family (`family.forward`), as a module: what DDP wraps and
    torch.compile compiles, so that the loop never knows which family it trains."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        from studio.core.models.family import family_of

        self.model = model
        self.family = family_of(model)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None) -> tuple[torch.Tensor, Any]:
        return self.family.forward(self.model, idx, targets)


def estimate_loss(model: torch.nn.Module, split: TokenSplit, batches: int, batch_size: int, seq_len: int,
                  seed: int, device: torch.device, autocast: Any) -> float:
    """Mean loss over every counted target of `batches` fixed batches (the same ones at every evaluation,
    drawn by their own generator, so evaluations compare like with like and touch no training RNG).
    `model` is a FamilyStep (or any module whose forward(idx) gives (logits, _))."""
    sampler = BatchSampler(split, batch_size, seq_len, seed=[seed, 1])
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for _ in range(batches):
            x, y = sampler.next_numpy()
            xt, yt = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
            with autocast():
                logits, _ = model(xt)
            total += float(F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), yt.reshape(-1),
                                           ignore_index=-1, reduction="sum"))
            count += int((yt != -1).sum())
    model.train(was_training)
    return total / count if count else float("nan")


class Trainer:
    def __init__(self, model_config: GPTConfig | Mapping[str, Any], train_config: TrainConfig, data: TrainData,
                 *, weights: Mapping[str, torch.Tensor] | None = None, world: World = SINGLE,
                 lora: LoraConfig | None = None, adapter: Mapping[str, torch.Tensor] | None = None,
                 fsdp: bool = False, copy_weights: bool = True):
        """`model_config`: a GPTConfig, or any family's config.json (a dict); the model is built by its family
        (studio.core.models.family) from `weights`, or randomly initialised when there are none (the native
        GPT only). `weights` become the model's parameters; they are copied first unless `copy_weights` is
        false (the worker, which owns its decrypted tensors: no second copy of a big model).

        `lora`: train LoRA adapters on a frozen base (the weights); `adapter`: the adapter's tensors to start
        from (a resumed LoRA run). `world`: this process's place in a torchrun job (distributed.init_world());
        the model is wrapped in DistributedDataParallel, or with `fsdp` sharded with FSDP2 (`fully_shard`:
        parameters, gradients and optimizer state split over the ranks). Under DDP each rank draws its own
        batches (sampler seeded [seed, 0, rank]); under FSDP every rank draws the same global batch of
        batch_size x world and trains its slice, so an FSDP run computes what one process with the global
        batch computes. The reported loss is the mean over the ranks and tokens count every rank's."""
        self.world = world
        self.train_config = cfg = train_config.validate()
        self.lora = lora.validate() if lora is not None else None
        self.fsdp = bool(fsdp)
        if self.fsdp and not world.distributed:
            raise ValidationError("FSDP shards a model over several processes: start the run with nproc 2 or more "
                                  "(torchrun).", field="fsdp")
        if self.lora is not None and weights is None:
            raise ValidationError("LoRA adapts a trained model: choose the vault model to fine-tune.", field="lora")
        config = model_config.validate().to_dict() if isinstance(model_config, GPTConfig) else dict(model_config)
        family = family_for_config(config)
        self.device = resolve_device(cfg.device)
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        random.seed(cfg.seed)
        np.random.seed(cfg.seed % 2**32)
        torch.manual_seed(cfg.seed)  # model init, LoRA init, dropout (CPU and CUDA)
        if weights is None:
            model = family.initialise(config)
        else:
            weights = {k: v.clone() for k, v in weights.items()} if copy_weights else dict(weights)
            model = family.build(config, weights)
            del weights
        model = model.float()  # float32 master weights (bf16 is autocast, see precision)
        self.family = family
        self.model_config: dict[str, Any] = family.config(model)  # per-layer widths read from the weights
        self.spec = family.describe(self.model_config)
        self.seq_len = cfg.seq_len or self.spec.context_length
        if self.seq_len > self.spec.context_length:
            raise ValidationError(
                f"seq_len {self.seq_len} is longer than the model's context ({self.spec.context_length}).",
                field="seq_len")
        data.check(family.vocab_size(model), self.seq_len)
        if cfg.patience and data.val is None:
            raise ValidationError("Early stopping needs a validation split; add one or set patience to 0.",
                                  field="patience")
        self.data = data
        self.lora_paths: list[str] = []
        if self.lora is not None:
            from studio.core.models.lora import apply_lora, load_adapter

            self.lora_paths = apply_lora(model, self.lora)
            if adapter is not None:
                load_adapter(model, adapter)
        elif adapter is not None:
            raise ValidationError("An adapter was given for a run without LoRA.")
        self.model = model.to(self.device).train()
        self._stored = None if self.lora is not None else set(family.tensors(self.model))
        unique = {id(p): p for p in self.model.parameters()}.values()  # counted before sharding splits them
        self._parameter_count = sum(p.numel() for p in unique)
        self._trainable_count = sum(p.numel() for p in unique if p.requires_grad)
        self._step = FamilyStep(self.model)
        if self.fsdp:
            from studio.core.training.sharding import shard

            shard(self.model, self.device)
        self._forward: torch.nn.Module = torch.compile(self._step) if cfg.compile else self._step
        if world.distributed and not self.fsdp:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index] if self.device.type == "cuda" and self.device.index is not None else None
            self._forward = DistributedDataParallel(self._forward, device_ids=ids)
        self.optimizer = make_optimizer(self.model, cfg, self.device)
        if self.fsdp:  # the global batch, drawn alike on every rank; each takes its slice
            self.sampler = BatchSampler(data.train, cfg.batch_size, self.seq_len, seed=[cfg.seed, 0],
                                        part=(world.rank, world.size))
        else:
            seed = [cfg.seed, 0, world.rank] if world.distributed else [cfg.seed, 0]
            self.sampler = BatchSampler(data.train, cfg.batch_size, self.seq_len, seed=seed)
        self.bf16 = self._use_bf16(cfg.precision)
        self.step = 0
        self.tokens_seen = 0
        self.elapsed_s = 0.0
        self.best_val_loss: float | None = None
        self.bad_evals = 0  # evaluations since the last improvement
        self.result: RunResult | None = None
        self._control = threading.Condition()
        self._pause = False
        self._stop = False

    @property
    def parameters(self) -> int:
        """Parameters of the model (a shared tensor counted once; LoRA adapters included)."""
        return self._parameter_count

    @property
    def trainable_parameters(self) -> int:
        """What the optimizer updates (the adapters only in a LoRA run)."""
        return self._trainable_count

    # --- set-up helpers ---------------------------------------------------------------------------------

    def _use_bf16(self, precision: str) -> bool:
        """auto: bf16 autocast on CUDA GPUs that support it (Ampere and later), else float32. bf16 may also be
        asked for on a CPU (worth it only on CPUs with bf16 instructions); MPS autocast is not used."""
        cuda_bf16 = self.device.type == "cuda" and torch.cuda.is_bf16_supported()
        if precision == "bf16" and not (cuda_bf16 or self.device.type == "cpu"):
            raise ValidationError(f"bf16 is not supported on {self.device}; use precision auto or fp32.",
                                  field="precision")
        return precision == "bf16" or (precision == "auto" and cuda_bf16)

    def _autocast(self) -> Any:
        if self.bf16:
            return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _to_device(self, array: np.ndarray) -> torch.Tensor:
        t = torch.from_numpy(array)
        if self.device.type == "cuda":
            return t.pin_memory().to(self.device, non_blocking=True)
        return t.to(self.device)

    # --- control (thread-safe) --------------------------------------------------------------------------

    def request_pause(self) -> None:
        with self._control:
            self._pause = True
            self._control.notify_all()

    def request_resume(self) -> None:
        with self._control:
            self._pause = False
            self._control.notify_all()

    def request_stop(self) -> None:
        with self._control:
            self._stop = True
            self._control.notify_all()

    @property
    def paused(self) -> bool:
        return self._pause

    # --- the loop ---------------------------------------------------------------------------------------

    def train_step(self) -> tuple[float, float, float]:
        """One optimizer step over grad_accum micro-batches: (mean loss, grad norm, lr). A non-finite loss
        or gradient leaves the weights untouched and is reported through the returned values."""
        cfg = self.train_config
        lr = lr_at(self.step, cfg)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        total = torch.zeros((), device=self.device)
        for micro in range(cfg.grad_accum):
            x, y = self.sampler.next_numpy()
            # DDP averages gradients over the ranks in backward; only the last micro-step needs to
            last = micro == cfg.grad_accum - 1
            if self.fsdp:
                self.model.set_requires_gradient_sync(last)
                sync = contextlib.nullcontext()
            else:
                sync = (contextlib.nullcontext() if not self.world.distributed or last else self._forward.no_sync())
            with sync:
                with self._autocast():
                    _, loss = self._forward(self._to_device(x), self._to_device(y))
                (loss / cfg.grad_accum).backward()
            total += loss.detach()
        all_reduce_mean(self.world, total)
        params = [p for p in self.model.parameters() if p.grad is not None]
        if cfg.grad_clip > 0:
            norm = torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
        else:
            norm = torch.nn.utils.get_total_norm([p.grad for p in params])
        if hasattr(norm, "full_tensor"):  # FSDP: a DTensor, the norm over every rank's shards
            norm = norm.full_tensor()
        loss_value, norm_value = total.item() / cfg.grad_accum, norm.item()
        if math.isfinite(loss_value) and math.isfinite(norm_value):
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return loss_value, norm_value, lr

    def evaluate(self) -> float:
        cfg = self.train_config
        assert self.data.val is not None
        return estimate_loss(self._step, self.data.val, cfg.eval_batches, cfg.batch_size, self.seq_len,
                             cfg.seed, self.device, self._autocast)

    def _between_steps(self, poll: Callable[[Trainer], None] | None,
                       on_status: Callable[[str, str], None] | None) -> float:
        """Poll, then hold while paused; returns the seconds spent paused (not counted as run time)."""
        if poll is not None:
            poll(self)
        with self._control:
            if not self._pause or self._stop:
                return 0.0
        held = time.perf_counter()
        if on_status is not None:
            on_status("paused", f"paused after step {self.step}")
        while True:
            with self._control:
                if not self._pause or self._stop:
                    break
                self._control.wait(timeout=0.1)
            if poll is not None:
                poll(self)
        if on_status is not None and not self._stop:
            on_status("running", f"resumed at step {self.step}")
        return time.perf_counter() - held

    def steps(self, poll: Callable[[Trainer], None] | None = None,
              on_status: Callable[[str, str], None] | None = None) -> Iterator[StepMetrics]:
        """Run to the end, yielding each step's metrics; `self.result` says how it ended."""
        cfg = self.train_config
        self.result = None
        tokens_per_step = cfg.batch_size * self.seq_len * cfg.grad_accum * self.world.size
        if cfg.patience and self.bad_evals >= cfg.patience:  # a state taken right at an early stop
            self.result = self._end("completed", "early_stopping", f"Stopped early at step {self.step}.")
            return
        clock = time.perf_counter()  # run time counts the caller's work on metrics too, not pauses
        while self.step < cfg.max_steps:
            clock += self._between_steps(poll, on_status)
            if self._stop:
                self.result = self._end("stopped", "stop_requested", f"Stopped at step {self.step}.")
                return
            started = time.perf_counter()
            loss, norm, lr = self.train_step()
            train_time = time.perf_counter() - started
            if not (math.isfinite(loss) and math.isfinite(norm)):
                what = "loss" if not math.isfinite(loss) else "gradient norm"
                self.result = self._end("diverged", "non_finite", (
                    f"The training diverged: the {what} became {loss if what == 'loss' else norm} at step "
                    f"{self.step + 1} (learning rate {lr:.3g}). Try a lower learning rate (e.g. {cfg.lr / 3:.3g}), "
                    "a longer warm-up or gradient clipping."))
                return
            self.step += 1
            self.tokens_seen += tokens_per_step
            val = ppl = None
            best = early_stop = False
            if self.data.val is not None and (self.step % cfg.eval_every == 0 or self.step == cfg.max_steps):
                val = self.evaluate()
                ppl = math.exp(min(val, 700.0))
                if self.best_val_loss is None or val < self.best_val_loss - cfg.min_delta:
                    self.best_val_loss, self.bad_evals, best = val, 0, True
                else:
                    self.bad_evals += 1
                    early_stop = cfg.patience > 0 and self.bad_evals >= cfg.patience
            now = time.perf_counter()
            self.elapsed_s += now - clock
            clock = now
            yield StepMetrics(self.step, self.tokens_seen, loss, lr, norm, tokens_per_step / train_time,
                              self.elapsed_s, val, ppl, best)
            if early_stop:
                self.result = self._end("completed", "early_stopping", (
                    f"Stopped early at step {self.step}: the validation loss did not improve for "
                    f"{cfg.patience} evaluations (best {self.best_val_loss:.4f})."))
                return
        self.result = self._end("completed", "max_steps", f"Completed {self.step} steps.")

    def _end(self, status: str, reason: str, message: str) -> RunResult:
        return RunResult(status, reason, message, self.step, self.best_val_loss)

    def run(self, on_metrics: Callable[[StepMetrics], None] | None = None,
            on_status: Callable[[str, str], None] | None = None,
            poll: Callable[[Trainer], None] | None = None) -> RunResult:
        if on_status is not None:
            on_status("running", f"running from step {self.step}")
        for metrics in self.steps(poll, on_status):
            if on_metrics is not None:
                on_metrics(metrics)
        assert self.result is not None
        if on_status is not None:
            on_status(self.result.status, self.result.message)
        return self.result

    # --- state --------------------------------------------------------------------------------------

    def state(self) -> TrainingState:
        """The whole state (call between steps). In a distributed run every rank must call it at the same
        step (it gathers every rank's data position, and under FSDP the shards); the result is complete on
        rank 0. A LoRA run's state holds the adapter only (its base is the run's source version)."""
        samplers = gather_json(self.world, self.sampler.state())
        rng_meta, rng_tensors = capture_rng()
        if self.fsdp:
            from studio.core.training.sharding import full_state

            model_tensors, optim_tensors, optim_meta = full_state(self.model, self.optimizer, self.world)
        else:
            model_tensors = self._model_tensors(self.model)
            optim_tensors, optim_meta = optimizer_to_flat(self.model, self.optimizer)
        if self.lora is not None:
            from studio.core.models.lora import peft_names

            model_tensors = peft_names(model_tensors)
        else:
            model_tensors = {k: v for k, v in model_tensors.items() if k in self._stored}
        tensors = {f"model/{k}": v.cpu() for k, v in model_tensors.items()}
        tensors.update(optim_tensors)
        tensors.update(rng_tensors)
        meta = {
            "model_config": self.model_config,
            "train_config": self.train_config.to_dict(),
            "step": self.step,
            "tokens_seen": self.tokens_seen,
            "elapsed_s": self.elapsed_s,
            "best_val_loss": self.best_val_loss,
            "bad_evals": self.bad_evals,
            "sampler": self.sampler.state(),
            "rng": rng_meta,
            "world_size": self.world.size,
            "optimizer": optim_meta,
        }
        if self.lora is not None:
            meta["lora"] = self.lora.to_dict()
        if self.fsdp:
            meta["fsdp"] = True
        if self.world.distributed:
            meta["samplers"] = samplers  # rank i continues from samplers[i]
        return TrainingState(meta, tensors)

    def _model_tensors(self, model: torch.nn.Module) -> dict[str, torch.Tensor]:
        if self.lora is not None:
            return {n: p.detach() for n, p in model.named_parameters() if p.requires_grad}
        return self.family.tensors(model)

    def state_bytes(self) -> bytes:
        """The whole training state (see state.py); call between steps."""
        return write_state(self.state())

    @classmethod
    def from_state(cls, blob: bytes | TrainingState, data: TrainData, *, world: World = SINGLE,
                   base: Mapping[str, torch.Tensor] | None = None, **changes: Any) -> Trainer:
        """Continue a run exactly where its state was taken. `changes` may alter only settings that do not
        change what is computed (RESUMABLE_CHANGES: more steps, another device, ...). A LoRA run's state holds
        its adapter only: `base` are the weights of the version it adapts (the state's "base/" tensors when
        the run service put them there)."""
        state = blob if isinstance(blob, TrainingState) else read_state(blob)
        refused = sorted(set(changes) - RESUMABLE_CHANGES)
        if refused:
            raise ValidationError(f"These settings cannot change when resuming a run: {', '.join(refused)}.")
        meta = state.meta
        saved_world = int(meta.get("world_size", 1))
        if saved_world != world.size:
            raise ValidationError(
                f"This run was trained with {saved_world} process(es); resume it with the same number "
                f"(--nproc {saved_world}) to continue exactly.", field="nproc")
        try:
            train_config = replace(TrainConfig.from_dict(meta["train_config"]), **changes)
            kwargs: dict[str, Any] = {"world": world, "fsdp": bool(meta.get("fsdp")), "copy_weights": False}
            if meta.get("lora") is not None:
                base = base if base is not None else state.section("base") or None
                if base is None:
                    raise ValidationError("This LoRA run's state holds its adapter only; resuming it needs the "
                                          "weights of its base model.")
                kwargs.update(weights=base, lora=LoraConfig.from_dict(meta["lora"]), adapter=state.section("model"))
            else:
                kwargs.update(weights=state.section("model"))
            trainer = cls(meta["model_config"], train_config, data, **kwargs)
            optim = {k: v for k, v in state.tensors.items() if k.startswith("optim/")}
            if trainer.fsdp:
                from studio.core.training.sharding import load_optimizer

                load_optimizer(trainer.model, trainer.optimizer, optim, meta["optimizer"])
            else:
                optimizer_from_flat(trainer.model, trainer.optimizer, optim, meta["optimizer"])
            trainer.sampler.load_state(meta["samplers"][world.rank] if world.distributed else meta["sampler"])
            trainer.step = int(meta["step"])
            trainer.tokens_seen = int(meta["tokens_seen"])
            trainer.elapsed_s = float(meta["elapsed_s"])
            trainer.best_val_loss = meta["best_val_loss"]
            trainer.bad_evals = int(meta["bad_evals"])
            restore_rng(meta["rng"], state.tensors)  # last: building the trainer consumed random numbers
        except KeyError as exc:
            raise ValidationError(f"The training state lacks {exc.args[0]!r}.") from exc
        return trainer


def model_from_state(blob: bytes | TrainingState, device: str | torch.device = "cpu", *,
                     base: Mapping[str, torch.Tensor] | None = None) -> torch.nn.Module:
    """The model held in a training state (e.g. a checkpoint to sample from), in eval mode. A LoRA run's
    state needs `base`, the weights of the version it adapts."""
    state = blob if isinstance(blob, TrainingState) else read_state(blob)
    try:
        config = dict(state.meta["model_config"])
    except KeyError as exc:
        raise ValidationError("The training state lacks its model configuration.") from exc
    if state.meta.get("lora") is not None:
        from studio.core.models.lora import build_adapted

        if base is None:
            raise ValidationError("This LoRA checkpoint holds its adapter only; load it on its base model.")
        doc = {"studio_lora": state.meta["lora"]}
        return build_adapted(config, base, doc, state.section("model"), device=str(device))
    return family_for_config(config).build(config, state.section("model"), device=device).eval()
