"""Build a runnable model from stored tensors, float or compressed, for any model family: the one loader every
consumer of a compressed version goes through (the families' `build` hands compressed tensors here).

    model = build_compressed(family, config, tensors, kernel="auto")   # family = family_for_config(config)
    model = load_model(config, tensors)                                # any version: float or compressed

Sparse-stored matrices are made dense first. Each quantized layer's weight is given to the family's `build` as
an uninitialised placeholder of its float shape (untouched memory, so it costs nothing), then the layer is
replaced by a QuantLinear / QuantEmbedding holding the integers; a head tied to a quantized embedding reads
the embedding's integers. Only plain nn.Linear and nn.Embedding layers (whose forward is torch's own) are
replaced: a subclass that does more (Gemma's scaled embedding) is never quantized, and refused here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn as nn

from studio.core.compression.quantize import QuantizedMatrix, matrix_from_tensors
from studio.core.compression.runtime import QuantEmbedding, QuantLinear
from studio.core.compression.storage import decode_tensors
from studio.core.errors import ValidationError
from studio.core.models.config import GPTConfig

QUANT_PARTS = ("qweight", "scales", "mins", "in_scales")


def quantized_prefixes(tensors: Mapping[str, torch.Tensor]) -> list[str]:
    """Module paths (with a trailing dot) whose weight is stored quantized."""
    return sorted(name[: -len("qweight")] for name in tensors if name.endswith(".qweight"))


def is_compressed(tensors: Mapping[str, torch.Tensor]) -> bool:
    return any(name.endswith((".qweight", ".nzmask")) for name in tensors)


def logical_shapes(tensors: Mapping[str, torch.Tensor]) -> dict[str, torch.Size]:
    """Every weight's float shape, quantized ones included."""
    prefixes = set(quantized_prefixes(tensors))
    shapes = {name: t.shape for name, t in tensors.items()
              if not (name.endswith(QUANT_PARTS) and name.rsplit(".", 1)[0] + "." in prefixes)}
    for prefix in prefixes:
        m = matrix_from_tensors(tensors, prefix)
        shapes[prefix + "weight"] = torch.Size((m.out_features, m.in_features))
    return shapes


def as_config(config: GPTConfig | Mapping[str, Any]) -> dict[str, Any]:
    """A config.json dict (the native GPT's GPTConfig as its to_dict())."""
    return config.to_dict() if isinstance(config, GPTConfig) else dict(config)


def plain_linear(module: nn.Module) -> bool:
    return isinstance(module, nn.Linear) and type(module).forward is nn.Linear.forward


def plain_embedding(module: nn.Module) -> bool:
    return isinstance(module, nn.Embedding) and type(module).forward is nn.Embedding.forward


def build_compressed(family: Any, config: Mapping[str, Any], tensors: Mapping[str, torch.Tensor], *,
                     kernel: str = "auto", device: str | torch.device = "cpu") -> nn.Module:
    """A model of `family` in eval mode holding `tensors` (any mix of float, quantized and sparse-stored)."""
    tensors = decode_tensors(dict(tensors))
    prefixes = quantized_prefixes(tensors)
    matrices = {p: matrix_from_tensors(tensors, p) for p in prefixes}
    floats = {k: v for k, v in tensors.items() if not (k.endswith(QUANT_PARTS) and k.rsplit(".", 1)[0] + "." in prefixes)}
    dtype = majority_dtype(floats)
    for prefix, m in matrices.items():
        if prefix + "weight" in floats:
            raise ValidationError(f"The weight {prefix}weight is stored both in float and quantized.")
        floats[prefix + "weight"] = torch.empty(m.out_features, m.in_features, dtype=dtype)  # replaced below
    model = family.build(config, floats, device="cpu")
    _swap_quantized(model, matrices, kernel)
    for p in model.parameters():
        p.requires_grad_(False)
    return model.to(device).eval()


def _swap_quantized(model: nn.Module, matrices: dict[str, QuantizedMatrix], kernel: str) -> None:
    modules = dict(model.named_modules())
    replaced_embeddings: dict[int, QuantEmbedding] = {}  # id of the float weight it replaced -> the new module
    for prefix, matrix in matrices.items():
        path = prefix[:-1]
        target = modules.get(path)
        if target is None or not (plain_linear(target) or plain_embedding(target)):
            raise ValidationError(f"The quantized tensor {prefix}qweight does not belong to a plain Linear or "
                                  "Embedding layer of this model.")
        if tuple(target.weight.shape) != (matrix.out_features, matrix.in_features):
            raise ValidationError(f"{prefix}qweight has the shape of a {matrix.out_features}x{matrix.in_features} "
                                  f"matrix; the model expects {tuple(target.weight.shape)}.")
        if plain_embedding(target):
            new: nn.Module = QuantEmbedding(matrix)
            replaced_embeddings[id(target.weight)] = new
        else:
            new = QuantLinear(matrix, target.bias.detach() if target.bias is not None else None, kernel)
        model.set_submodule(path, new)
    if not replaced_embeddings:
        return
    for path, module in list(model.named_modules()):  # heads tied to a quantized embedding read its integers
        if plain_linear(module) and id(module.weight) in replaced_embeddings:
            bias = module.bias.detach() if module.bias is not None else None
            model.set_submodule(path, QuantLinear(None, bias, kernel, tied_to=replaced_embeddings[id(module.weight)]))


def majority_dtype(tensors: Mapping[str, torch.Tensor]) -> torch.dtype:
    sizes: dict[torch.dtype, int] = {}
    for t in tensors.values():
        if t.is_floating_point():
            sizes[t.dtype] = sizes.get(t.dtype, 0) + t.numel()
    return max(sizes, key=sizes.__getitem__) if sizes else torch.float32


def load_model(config: GPTConfig | Mapping[str, Any], tensors: Mapping[str, torch.Tensor], *, kernel: str = "auto",
               device: str | torch.device = "cpu") -> nn.Module:
    """Any version of any family (a GPTConfig for the native GPT, else the stored config.json), float or
    compressed, in eval mode without gradients; the native GPT's per-layer widths come from the shapes."""
    from studio.core.models.family import family_for_config

    config = as_config(config)
    family = family_for_config(config)
    if is_compressed(tensors):
        return build_compressed(family, config, tensors, kernel=kernel, device=device)
    model = family.build(config, tensors, device=device)
    for p in model.parameters():
        p.requires_grad_(False)
    return model

