"""Wanda (Sun, Liu, Bair, Kolter 2023, "A Simple and Effective Pruning Approach for Large Language Models",
arXiv 2306.11695; reference locuslab/wanda lib/prune.py prune_wanda).

A weight's score is |W_ij| * ||X_j||_2, its magnitude times the norm of its input channel over the
calibration tokens; each output row keeps its own highest-scoring share (the comparison group is the row,
not the layer: the paper's point), so every row ends exactly at the sparsity. N:M: the N best of every M
consecutive inputs of each row. No weight update.
"""

from __future__ import annotations

import torch

from studio.core.compression.methods.base import LayerInput, Pattern, Pruner, check_pattern, nm_keep, row_keep
from studio.core.errors import ValidationError


class Wanda(Pruner):
    name = "wanda"
    calibrated = True
    explanation = "Weight magnitude times input activation norm, per output row (needs calibration; no update)"

    def prune(self, weight: torch.Tensor, inputs: LayerInput | None, sparsity: float,
              pattern: Pattern = None) -> tuple[torch.Tensor, torch.Tensor]:
        if inputs is None:
            raise ValidationError("Wanda needs calibration inputs.", field="calibration")
        w = weight.detach().float()
        score = w.abs() * torch.sqrt(inputs.sq_norm.clamp(min=0)).reshape(1, -1)
        if pattern is not None:
            check_pattern(pattern, w.shape[1])
            keep = nm_keep(score, pattern)
        else:
            keep = row_keep(score, sparsity)
        return w * keep, keep


METHOD = Wanda()
