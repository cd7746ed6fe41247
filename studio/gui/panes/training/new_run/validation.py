"""The New-run form's checks, run on every keystroke: each problem is tied to the field it is about, with the
reason in words. Errors block Start; warnings only inform. The engine's own checks (GPTConfig.validate,
TrainConfig.validate) run too, so the form never lets through what the run service would refuse."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication

from studio.core.errors import ValidationError
from studio.core.models.config import GPTConfig
from studio.core.training.config import LoraConfig, TrainConfig
from studio.gui.i18n import error_text
from studio.gui.panes.training.backend import DatasetChoice
from studio.gui.panes.training.new_run.fields import FIELD

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Issue:
    level: str
    message: str


def tr(text: str) -> str:
    return QCoreApplication.translate("NewRun", text)


def parse(key: str, text: str) -> Any:
    """A typed field's value from its text; raises ValueError with the reason."""
    field = FIELD[key]
    text = text.strip()
    if field.kind == "optfloat" and text == "":
        return None
    if field.kind in ("float", "optfloat"):
        try:
            return float(text)
        except ValueError:
            raise ValueError(QCoreApplication.translate("NewRun", "Not a number: write it like 0.001 or 1e-3.")) from None
    return text


def parse_targets(text: str) -> tuple[str, ...]:
    """"q_proj, v_proj" (commas or spaces) -> ("q_proj", "v_proj")."""
    return tuple(t for t in text.replace(",", " ").split() if t)


def check(values: dict[str, Any], dataset: DatasetChoice | None, *, name_taken: bool = False,
          parse_errors: dict[str, str] | None = None) -> dict[str, Issue]:
    """Problems by field key ("name" and "dataset" included)."""
    issues: dict[str, Issue] = {k: Issue(ERROR, m) for k, m in (parse_errors or {}).items()}

    def error(key: str, message: str) -> None:
        issues.setdefault(key, Issue(ERROR, message))

    def warn(key: str, message: str) -> None:
        issues.setdefault(key, Issue(WARNING, message))

    name = str(values.get("name", "")).strip()
    if not name:
        error("name", QCoreApplication.translate("NewRun", "Give the run a name."))
    elif name_taken:
        error("name", QCoreApplication.translate("NewRun", "Another run already has this name."))
    if dataset is None:
        error("dataset", QCoreApplication.translate("NewRun", "Choose a dataset to train on (import one in the Datasets pane)."))
    elif dataset.val_tokens == 0:
        warn("dataset", QCoreApplication.translate("NewRun", "This dataset has no validation split: the run will have no validation loss, "
                           "no best checkpoint and no early stopping."))

    # The cases people hit most, said plainly before the engine's generic checks.
    lr = values.get("lr")
    if isinstance(lr, float) and lr == 0:
        error("lr", QCoreApplication.translate("NewRun", "A learning rate of 0 learns nothing: the weights never change. Try 1e-3 for a small model."))
    context = values.get("block_size")
    seq = values.get("seq_len") or context
    if isinstance(context, int) and isinstance(seq, int) and seq > context:
        error("seq_len", QCoreApplication.translate("NewRun", "A sequence of {seq} tokens does not fit the model's context of {context}: "
                            "lower it or raise the context length.").format(seq=seq, context=context))
    batch = values.get("batch_size")
    if dataset is not None and isinstance(batch, int) and isinstance(seq, int):
        need = seq + 1
        if dataset.train_tokens < need:
            error("seq_len", QCoreApplication.translate("NewRun", "The training split has {have} tokens, fewer than one sequence of {seq} needs.")
                  .format(have=f"{dataset.train_tokens:,}", seq=f"{need:,}"))
        elif batch * seq > dataset.train_tokens:
            warn("batch_size", QCoreApplication.translate("NewRun", "One batch ({n} tokens) is larger than the whole training split ({have}): "
                                  "every step sees the same text many times.")
                 .format(n=f"{batch * seq:,}", have=f"{dataset.train_tokens:,}"))
        if dataset.val_tokens and dataset.val_tokens < need:
            error("seq_len", QCoreApplication.translate("NewRun", "The validation split has {have} tokens, fewer than one sequence of {seq} needs.")
                  .format(have=f"{dataset.val_tokens:,}", seq=f"{need:,}"))
    if dataset is not None and dataset.val_tokens == 0 and (values.get("patience") or 0) > 0:
        error("patience", QCoreApplication.translate("NewRun", "Early stopping watches the validation loss, and this dataset has no validation split."))
    steps, warmup = values.get("max_steps"), values.get("warmup_steps")
    if isinstance(steps, int) and isinstance(warmup, int) and warmup >= steps:
        warn("warmup_steps", QCoreApplication.translate("NewRun", "The warm-up is as long as the run: the learning rate never reaches its schedule."))
    every = values.get("eval_every")
    if isinstance(steps, int) and isinstance(every, int) and every > steps:
        warn("eval_every", QCoreApplication.translate("NewRun", "Longer than the run: the validation loss is measured at the last step only."))

    if values.get("fsdp") and (values.get("nproc") or 1) < 2:
        error("fsdp", QCoreApplication.translate("NewRun", "Sharding needs 2 or more processes: raise Processes, or "
                                                 "turn sharding off."))
    if values.get("lora"):
        try:
            LoraConfig(values.get("lora_rank"), values.get("lora_alpha"), values.get("lora_dropout"),
                       parse_targets(str(values.get("lora_targets") or ""))).validate()
        except ValidationError as exc:
            error(exc.field if exc.field in FIELD else "lora_rank", error_text(exc))
        except TypeError as exc:
            error("lora_rank", error_text(exc))

    # The engine's own checks, mapped to their fields.
    model = {k: values[k] for k in values if FIELD.get(k) is not None and FIELD[k].target == "model"}
    model["n_inner"] = model.get("n_inner") or None
    try:
        GPTConfig(vocab_size=dataset.vocab_size if dataset else 256, **model).validate()
    except ValidationError as exc:
        error(exc.field or "n_layer", error_text(exc))
    except TypeError as exc:
        error("n_layer", error_text(exc))
    train = {k: values[k] for k in values if FIELD.get(k) is not None and FIELD[k].target == "train"}
    train["seq_len"] = train.get("seq_len") or None
    try:
        TrainConfig(**train).validate()
    except ValidationError as exc:
        key = exc.field if exc.field in FIELD else "lr"
        error(key, error_text(exc))
    except TypeError as exc:
        error("lr", error_text(exc))
    return issues


def blocking(issues: dict[str, Issue]) -> bool:
    return any(i.level == ERROR for i in issues.values())
