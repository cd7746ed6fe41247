"""What compression asks of a built model, through its family (models/family.py): the Linear layers that
pruning and quantization may touch (by module path, in forward order), logits for a batch of token ids, the
vocabulary and the context. Nothing here knows a family by name."""

from __future__ import annotations

import torch
from torch import nn

from studio.core.models.family import family_of


def linear_layers(model: nn.Module) -> dict[str, nn.Linear]:
    """The Linear layers inside the transformer blocks (embeddings, norms and the output head excluded)."""
    return family_of(model).linear_layers(model)


def logits(model: nn.Module, idx: torch.Tensor) -> torch.Tensor:
    """(B, T, vocab) logits of every position."""
    return family_of(model).forward(model, idx)[0]


def vocab_size(model: nn.Module) -> int:
    return family_of(model).vocab_size(model)


def context_length(model: nn.Module) -> int:
    return family_of(model).context_length(model)
