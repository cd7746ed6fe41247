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


FIELDS: tuple[Field, ...] = (
    # Basic
    Field("max_steps", QT_TRANSLATE_NOOP("NewRun", "Steps"), "int", "train", "basic", 2000, 1),
    Field("batch_size", QT_TRANSLATE_NOOP("NewRun", "Batch size"), "int", "train", "basic", 32, 1, 65536),
    Field("lr", QT_TRANSLATE_NOOP("NewRun", "Learning rate"), "float", "train", "basic", 1e-3,
          help=QT_TRANSLATE_NOOP("NewRun", "Peak learning rate after warm-up, e.g. 1e-3 for small models, 3e-4 for GPT-2 sizes.")),
    # Model
    Field("n_layer", QT_TRANSLATE_NOOP("NewRun", "Layers"), "int", "model", "model", 4, 1, 256),
    Field("n_head", QT_TRANSLATE_NOOP("NewRun", "Heads"), "int", "model", "model", 4, 1, 256),
    Field("n_embd", QT_TRANSLATE_NOOP("NewRun", "Embedding width"), "int", "model", "model", 128, 1, 65536),
    Field("block_size", QT_TRANSLATE_NOOP("NewRun", "Context length"), "int", "model", "model", 128, 1, 1_048_576),
    Field("dropout", QT_TRANSLATE_NOOP("NewRun", "Dropout"), "float", "model", "model", 0.0),
    Field("n_inner", QT_TRANSLATE_NOOP("NewRun", "MLP width (0 = 4 × width)"), "int", "model", "model", 0, 0, 1_048_576),
    Field("activation", QT_TRANSLATE_NOOP("NewRun", "Activation"), "choice", "model", "model", "gelu_tanh", choices=ACTIVATIONS),
    Field("bias", QT_TRANSLATE_NOOP("NewRun", "Biases"), "bool", "model", "model", True),
    Field("tie_embeddings", QT_TRANSLATE_NOOP("NewRun", "Tie input and output embeddings"), "bool", "model", "model", True),
    Field("layer_norm_eps", QT_TRANSLATE_NOOP("NewRun", "Layer norm epsilon"), "float", "model", "model", 1e-5),
    Field("resize_vocab", QT_TRANSLATE_NOOP("NewRun", "Resize the vocabulary to the dataset's tokenizer"), "bool",
          "options", "model", False,
          help=QT_TRANSLATE_NOOP("NewRun", "Fine-tuning only: when the dataset's tokenizer has another number of "
                                 "tokens than the model, resize the embeddings (the new ones start untrained).")),
    # Training
    Field("seq_len", QT_TRANSLATE_NOOP("NewRun", "Sequence length (0 = context)"), "int", "train", "training", 0, 0, 1_048_576),
    Field("grad_accum", QT_TRANSLATE_NOOP("NewRun", "Gradient accumulation"), "int", "train", "training", 1, 1, 4096),
    Field("optimizer", QT_TRANSLATE_NOOP("NewRun", "Optimizer"), "choice", "train", "training", "adamw", choices=OPTIMIZERS),
    Field("schedule", QT_TRANSLATE_NOOP("NewRun", "Schedule"), "choice", "train", "training", "cosine", choices=SCHEDULES),
    Field("warmup_steps", QT_TRANSLATE_NOOP("NewRun", "Warm-up steps"), "int", "train", "training", 100, 0),
    Field("min_lr", QT_TRANSLATE_NOOP("NewRun", "Final learning rate (empty = lr / 10)"), "optfloat", "train", "training", None),
    Field("weight_decay", QT_TRANSLATE_NOOP("NewRun", "Weight decay"), "float", "train", "training", 0.1),
    Field("beta1", QT_TRANSLATE_NOOP("NewRun", "Beta 1"), "float", "train", "training", 0.9),
    Field("beta2", QT_TRANSLATE_NOOP("NewRun", "Beta 2"), "float", "train", "training", 0.99),
    Field("momentum", QT_TRANSLATE_NOOP("NewRun", "Momentum (SGD)"), "float", "train", "training", 0.9),
    Field("grad_clip", QT_TRANSLATE_NOOP("NewRun", "Gradient clipping (0 = off)"), "float", "train", "training", 1.0),
    Field("eval_every", QT_TRANSLATE_NOOP("NewRun", "Evaluate every (steps)"), "int", "train", "training", 250, 1),
    Field("eval_batches", QT_TRANSLATE_NOOP("NewRun", "Batches per evaluation"), "int", "train", "training", 20, 1, 100_000),
    Field("patience", QT_TRANSLATE_NOOP("NewRun", "Early stopping patience (0 = off)"), "int", "train", "training", 0, 0, 100_000),
    Field("min_delta", QT_TRANSLATE_NOOP("NewRun", "Minimum improvement"), "float", "train", "training", 0.0),
    Field("seed", QT_TRANSLATE_NOOP("NewRun", "Seed"), "int", "train", "training", 1337, 0, 2**31 - 1),
    Field("device", QT_TRANSLATE_NOOP("NewRun", "Device"), "choice", "train", "training", "auto", choices=("auto", "cpu", "cuda", "mps"),
          editable=True),
    Field("precision", QT_TRANSLATE_NOOP("NewRun", "Precision"), "choice", "train", "training", "auto", choices=PRECISIONS),
    Field("compile", QT_TRANSLATE_NOOP("NewRun", "torch.compile"), "bool", "train", "training", False),
    Field("threads", QT_TRANSLATE_NOOP("NewRun", "CPU threads (0 = default)"), "int", "train", "training", 0, 0, 1024),
    # Fine-tuning a vault model with LoRA (the method, full or LoRA, is the dialog's own choice)
    Field("lora_rank", QT_TRANSLATE_NOOP("NewRun", "LoRA rank"), "int", "options", "finetune", 8, 1, 4096,
          help=QT_TRANSLATE_NOOP("NewRun", "The adapters' inner size: 8 or 16 suit most fine-tunes; more learns more and "
                                 "costs more memory.")),
    Field("lora_alpha", QT_TRANSLATE_NOOP("NewRun", "LoRA alpha"), "float", "options", "finetune", 16.0,
          help=QT_TRANSLATE_NOOP("NewRun", "Scales the adapters' output (alpha / rank); twice the rank is usual.")),
    Field("lora_dropout", QT_TRANSLATE_NOOP("NewRun", "LoRA dropout"), "float", "options", "finetune", 0.05),
    Field("lora_targets", QT_TRANSLATE_NOOP("NewRun", "Target modules"), "text", "options", "finetune", "",
          help=QT_TRANSLATE_NOOP("NewRun", "The Linear layers to adapt, by name (q_proj, v_proj, c_attn ...), comma "
                                 "separated; empty: the model family's defaults.")),
    # Run options
    Field("checkpoint_every", QT_TRANSLATE_NOOP("NewRun", "Checkpoint every (steps, 0 = only at the end)"), "int", "options", "run",
          500, 0),
    Field("keep_last", QT_TRANSLATE_NOOP("NewRun", "Latest checkpoints kept"), "int", "options", "run", 2, 2, 20),
    Field("keep_best", QT_TRANSLATE_NOOP("NewRun", "Also keep the best (lowest validation loss)"), "bool", "options", "run", True),
    Field("nproc", QT_TRANSLATE_NOOP("NewRun", "Processes (GPUs) on this machine"), "int", "options", "run", 1, 1, 64,
          help=QT_TRANSLATE_NOOP("NewRun", "More than one starts the worker with torchrun and DistributedDataParallel.")),
    Field("fsdp", QT_TRANSLATE_NOOP("NewRun", "Shard the model over the processes (FSDP)"), "bool", "options", "run", False,
          help=QT_TRANSLATE_NOOP("NewRun", "For a model too big for one device: weights, gradients and optimizer state are "
                                 "split over the processes (FSDP2) instead of copied to each. Needs 2 or more processes.")),
    Field("tags", QT_TRANSLATE_NOOP("NewRun", "Tags (comma separated)"), "text", "run", "run", ""),
    Field("group", QT_TRANSLATE_NOOP("NewRun", "Group"), "text", "run", "run", ""),
)
FIELD = {f.key: f for f in FIELDS}
MODEL_KEYS = tuple(f.key for f in FIELDS if f.target == "model")
# What a fine-tuning run may still choose of the model (its shape comes from the source's weights).
FINE_TUNE_KEYS = ("dropout", "resize_vocab")
SECTIONS = {
    "basic": QT_TRANSLATE_NOOP("NewRun", "Run"),
    "model": QT_TRANSLATE_NOOP("NewRun", "Model"),
    "training": QT_TRANSLATE_NOOP("NewRun", "Training"),
    "run": QT_TRANSLATE_NOOP("NewRun", "Checkpoints and organisation"),
    "finetune": QT_TRANSLATE_NOOP("NewRun", "Fine-tuning"),
}
PRESET_NAMES = (*PRESETS, "custom")
LORA_KEYS = tuple(f.key for f in FIELDS if f.section == "finetune")
