"""What a user asks for when starting a run (`RunSettings`, plain JSON-able data, so a past run's settings
can be cloned into the GUI's form) and what the studio makes of it (`RunPlan`: the model and training
configurations, the estimate of parameters, memory and time per step, notes worth showing)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from studio.core.errors import ValidationError
from studio.core.messages import msg
from studio.core.models.config import PRESETS, GPTConfig, preset
from studio.core.models.family import FamilyConfig
from studio.core.training.checkpoints import CheckpointPolicy
from studio.core.training.config import LoraConfig, TrainConfig
from studio.core.training.launch import check_nproc

if TYPE_CHECKING:
    from studio.core.models.estimate import Estimate

# Short names the CLI and the form use for model settings.
MODEL_ALIASES = {"layers": "n_layer", "heads": "n_head", "width": "n_embd", "context": "block_size"}


@dataclass(frozen=True)
class RunSettings:
    dataset: int | str | None = None  # id or name of the dataset to train on
    name: str | None = None  # default: "<preset or shape>-<dataset>-<n>"
    preset: str | None = "tiny"  # a model shape (ignored when fine-tuning: the source model's shape is kept)
    model: dict[str, Any] = field(default_factory=dict)  # GPTConfig settings over the preset (or aliases)
    train: dict[str, Any] = field(default_factory=dict)  # TrainConfig settings
    source: str | None = None  # fine-tune from a vault model: "MODEL" or "MODEL:VERSION" (name or id)
    resize_vocab: bool = False  # fine-tuning with a tokenizer of another size: resize the embeddings
    # LoRA (with `source`): train low-rank adapters on the frozen model; the result is a small adapter version
    lora: bool = False
    lora_rank: int = 8
    lora_alpha: float = 16.0
    lora_dropout: float = 0.05
    lora_targets: tuple[str, ...] = ()  # module names (q_proj, c_attn, ...); empty: the family's defaults
    fsdp: bool = False  # shard parameters, gradients and optimizer state over the processes (FSDP2; nproc > 1)
    checkpoint_every: int = 500  # steps between checkpoints (0: only at the end)
    keep_last: int = 2
    keep_best: bool = True
    nproc: int = 1  # processes (GPUs) on this machine: > 1 starts the worker through torchrun
    nnodes: int = 1
    node_rank: int = 0
    master_addr: str | None = None
    master_port: int | None = None
    tags: tuple[str, ...] = ()
    group: str = ""
    data: dict[str, Any] | None = None  # internal (tests, benchmarks): token files instead of a dataset
    checkpoint_store: str = "vault"  # internal: the vault; tests register doubles

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["tags"] = list(self.tags)
        d["lora_targets"] = list(self.lora_targets)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSettings:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValidationError(msg("Unknown run settings: {value}.", value=', '.join(unknown)))
        d = dict(data)
        d["tags"] = tuple(d.get("tags") or ())
        d["lora_targets"] = tuple(d.get("lora_targets") or ())
        return cls(**d)

    @property
    def lora_config(self) -> LoraConfig | None:
        """The LoRA settings (validated, errors name lora_rank, lora_alpha, ...), None for a full run."""
        if not self.lora:
            return None
        return LoraConfig(self.lora_rank, self.lora_alpha, self.lora_dropout, tuple(self.lora_targets)).validate()

    @property
    def policy(self) -> CheckpointPolicy:
        return CheckpointPolicy(self.checkpoint_every, self.keep_last, self.keep_best).validate()


@dataclass(frozen=True)
class DataInfo:
    """The training data as the plan sees it (no arrays)."""

    spec: dict[str, Any]  # what the worker opens (studio.core.training.sources)
    dataset_id: int | None
    name: str
    vocab_size: int
    eos_id: int | None
    tokenizer_json: str | None
    train_tokens: int
    val_tokens: int
    tokenizer_label: str = ""  # how the dataset was tokenized, in words (for a refusal that names both)


@dataclass(frozen=True)
class RunPlan:
    settings: RunSettings
    model_config: GPTConfig | FamilyConfig  # FamilyConfig: a fine-tuned model of another family (its config.json)
    train_config: TrainConfig
    data: DataInfo
    parameters: int
    estimate: Estimate | None
    notes: tuple[str, ...]
    source_label: str = ""

    @property
    def run_time_s(self) -> tuple[float, float, float] | None:
        """The whole run's time (typical, low, high), evaluations included; None without an estimate."""
        if self.estimate is None:
            return None
        from studio.core.models.estimate import run_time_s

        t = self.train_config
        return run_time_s(self.estimate, t.max_steps, eval_every=t.eval_every, eval_batches=t.eval_batches,
                          grad_accum=t.grad_accum)


