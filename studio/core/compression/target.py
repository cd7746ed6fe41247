"""What compression needs of a built model: its Linear layers that pruning and quantization may touch (by
module path, in forward order), and its logits for a batch of token ids.

These two calls are the family interface's `linear_layers` and `forward`; until every consumer builds models
through the families, the native GPT's answers are given here.
"""

from __future__ import annotations

import torch
from torch import nn

PROJECTIONS = ("attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj")


def linear_layers(model: nn.Module) -> dict[str, nn.Linear]:
    """The Linear layers inside the transformer blocks (embeddings, norms and the output head excluded)."""
    out: dict[str, nn.Linear] = {}
    for i, _ in enumerate(model.transformer.h):
        for p in PROJECTIONS:
            path = f"transformer.h.{i}.{p}"
            out[path] = model.get_submodule(path)
    return out


def logits(model: nn.Module, idx: torch.Tensor) -> torch.Tensor:
    """(B, T, vocab) logits of every position."""
    return model(idx)[0]
