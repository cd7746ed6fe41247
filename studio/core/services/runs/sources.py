"""Models from the vault as the start of a run (fine-tuning) or as something to sample from.

A version's config.json is the studio's own (GPTConfig.to_dict(): checkpoints and trained versions), a
Hugging Face GPT-2 config the native GPT represents (its Conv1D weights are transposed on the way in), or
any other family's config.json (studio.core.models.family: the run keeps it as its model_config, and the
worker builds the model through the family). Fine-tuning keeps the model's shape and its tokenizer: the
dataset must have been tokenized with it (same tokenizer.json: `studio dataset import --tokenizer-of`), or,
for the studio's own GPT, the user asks to resize the vocabulary explicitly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from studio.core.errors import StudioError, ValidationError
from studio.core.models.config import GPTConfig
from studio.core.models.family import FamilyConfig
from studio.core.services.runs.settings import DataInfo, RunPlan, RunSettings, model_overrides

if TYPE_CHECKING:
    import torch

# Model settings a fine-tuning run may change (the shape comes from the weights).
FINE_TUNE_OVERRIDES = {"dropout"}
# Versions whose weights a run can train further: float tensors (a quantized version holds integers).
FLOAT_DTYPES = frozenset({"float32", "float16", "bfloat16", "float64"})


@dataclass(frozen=True)
class FineTuneSource:
    """A vault version a run can start from (the New-run form's "Start from" lists these)."""

    model_id: int
    model_name: str
    version: int
    kind: str  # import | checkpoint | compressed | ...
    dtype: str
    architecture: str
    parameters: int
    step: int | None  # a run's checkpoint: the step it holds
    val_loss: float | None
    slot: str | None  # a run's checkpoint: last-N or best

    @property
    def ref(self) -> str:
        return f"{self.model_id}:{self.version}"


def can_fine_tune(version: Any) -> bool:
    """Whether a version's weights can be trained further: ready, float, not quantized, not a LoRA adapter
    (merge it first: `studio vault merge`)."""
    if getattr(version, "state", "ready") != "ready" or version.dtype not in FLOAT_DTYPES:
        return False
    if (version.metadata or {}).get("lora"):
        return False
    recipe = (version.metadata.get("compression") or {}).get("recipe") or {}
    return recipe.get("quant") in (None, "none")


def fine_tune_sources(studio: Any, actor: Any) -> list[FineTuneSource]:
    """Every version the actor may fine-tune from, newest model versions first within each model."""
    out = []
    for v in _vault(studio).list_versions(actor):
        if not can_fine_tune(v):
            continue
        meta = v.metadata or {}
        step = meta.get("step")
        loss = meta.get("val_loss")
        out.append(FineTuneSource(v.model_id, v.model_name, v.number, v.kind, v.dtype, v.architecture,
                                  v.parameter_count, int(step) if isinstance(step, int) else None,
                                  float(loss) if isinstance(loss, int | float) else None, meta.get("slot")))
    return sorted(out, key=lambda f: (f.model_name.lower(), -f.version))


@dataclass(frozen=True)
class Source:
    model_id: int
    version: int
    label: str
    blob: bytes  # safetensors of the starting weights (studio names), plaintext in memory only


def parse_ref(text: str | int) -> tuple[str | int, int | None]:
    """"shakespeare" -> ("shakespeare", None); "shakespeare:3" -> (.., 3); "12" -> (12, None)."""
    raw = str(text).strip()
    name, sep, version = raw.rpartition(":")
    if not sep:
        name, version = raw, ""
    if sep and not version.isdigit():
        name, version = raw, ""
    if not name:
        raise ValidationError(f"Name a model as MODEL or MODEL:VERSION (got {text!r}).", field="source")
    model: str | int = int(name) if name.isdigit() else name
    return model, int(version) if version else None


def config_of(config: dict[str, Any] | None) -> tuple[GPTConfig, bool]:
    """(GPTConfig, is_hf) from a version's config.json, for code that runs the native GPT only (serving)."""
    from studio.core.models.families.gpt import FAMILY as NATIVE
    from studio.core.models.families.gpt import gpt_config
    from studio.core.models.family import family_for_config

    family = family_for_config(config)
    if family is not NATIVE:
        spec = family.describe(config or {})
        raise ValidationError(f"This needs one of the studio's GPT models or a GPT-2 folder; this version is a "
                              f"{spec.model_type!r} model ({family.label}).", field="source")
    return gpt_config(config or {})


def model_config_of(config: dict[str, Any] | None) -> tuple[GPTConfig | FamilyConfig, bool]:
    """(model config, is_hf_gpt2) of a version's config.json: a GPTConfig for the studio's own GPT (and GPT-2
    folders it represents), a FamilyConfig for any other family."""
    from studio.core.models.families.gpt import FAMILY as NATIVE
    from studio.core.models.families.gpt import gpt_config
    from studio.core.models.family import family_for_config

    if family_for_config(config) is NATIVE:
        return gpt_config(config or {})
    return FamilyConfig.of(config or {}), False


def studio_tensors(tensors: dict[str, torch.Tensor], config: GPTConfig | FamilyConfig,
                   is_hf: bool) -> dict[str, torch.Tensor]:
    if not is_hf:
        return dict(tensors)
    from studio.core.models.hf import tensors_from_hf

    return tensors_from_hf(tensors, config)


def _canonical(tokenizer_json: str | None) -> str | None:
    if tokenizer_json is None:
        return None
    try:
        return json.dumps(json.loads(tokenizer_json), sort_keys=True)
    except ValueError:
        return tokenizer_json


def _vault(studio: Any) -> Any:
    vault = getattr(studio, "vault", None)
    if vault is None:
        raise StudioError("This installation has no model vault.")
    return vault


def _refuse_adapter(loaded: Any, label: str) -> None:
    from studio.core.models.lora import ADAPTER_FILE

    if ADAPTER_FILE in loaded.files:
        raise ValidationError(f"{label} is a LoRA adapter, not a whole model: merge it into a full version first "
                              "(studio vault merge), then fine-tune that.", field="source")


def source_config(studio: Any, actor: Any, settings: RunSettings,
                  data: DataInfo) -> tuple[GPTConfig | FamilyConfig, str]:
    """The configuration a fine-tuning run starts from, checked against the dataset's tokenizer."""
    assert settings.source is not None
    model, version = parse_ref(settings.source)
    loaded = _vault(studio).load(actor, model, version, roles={"config", "tokenizer"})
    label = f"{loaded.version.model_name}:{loaded.version.number}"
    _refuse_adapter(loaded, label)
    config, _ = model_config_of(loaded.config)
    _check_tokenizer(loaded.tokenizer, data, config, settings.resize_vocab, label)
    overrides = model_overrides(settings.model)
    allowed = FINE_TUNE_OVERRIDES if isinstance(config, GPTConfig) else set()
    extra = set(overrides) - allowed
    if extra:
        only = "only dropout may change" if allowed else "its settings cannot change"
        raise ValidationError(f"A fine-tuning run keeps the model's shape; {only} (got {', '.join(sorted(extra))}).",
                              field=sorted(extra)[0])
    if not isinstance(config, GPTConfig):
        if settings.resize_vocab:
            raise ValidationError("Resizing the vocabulary is for the studio's own GPT models; import the dataset "
                                  "with this model's tokenizer instead (--tokenizer-of).", field="resize_vocab")
        return config, label
    overrides = {k: v for k, v in overrides.items() if k in FINE_TUNE_OVERRIDES}
    if settings.resize_vocab:
        overrides["vocab_size"] = data.vocab_size
    return replace(config, **overrides).validate(), label


def tokenizer_label(tokenizer_json: str | None) -> str:
    """A tokenizer in a few words: "bpe (8,192 tokens)", "byte (257 tokens)"."""
    if not tokenizer_json:
        return "no tokenizer"
    try:
        from studio.core.datasets.tokenizers import load_tokenizer

        return load_tokenizer(tokenizer_json).describe()
    except (ValidationError, StudioError):
        return "an unreadable tokenizer"


def _check_tokenizer(tokenizer: str | None, data: DataInfo, config: GPTConfig | FamilyConfig, resize: bool,
                     label: str) -> None:
    if resize:
        return
    if tokenizer is not None and data.tokenizer_json is not None and _canonical(tokenizer) != _canonical(
            data.tokenizer_json):
        dataset_tok = data.tokenizer_label or tokenizer_label(data.tokenizer_json)
        raise ValidationError(
            f"The dataset {data.name!r} was tokenized with another tokenizer than the model {label}: the dataset's "
            f"is {dataset_tok}, the model's is {tokenizer_label(tokenizer)}, so its token ids mean other things to "
            f"the model. Import the dataset with the model's tokenizer (studio dataset import --tokenizer-of "
            f"{label}), or train from random weights.", field="dataset")
    same = tokenizer is not None and data.tokenizer_json is not None
    # a model's embedding may be larger than its tokenizer (Qwen pads it); with the same tokenizer that is fine
    if data.vocab_size != config.vocab_size and not (same and data.vocab_size <= config.vocab_size):
        raise ValidationError(
            f"The dataset's tokenizer has {data.vocab_size} tokens but the model {label} has a vocabulary of "
            f"{config.vocab_size}. Fine-tune on a dataset tokenized with the model's tokenizer, or choose to resize "
            "the vocabulary (the new embeddings start untrained).", field="dataset")


def load_source(studio: Any, actor: Any, settings: RunSettings, plan: RunPlan) -> Source:
    """The starting weights of a fine-tuning run (the frozen base of a LoRA run), decrypted into memory and
    made ready for the worker."""
    from safetensors.torch import save as st_save

    assert settings.source is not None
    model, version = parse_ref(settings.source)
    loaded = _vault(studio).load(actor, model, version)
    label = f"{loaded.version.model_name}:{loaded.version.number}"
    _refuse_adapter(loaded, label)
    config, is_hf = model_config_of(loaded.config)
    if isinstance(config, GPTConfig):
        from studio.core.training.finetune import prepare_fine_tune

        config = replace(config, dropout=plan.model_config.dropout)
        tensors = studio_tensors(loaded.tensors, config, is_hf)
        if any(name.endswith(".nzmask") for name in tensors):  # a pruned version stored sparse: train it dense
            from studio.core.compression.storage import decode_tensors

            tensors = decode_tensors(tensors)
        same = loaded.tokenizer is not None and _canonical(loaded.tokenizer) == _canonical(plan.data.tokenizer_json)
        _, weights = prepare_fine_tune(config, tensors, plan.data.vocab_size, eos_id=plan.data.eos_id,
                                       resize_vocab=settings.resize_vocab, same_tokenizer=same)
    else:
        weights = dict(loaded.tensors)  # stored names: the family's build reads them
    blob = st_save({k: v.contiguous() for k, v in weights.items()})
    return Source(loaded.version.model_id, loaded.version.number, label, blob)


def base_weights(studio: Any, actor: Any, model_id: int, version: int) -> dict[str, torch.Tensor]:
    """The weights of a LoRA run's base version (what its adapter-only checkpoints resume on)."""
    loaded = _vault(studio).load(actor, model_id, version, roles={"weights", "index", "config"})
    config, is_hf = model_config_of(loaded.config)
    return studio_tensors(loaded.tensors, config, is_hf) if isinstance(config, GPTConfig) else dict(loaded.tensors)