def model_overrides(model: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in model.items():
        name = MODEL_ALIASES.get(key, key)
        if value is not None:
            out[name] = value
    return out


def build_model_config(settings: RunSettings, vocab_size: int) -> GPTConfig:
    overrides = model_overrides(settings.model)
    overrides.pop("vocab_size", None)
    if settings.preset:
        return preset(settings.preset, vocab_size, **overrides)
    missing = [k for k in ("n_layer", "n_head", "n_embd") if k not in overrides]
    if missing:
        raise ValidationError(msg("Choose a preset ({presets}) or give the model's layers, heads and width.",
                                  presets=", ".join(PRESETS)), field=MODEL_ALIASES.get(missing[0], missing[0]))
    try:
        return GPTConfig(vocab_size=vocab_size, **overrides).validate()
    except TypeError as exc:
        raise ValidationError(msg("Unknown model setting: {exc}.", exc=exc)) from exc


def build_train_config(settings: RunSettings, model: GPTConfig) -> TrainConfig:
    try:
        cfg = TrainConfig.from_dict(dict(settings.train))
    except TypeError as exc:
        raise ValidationError(msg("Unknown training setting: {exc}.", exc=exc)) from exc
    if cfg.seq_len is not None and cfg.seq_len > model.block_size:
        raise ValidationError(msg("The sequence length ({seq_len}) is longer than the model's context ({block_size}).", seq_len=cfg.seq_len, block_size=model.block_size), field="seq_len")
    return cfg


def check_settings(settings: RunSettings) -> None:
    from studio.core.stores.runs import check_run_name, check_tags

    settings.policy  # noqa: B018  (validates)
    if settings.lora and not settings.source:
        raise ValidationError("LoRA adapts a trained model: choose the vault model to fine-tune (--from).",
                              field="lora")
    settings.lora_config  # noqa: B018  (validates)
    if settings.lora and settings.resize_vocab:
        raise ValidationError("A LoRA run keeps the base model's vocabulary; fine-tune on a dataset tokenized with "
                              "its tokenizer.", field="resize_vocab")
    if settings.fsdp and settings.nproc * settings.nnodes < 2:
        raise ValidationError("FSDP shards the model over several processes: set nproc to 2 or more.",
                              field="fsdp")
    if settings.name:
        check_run_name(settings.name)
    check_tags(settings.tags)
    check_nproc(settings.nproc, settings.nnodes)
    if settings.nnodes > 1 and not settings.master_addr:
        raise ValidationError(msg("A run over several machines needs --master-addr (the address of node 0)."),
                              field="master_addr")
    if not 0 <= settings.node_rank < settings.nnodes:
        raise ValidationError(msg("--node-rank must be between 0 and nnodes - 1."), field="node_rank")


def check_data(plan_data: DataInfo, train: TrainConfig, model: GPTConfig) -> list[str]:
    """Clear errors for data that cannot train this model; notes for what is merely worth knowing."""
    seq = train.seq_len or model.block_size
    if plan_data.train_tokens < seq + 1:
        raise ValidationError(
            msg("The training split of {name!r} has {train_tokens} tokens, fewer than one sequence of {value}: use a shorter context or more data.", name=plan_data.name, train_tokens=plan_data.train_tokens, value=seq + 1), field="block_size")
    notes = []
    if plan_data.val_tokens <= seq:
        if train.patience:
            raise ValidationError(msg("Early stopping needs a validation split; this dataset has none (or it is shorter than one sequence). Set patience to 0."), field="patience")
        notes.append("The dataset has no usable validation split: no validation loss, no best checkpoint.")
    return notes

