"""ADMM pruning (Boža 2024, "Fast and Effective Weight Update for Pruned Large Language Models", TMLR,
arXiv 2401.02938; reference fmfi-compbio/admm-pruning lib/admm.py AdmmPruner.fasterprune, its default
"ADMM-Grad": percdamp 0.1, rho 1, 20 iterations, the mask chosen during the first 15).

The layer-wise problem of SparseGPT, min ||W X - W' X||^2 with W' zero outside a mask, solved for the mask's
optimum by the alternating direction method of multipliers instead of SparseGPT's one pass over the columns
(which updates only the columns to the right of a pruned one, so its weights fall short of the mask's
optimum: on the 4 x 256 benchmark models by about 4x in layer error, docs/benchmarks.md). In the coordinates
where every input has unit norm (W * ||X_j||, H / ||X_i|| ||X_j||): W' = (H + rho I)^-1 (H W + rho (Z - U)),
Z = mask * (W' + U), U += W' - Z. The mask is the largest |W' + U| (Wanda's score |W| ||X_j|| at the start)
of the layer, or the N largest of every M inputs of a row; while it is chosen, the N:M mask grows from the
pattern alone to the full sparsity on a cubic schedule, as in the reference.
"""

from __future__ import annotations

import torch

from studio.core.compression.methods.base import LayerInput, Pattern, Pruner, check_pattern, nm_keep
from studio.core.errors import ValidationError

PERCDAMP = 0.1
RHO = 1.0
ITERATIONS = 20
MASK_ITERATIONS = 15


def _layer_keep(score: torch.Tensor, sparsity: float) -> torch.Tensor:
    """Keep all but the int(numel x sparsity) lowest scores of the matrix (the reference's topk; by the k-th
    value, 4x faster than a topk of half the matrix, ties broken by position so exactly k go)."""
    flat = score.reshape(-1)
    k = int(flat.numel() * sparsity)
    if k <= 0:
        return torch.ones_like(score, dtype=torch.bool)
    threshold = torch.kthvalue(flat, k).values
    drop = flat < threshold
    ties = torch.nonzero(flat == threshold).flatten()[: k - int(drop.sum())]
    drop[ties] = True
    return (~drop).reshape(score.shape)


def _nm_grow_keep(score: torch.Tensor, pattern: tuple[int, int], sparsity: float) -> torch.Tensor:
    """The N:M keep-mask plus every other weight scoring above the `sparsity` quantile (the reference's
    schedule towards the pattern: at sparsity 1 - N/M it is the pattern alone)."""
    keep = nm_keep(score, pattern)
    rest = score.masked_fill(keep, torch.inf)
    k = int(score.numel() * sparsity)
    if k <= 0:
        return torch.ones_like(keep)
    threshold = torch.kthvalue(rest.reshape(-1), k + 1).values if k < rest.numel() else torch.inf
    return rest >= threshold


class ADMM(Pruner):
    name = "admm"
    calibrated = True
    explanation = ("Prune and solve for the best remaining weights (ADMM; needs calibration; "
                   "the closest to the original per layer)")

    def prune(self, weight: torch.Tensor, inputs: LayerInput | None, sparsity: float,
              pattern: Pattern = None) -> tuple[torch.Tensor, torch.Tensor]:
        if inputs is None:
            raise ValidationError("ADMM pruning needs calibration inputs.", field="calibration")
        rows, cols = weight.shape
        if pattern is not None:
            check_pattern(pattern, cols)
            sparsity = 1.0 - pattern[0] / pattern[1]
        H = inputs.hessian.double()
        norm = torch.diagonal(H).clamp(min=0).sqrt() + 1e-8
        XX = H / norm.reshape(-1, 1) / norm.reshape(1, -1)
        idx = torch.arange(cols)
        XX[idx, idx] += PERCDAMP * float(torch.diagonal(XX).mean())
        W = weight.detach().double() * norm.reshape(1, -1)  # (out, in): the reference's W transposed
        XY = W @ XX
        XX[idx, idx] += RHO
        # the inverse in float64, the iterations in float32 as the reference runs them
        inv, W, XY, norm = torch.linalg.inv(XX).float(), W.float(), XY.float(), norm.float()
        U = torch.zeros_like(W)
        keep = _layer_keep(W.abs(), sparsity) if pattern is None else nm_keep(W.abs(), pattern)
        for it in range(ITERATIONS):
            if it < MASK_ITERATIONS:
                score = (W + U).abs()
                if pattern is None:
                    keep = _layer_keep(score, sparsity)
                else:
                    current = sparsity - sparsity * (1 - (it + 1) / MASK_ITERATIONS) ** 3
                    keep = _nm_grow_keep(score, pattern, current)
            Z = (W + U) * keep
            U = U + (W - Z)
            W = (XY + RHO * (Z - U)) @ inv  # XX is symmetric: (XX^-1 (XY + ...)^T)^T
        Z = (W + U) * keep
        out = (Z / norm.reshape(1, -1)).float()
        return out * keep, keep


METHOD = ADMM()
