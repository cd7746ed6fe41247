"""LoRA adapters on any model family, with `peft` (the injection into an nn.Module, not PeftModel: a native
GPT is not a transformers model, and the studio keeps its own training loop).

    model = family.build(config, base_tensors)
    targets = apply_lora(model, LoraConfig(rank=8))          # the base frozen, adapters trainable
    adapter = adapter_tensors(model)                          # what a LoRA version stores (small)
    load_adapter(model, adapter)                              # onto a freshly built base
    merge_lora(model)                                         # W + scale * B @ A, the wrappers removed

Targets come from the family (`family.lora_layers`, `family.lora_targets`): the Linear layers inside the
transformer blocks, by the last part of their path. Adapter tensors are named as peft saves them
(`<layer path>.lora_A.weight`, `.lora_B.weight`, no adapter name), so a LoRA version exports as a PEFT
adapter. A version that holds an adapter has `adapter_config.json` (ADAPTER_FILE) naming its base.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from studio.core.errors import ValidationError
from studio.core.training.config import LoraConfig

if TYPE_CHECKING:
    import torch
    from torch import nn

ADAPTER_FILE = "adapter_config.json"
ADAPTER_FORMAT = "studio.lora"


def target_paths(model: nn.Module, lora: LoraConfig) -> list[str]:
    """The module paths LoRA adapts: the family's linear layers whose last path part is a target."""
    from studio.core.models.family import family_of

    family = family_of(model)
    layers = family.lora_layers(model)
    wanted = list(lora.targets) or family.lora_targets(model)
    known = sorted({p.rsplit(".", 1)[-1] for p in layers})
    unknown = [t for t in wanted if t not in known]
    if unknown:
        raise ValidationError(f"This model has no layer called {unknown[0]!r} to adapt; its Linear layers are "
                              f"{', '.join(known) or 'none'}.", field="lora_targets")
    paths = [p for p in layers if p.rsplit(".", 1)[-1] in wanted]
    if not paths:
        raise ValidationError("This model has no Linear layers that LoRA could adapt.", field="lora_targets")
    return paths


