"""Build a runnable GPT from stored tensors, float or compressed: the one loader every consumer of a model
version should call (a plain float version loads exactly as models.gpt.build_model would).

Quantized layers become QuantLinear / QuantEmbedding modules holding the integer tensors; pruned layers
get their per-layer widths from the shapes; sparse-stored matrices are made dense first. The model is built
on the meta device and the tensors are assigned, not copied, so loading costs no second copy of the weights.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from studio.core.compression.quantize import matrix_from_tensors
from studio.core.compression.runtime import QuantEmbedding, QuantLinear
from studio.core.compression.storage import decode_tensors
from studio.core.errors import ValidationError
from studio.core.models.config import GPTConfig
from studio.core.models.gpt import GPT, config_for_tensors

_QUANT_PARTS = ("qweight", "scales", "mins", "in_scales")


def quantized_prefixes(tensors: dict[str, torch.Tensor]) -> list[str]:
    """Module paths (with a trailing dot) whose weight is stored quantized."""
    return sorted(name[: -len("qweight")] for name in tensors if name.endswith(".qweight"))


def is_compressed(tensors: dict[str, torch.Tensor]) -> bool:
    return any(name.endswith((".qweight", ".nzmask")) for name in tensors)


def logical_shapes(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Size]:
    """Every weight's float shape, quantized ones included (what config_for_tensors reads)."""
    shapes = {name: t.shape for name, t in tensors.items() if not name.endswith(("qweight", "scales", "mins"))}
    for prefix in quantized_prefixes(tensors):
        m = matrix_from_tensors(tensors, prefix)
        shapes[prefix + "weight"] = torch.Size((m.out_features, m.in_features))
    return shapes


class _Shape:
    def __init__(self, shape: torch.Size):
        self.shape = shape


def load_model(config: GPTConfig, tensors: dict[str, torch.Tensor], *, kernel: str = "auto",
               device: str | torch.device = "cpu") -> GPT:
    """A model in eval mode holding `tensors` (any mix of float, quantized and sparse-stored)."""
    tensors = decode_tensors(tensors)
    prefixes = quantized_prefixes(tensors)
    shapes = logical_shapes(tensors)
    config = config_for_tensors(config, {k: _Shape(v) for k, v in shapes.items()})  # type: ignore[arg-type]
    with torch.device("meta"):
        model = GPT(config)
    modules = dict(model.named_modules())
    for prefix in prefixes:
        path = prefix[:-1]
        target = modules.get(path)
        matrix = matrix_from_tensors(tensors, prefix)
        if isinstance(target, nn.Embedding):
            new: nn.Module = QuantEmbedding(matrix)
        elif isinstance(target, nn.Linear):
            new = QuantLinear(matrix, tensors.get(prefix + "bias"), kernel)
        else:
            raise ValidationError(f"The quantized tensor {prefix}qweight does not belong to a layer of this model.")
        if (target.weight.shape if isinstance(target, nn.Linear | nn.Embedding) else None) != (
                matrix.out_features, matrix.in_features):
            raise ValidationError(f"{prefix}qweight has the shape of a {matrix.out_features}x{matrix.in_features} "
                                  f"matrix; the model expects {tuple(target.weight.shape)}.")
        model.set_submodule(path, new)
    head_tied_to_quantized = config.tie_embeddings and isinstance(model.transformer.wte, QuantEmbedding)
    if head_tied_to_quantized:
        model.lm_head = QuantLinear(None, None, kernel, tied_to=model.transformer.wte)

    float_tensors = {k: v for k, v in tensors.items()
                     if not (k.endswith(_QUANT_PARTS) and k.rsplit(".", 1)[0] + "." in prefixes)}
    for prefix in prefixes:
        float_tensors.pop(prefix + "bias", None)  # already inside its QuantLinear
    expected = {k for k, v in model.state_dict().items() if v.is_meta}
    if config.tie_embeddings:
        expected.discard("lm_head.weight")
    missing = sorted(expected - set(float_tensors))
    unexpected = sorted(set(float_tensors) - expected)
    wrong = sorted(k for k in expected & set(float_tensors)
                   if tuple(float_tensors[k].shape) != tuple(model.state_dict()[k].shape))
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing[:5]))
        if unexpected:
            parts.append("unexpected " + ", ".join(unexpected[:5]))
        if wrong:
            parts.append("wrong shape " + ", ".join(wrong[:5]))
        raise ValidationError("The weights do not fit this model configuration: " + "; ".join(parts) + ".")
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in float_tensors.items()},
                          strict=False, assign=True)
    if config.tie_embeddings and not head_tied_to_quantized:
        model.lm_head.weight = model.transformer.wte.weight
    left = [n for n, t in list(model.named_parameters()) + list(model.named_buffers()) if t.is_meta]
    if left:
        raise ValidationError(f"The weights leave {', '.join(left[:5])} unset.")
    for p in model.parameters():
        p.requires_grad_(False)
    return model.to(device).eval()
