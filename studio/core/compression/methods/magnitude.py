"""Magnitude pruning, the baseline every paper since 2022 compares against: zero the smallest |w|.

Unstructured: the `sparsity` smallest magnitudes of the whole matrix (one threshold per layer, as
locuslab/wanda's prune_magnitude). N:M: the N largest of every M consecutive inputs of each row stay. No
calibration and no weight update. (A global threshold over all layers is the pipeline's "global" scope,
prune.magnitude_masks.)
"""

from __future__ import annotations

import torch

from studio.core.compression.methods.base import LayerInput, Pattern, Pruner, check_pattern, nm_keep


class Magnitude(Pruner):
    name = "magnitude"
    explanation = "Zero the smallest weights (no calibration; the baseline)"

    def prune(self, weight: torch.Tensor, inputs: LayerInput | None, sparsity: float,
              pattern: Pattern = None) -> tuple[torch.Tensor, torch.Tensor]:
        w = weight.detach().float()
        if pattern is not None:
            check_pattern(pattern, w.shape[1])
            keep = nm_keep(w.abs(), pattern)
        else:
            flat = w.abs().reshape(-1)
            k = int(round(flat.numel() * sparsity))
            keep = torch.ones_like(flat, dtype=torch.bool)
            if k > 0:
                keep[torch.topk(flat, k, largest=False).indices] = False
            keep = keep.reshape(w.shape)
        return w * keep, keep


METHOD = Magnitude()