def target_choices(config: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(the family's default targets, every name LoRA could adapt) of a model config, from its skeleton on the
    meta device (no weights): what the New-run form offers before a run."""
    from studio.core.models.family import family_for_config

    family = family_for_config(config)
    model = family.skeleton(dict(config))
    known = sorted({p.rsplit(".", 1)[-1] for p in family.lora_layers(model)})
    return list(family.lora_targets(model)), known


def peft_config(lora: LoraConfig, paths: list[str], fan_in_fan_out: bool = False) -> Any:
    from peft import LoraConfig as PeftLoraConfig

    # full paths, so that a name like c_proj never matches a layer outside the blocks
    return PeftLoraConfig(r=lora.rank, lora_alpha=lora.alpha, lora_dropout=lora.dropout, target_modules=paths,
                          bias="none", fan_in_fan_out=fan_in_fan_out)


def fan_in_fan_out(model: nn.Module, paths: list[str]) -> bool:
    """Whether the targets store their weight (in, out) (GPT-2's Conv1D), before or after `apply_lora`: peft
    must know (it would switch per layer anyway, with a warning each time), and so must a PEFT adapter's
    config. A model whose targets mix both layouts has no such family."""
    from torch import nn

    def base(path: str) -> nn.Module:
        module = model.get_submodule(path)
        return getattr(module, "base_layer", module)  # a layer peft wrapped

    return bool(paths) and all(not isinstance(base(p), nn.Linear) for p in paths)


def apply_lora(model: nn.Module, lora: LoraConfig) -> list[str]:
    """Wrap the target layers with LoRA adapters in place: every base parameter frozen, only the adapters
    train (lora_B starts at zero, so the model computes what the base does). Returns the adapted paths."""
    from peft import inject_adapter_in_model

    lora = lora.validate()
    paths = target_paths(model, lora)
    inject_adapter_in_model(peft_config(lora, paths, fan_in_fan_out(model, paths)), model)
    for name, p in model.named_parameters():  # peft leaves nothing else trainable; say so explicitly
        p.requires_grad_(".lora_" in name)
    return paths


def has_lora(model: nn.Module) -> bool:
    from peft.tuners.lora import LoraLayer

    return any(isinstance(m, LoraLayer) for m in model.modules())


def adapter_tensors(model: nn.Module) -> dict[str, torch.Tensor]:
    """The adapter's tensors (peft's names), detached, contiguous, on the CPU."""
    from peft import get_peft_model_state_dict

    return {k: v.detach().cpu().contiguous() for k, v in get_peft_model_state_dict(model).items()}


def peft_names(tensors: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The adapter tensors among a wrapped model's parameters (named_parameters / state_dict names, with
    the adapter name), under peft's saved names (without it)."""
    return {name.replace(".default.", "."): t for name, t in tensors.items() if ".lora_" in name}


def load_adapter(model: nn.Module, tensors: Mapping[str, torch.Tensor]) -> None:
    """Put an adapter's tensors into a model that `apply_lora` wrapped with the same settings."""
    from peft import set_peft_model_state_dict

    expected = set(adapter_tensors(model))
    missing, unexpected = sorted(expected - set(tensors)), sorted(set(tensors) - expected)
    if missing or unexpected:
        raise ValidationError("The adapter does not fit this base model: "
                              + "; ".join(p for p in (f"missing {', '.join(missing[:3])}" if missing else "",
                                                      f"not in the model {', '.join(unexpected[:3])}" if unexpected else "")
                                          if p) + ".")
    result = set_peft_model_state_dict(model, dict(tensors))
    if getattr(result, "unexpected_keys", None):
        raise ValidationError(f"The adapter names layers the base does not have: {result.unexpected_keys[:3]}.")


def merge_lora(model: nn.Module) -> nn.Module:
    """Fold every adapter into its base weight (W += scale * B @ A) and put the plain layers back, so the
    model is its family's ordinary module again (family.tensors / export work on it)."""
    from peft.tuners.lora import LoraLayer

    for name, module in list(model.named_modules()):
        if not isinstance(module, LoraLayer):
            continue
        module.merge(safe_merge=True)
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, module.get_base_layer())
    return model


# --- adapter versions -----------------------------------------------------------------------------------------

def adapter_document(lora: LoraConfig, paths: list[str], base: Mapping[str, Any], family: str, *,
                     fan_in_fan_out: bool = False) -> dict[str, Any]:
    """adapter_config.json of a LoRA version: peft's fields (so the folder loads as a PEFT adapter) and the
    studio's: the format, the family, and the base version it belongs to."""
    return {
        "format": ADAPTER_FORMAT, "version": 1, "peft_type": "LORA", "r": lora.rank, "lora_alpha": lora.alpha,
        "lora_dropout": lora.dropout, "target_modules": paths, "bias": "none", "task_type": "CAUSAL_LM",
        "fan_in_fan_out": fan_in_fan_out, "studio_lora": lora.to_dict(), "family": family, "base": dict(base),
    }


def read_adapter_document(raw: bytes | str | None) -> dict[str, Any] | None:
    """The parsed adapter_config.json of a version, None when it has none (a full version)."""
    if raw is None:
        return None
    try:
        doc = json.loads(raw)
    except ValueError:
        raise ValidationError(f"{ADAPTER_FILE} of this version is not valid JSON.") from None
    if not isinstance(doc, dict) or doc.get("format") != ADAPTER_FORMAT or not isinstance(doc.get("base"), dict):
        raise ValidationError(f"{ADAPTER_FILE} of this version is not a studio LoRA adapter.")
    return doc


def lora_of(doc: Mapping[str, Any]) -> LoraConfig:
    return LoraConfig.from_dict(dict(doc.get("studio_lora") or {}))


def build_adapted(config: Mapping[str, Any], base_tensors: Mapping[str, torch.Tensor], doc: Mapping[str, Any],
                  adapter: Mapping[str, torch.Tensor], *, device: str = "cpu", merge: bool = False) -> nn.Module:
    """The base model with an adapter on it (eval mode), or with the adapter merged into its weights."""
    from studio.core.models.family import family_for_config

    model = family_for_config(config).build(config, base_tensors, device="cpu")
    apply_lora(model, lora_of(doc))
    load_adapter(model, adapter)
    if merge:
        merge_lora(model)
    for p in model.parameters():
        p.requires_grad_(False)
    return model.to(device).eval()
