"""Every setting of the New-run form, declared once: where it goes (model, training or run options), its
widget kind, default and range. The form builds its widgets from this list, so no engine setting is missing
from the advanced section (a test compares it with TrainConfig and GPTConfig)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QT_TRANSLATE_NOOP

from studio.core.models.config import ACTIVATIONS, PRESETS
from studio.core.training.config import OPTIMIZERS, PRECISIONS, SCHEDULES


@dataclass(frozen=True)
class Field:
    key: str
    label: str  # English, translated in context "NewRun"
    kind: str  # int | float | optfloat (empty = default) | choice | bool | text
    target: str  # model | train | options | run
    section: str  # basic | model | training | run
    default: object = None
    minimum: int = 0
    maximum: int = 1_000_000_000
    choices: tuple[str, ...] = ()
    help: str = ""  # English tooltip
    editable: bool = False  # a choice that also takes typed text (device: cuda:1)


F = QT_TRANSLATE_NOOP
FIELDS: tuple[Field, ...] = (
    # Basic
    Field("max_steps", F("NewRun", "Steps"), "int", "train", "basic", 2000, 1),
    Field("batch_size", F("NewRun", "Batch size"), "int", "train", "basic", 32, 1, 65536),
    Field("lr", F("NewRun", "Learning rate"), "float", "train", "basic", 1e-3,
          help=F("NewRun", "Peak learning rate after warm-up, e.g. 1e-3 for small models, 3e-4 for GPT-2 sizes.")),
    # Model
    Field("n_layer", F("NewRun", "Layers"), "int", "model", "model", 4, 1, 256),
    Field("n_head", F("NewRun", "Heads"), "int", "model", "model", 4, 1, 256),
    Field("n_embd", F("NewRun", "Embedding width"), "int", "model", "model", 128, 1, 65536),
    Field("block_size", F("NewRun", "Context length"), "int", "model", "model", 128, 1, 1_048_576),
    Field("dropout", F("NewRun", "Dropout"), "float", "model", "model", 0.0),
    Field("n_inner", F("NewRun", "MLP width (0 = 4 × width)"), "int", "model", "model", 0, 0, 1_048_576),
    Field("activation", F("NewRun", "Activation"), "choice", "model", "model", "gelu_tanh", choices=ACTIVATIONS),
    Field("bias", F("NewRun", "Biases"), "bool", "model", "model", True),
    Field("tie_embeddings", F("NewRun", "Tie input and output embeddings"), "bool", "model", "model", True),
    Field("layer_norm_eps", F("NewRun", "Layer norm epsilon"), "float", "model", "model", 1e-5),
    # Training
    Field("seq_len", F("NewRun", "Sequence length (0 = context)"), "int", "train", "training", 0, 0, 1_048_576),
    Field("grad_accum", F("NewRun", "Gradient accumulation"), "int", "train", "training", 1, 1, 4096),
    Field("optimizer", F("NewRun", "Optimizer"), "choice", "train", "training", "adamw", choices=OPTIMIZERS),
    Field("schedule", F("NewRun", "Schedule"), "choice", "train", "training", "cosine", choices=SCHEDULES),
    Field("warmup_steps", F("NewRun", "Warm-up steps"), "int", "train", "training", 100, 0),
    Field("min_lr", F("NewRun", "Final learning rate (empty = lr / 10)"), "optfloat", "train", "training", None),
    Field("weight_decay", F("NewRun", "Weight decay"), "float", "train", "training", 0.1),
    Field("beta1", F("NewRun", "Beta 1"), "float", "train", "training", 0.9),
    Field("beta2", F("NewRun", "Beta 2"), "float", "train", "training", 0.99),
    Field("momentum", F("NewRun", "Momentum (SGD)"), "float", "train", "training", 0.9),
    Field("grad_clip", F("NewRun", "Gradient clipping (0 = off)"), "float", "train", "training", 1.0),
    Field("eval_every", F("NewRun", "Evaluate every (steps)"), "int", "train", "training", 250, 1),
    Field("eval_batches", F("NewRun", "Batches per evaluation"), "int", "train", "training", 20, 1, 100_000),
    Field("patience", F("NewRun", "Early stopping patience (0 = off)"), "int", "train", "training", 0, 0, 100_000),
    Field("min_delta", F("NewRun", "Minimum improvement"), "float", "train", "training", 0.0),
    Field("seed", F("NewRun", "Seed"), "int", "train", "training", 1337, 0, 2**31 - 1),
    Field("device", F("NewRun", "Device"), "choice", "train", "training", "auto", choices=("auto", "cpu", "cuda", "mps"),
          editable=True),
    Field("precision", F("NewRun", "Precision"), "choice", "train", "training", "auto", choices=PRECISIONS),
    Field("compile", F("NewRun", "torch.compile"), "bool", "train", "training", False),
    Field("threads", F("NewRun", "CPU threads (0 = default)"), "int", "train", "training", 0, 0, 1024),
    # Run options
    Field("checkpoint_every", F("NewRun", "Checkpoint every (steps, 0 = only at the end)"), "int", "options", "run",
          500, 0),
    Field("keep_last", F("NewRun", "Latest checkpoints kept"), "int", "options", "run", 2, 2, 20),
    Field("keep_best", F("NewRun", "Also keep the best (lowest validation loss)"), "bool", "options", "run", True),
    Field("nproc", F("NewRun", "Processes (GPUs) on this machine"), "int", "options", "run", 1, 1, 64,
          help=F("NewRun", "More than one starts the worker with torchrun and DistributedDataParallel.")),
    Field("tags", F("NewRun", "Tags (comma separated)"), "text", "run", "run", ""),
    Field("group", F("NewRun", "Group"), "text", "run", "run", ""),
)
FIELD = {f.key: f for f in FIELDS}
MODEL_KEYS = tuple(f.key for f in FIELDS if f.target == "model")
SECTIONS = {
    "basic": F("NewRun", "Run"),
    "model": F("NewRun", "Model"),
    "training": F("NewRun", "Training"),
    "run": F("NewRun", "Checkpoints and organisation"),
}
PRESET_NAMES = (*PRESETS, "custom")
