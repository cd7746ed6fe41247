"""The training run's settings (plain data, no torch) and the learning-rate schedule as a pure function."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from studio.core.errors import ValidationError
from studio.core.messages import msg

OPTIMIZERS = ("adamw", "adam", "adagrad", "sgd")
SCHEDULES = ("cosine", "linear", "constant")
PRECISIONS = ("auto", "fp32", "bf16")
# Settings that may change when a run is resumed without changing what it computes (or that the user
# must be able to change, like the number of steps or the device it continues on).
RESUMABLE_CHANGES = frozenset({"max_steps", "eval_every", "eval_batches", "patience", "min_delta", "device",
                               "precision", "compile", "threads"})


@dataclass(frozen=True)
class TrainConfig:
    max_steps: int = 2000
    batch_size: int = 32
    seq_len: int | None = None  # tokens per sequence; None = the model's context length
    grad_accum: int = 1  # micro-batches per optimizer step
    optimizer: str = "adamw"
    lr: float = 1e-3
    min_lr: float | None = None  # where the schedule ends; None = lr / 10
    schedule: str = "cosine"
    warmup_steps: int = 100
    weight_decay: float = 0.1  # on matrices and embeddings only, never on biases and norms
    beta1: float = 0.9
    beta2: float = 0.99
    momentum: float = 0.9  # SGD only
    grad_clip: float = 1.0  # max global gradient norm; 0 = no clipping
    eval_every: int = 250  # steps between validation evaluations (and always at the last step)
    eval_batches: int = 20  # batches per evaluation (the same batches every time)
    patience: int = 0  # evaluations without improvement before stopping early; 0 = never
    min_delta: float = 0.0  # improvement smaller than this does not count
    seed: int = 1337
    device: str = "auto"  # auto (cuda, mps, cpu), cpu, cuda, cuda:N, mps
    precision: str = "auto"  # auto = bf16 autocast where the GPU supports it, else fp32
    compile: bool = False  # torch.compile the model (pays off on GPUs; slow warm-up, no gain on CPU here)
    threads: int = 0  # CPU threads for torch; 0 = torch's default

    @property
    def final_lr(self) -> float:
        return self.min_lr if self.min_lr is not None else self.lr / 10

    def validate(self) -> TrainConfig:
        def need(ok: bool, field: str, message: str) -> None:
            if not ok:
                raise ValidationError(message, field=field)

        for name in ("max_steps", "batch_size", "grad_accum", "eval_every", "eval_batches"):
            value = getattr(self, name)
            need(isinstance(value, int) and value >= 1, name, msg("{name} must be a positive whole number (got {value!r}).", name=name, value=value))
        need(self.seq_len is None or self.seq_len >= 1, "seq_len", msg("seq_len must be positive."))
        need(self.optimizer in OPTIMIZERS, "optimizer", msg("Unknown optimizer {optimizer!r}; choose one of {value}.", optimizer=self.optimizer, value=', '.join(OPTIMIZERS)))
        need(self.schedule in SCHEDULES, "schedule", msg("Unknown schedule {schedule!r}; choose one of {value}.", schedule=self.schedule, value=', '.join(SCHEDULES)))
        need(self.precision in PRECISIONS, "precision", msg("Unknown precision {precision!r}; choose one of {value}.", precision=self.precision, value=', '.join(PRECISIONS)))
        need(math.isfinite(self.lr) and self.lr > 0, "lr", msg("The learning rate must be positive (got {lr}).", lr=self.lr))
        need(self.min_lr is None or 0 <= self.min_lr <= self.lr, "min_lr", msg("min_lr must be between 0 and lr."))
        need(self.warmup_steps >= 0, "warmup_steps", msg("warmup_steps cannot be negative."))
        need(self.weight_decay >= 0, "weight_decay", msg("weight_decay cannot be negative."))
        need(0 <= self.beta1 < 1 and 0 <= self.beta2 < 1, "beta1", msg("Adam betas must be in [0, 1)."))
        need(0 <= self.momentum < 1, "momentum", msg("momentum must be in [0, 1)."))
        need(self.grad_clip >= 0, "grad_clip", msg("grad_clip cannot be negative (0 turns clipping off)."))
        need(self.patience >= 0, "patience", msg("patience cannot be negative (0 turns early stopping off)."))
        need(self.threads >= 0, "threads", msg("threads cannot be negative (0 = default)."))
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ValidationError(msg("Unknown training settings: {value}.", value=', '.join(unknown)))
        return cls(**data).validate()


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Learning rate for optimizer step `step` (0-based): linear warm-up from near 0 to lr, then the
    schedule from lr down to min_lr at max_steps (constant stays at lr)."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / (cfg.warmup_steps + 1)
    if cfg.schedule == "constant":
        return cfg.lr
    span = max(1, cfg.max_steps - cfg.warmup_steps)
    ratio = min(1.0, (step - cfg.warmup_steps) / span)
    if cfg.schedule == "linear":
        return cfg.lr - (cfg.lr - cfg.final_lr) * ratio
    return cfg.final_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (cfg.lr - cfg.final_lr)


@dataclass(frozen=True)
class LoraConfig:
    """LoRA settings of a fine-tuning run (plain data; studio.core.models.lora applies them with peft).
    `targets` are the last parts of the Linear layers' paths (q_proj, v_proj, c_attn, ...); empty means the
    family's defaults (`family.lora_targets(model)`: every Linear layer inside the blocks)."""

    rank: int = 8
    alpha: float = 16.0
    dropout: float = 0.05
    targets: tuple[str, ...] = ()

    def validate(self) -> LoraConfig:
        if not isinstance(self.rank, int) or isinstance(self.rank, bool) or not 1 <= self.rank <= 4096:
            raise ValidationError(f"The LoRA rank must be a whole number from 1 to 4096 (got {self.rank!r}).",
                                  field="lora_rank")
        if not (isinstance(self.alpha, int | float) and math.isfinite(self.alpha) and self.alpha > 0):
            raise ValidationError(f"The LoRA alpha must be positive (got {self.alpha!r}).", field="lora_alpha")
        if not (isinstance(self.dropout, int | float) and 0 <= self.dropout < 1):
            raise ValidationError(f"The LoRA dropout must be in [0, 1) (got {self.dropout!r}).", field="lora_dropout")
        bad = [t for t in self.targets if not isinstance(t, str) or not t.strip() or "." in t]
        if bad:
            raise ValidationError(f"LoRA targets are module names such as q_proj or c_attn (got {bad[0]!r}).",
                                  field="lora_targets")
        return self

    @property
    def scaling(self) -> float:
        return self.alpha / self.rank

    def to_dict(self) -> dict[str, Any]:
        return {"rank": self.rank, "alpha": self.alpha, "dropout": self.dropout, "targets": list(self.targets)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoraConfig:
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ValidationError(f"Unknown LoRA settings: {', '.join(unknown)}.")
        d = dict(data)
        d["targets"] = tuple(d.get("targets") or ())
        return cls(**d).validate()
