"""SparseGPT (Frantar, Alistarh 2023, "SparseGPT: Massive Language Models Can Be Accurately Pruned in
One-Shot", arXiv 2301.00774; reference IST-DASLab/sparsegpt sparsegpt.py fasterprune).

An approximate Optimal Brain Surgeon over the layer-wise problem min ||W X - W' X||^2: columns are visited
left to right in blocks of 128; in each block the mask is chosen by w^2 / [H^-1]_jj^2 (the OBS saliency with
the Cholesky factor of the damped inverse Hessian), and every pruned weight's error is spread over the
columns not yet visited (W[:, j:] -= err_j * Hinv[j, j:]), so the remaining weights compensate. N:M chooses
N to keep among every M columns of each row at the first column of the group, with the updated weights.
One deviation from the reference: unstructured blocks prune exactly round(block x sparsity) weights (the
reference's `<= threshold` prunes one more and any ties).
"""

from __future__ import annotations

import torch

from studio.core.compression.methods.base import (
    LayerInput,
    Pattern,
    Pruner,
    check_pattern,
    drop_dead,
    inverse_cholesky,
)
from studio.core.errors import ValidationError

BLOCK = 128
PERCDAMP = 0.01


class SparseGPT(Pruner):
    name = "sparsegpt"
    calibrated = True
    explanation = "Prune with second-order updates: the remaining weights compensate (needs calibration; slower)"

    def prune(self, weight: torch.Tensor, inputs: LayerInput | None, sparsity: float,
              pattern: Pattern = None) -> tuple[torch.Tensor, torch.Tensor]:
        if inputs is None:
            raise ValidationError("SparseGPT needs calibration inputs.", field="calibration")
        rows, cols = weight.shape
        if pattern is not None:
            check_pattern(pattern, cols)
        H, W = drop_dead(inputs.hessian, weight)
        hinv = inverse_cholesky(H, PERCDAMP)
        keep_all = torch.ones(rows, cols, dtype=torch.bool)
        for i1 in range(0, cols, BLOCK):
            i2 = min(i1 + BLOCK, cols)
            count = i2 - i1
            W1 = W[:, i1:i2].clone()
            Q1 = torch.zeros_like(W1)
            Err1 = torch.zeros_like(W1)
            Hinv1 = hinv[i1:i2, i1:i2]
            d = torch.diagonal(Hinv1)
            if pattern is None:
                saliency = W1 ** 2 / d.reshape(1, -1) ** 2
                k = int(round(saliency.numel() * sparsity))
                prune1 = torch.zeros_like(W1, dtype=torch.bool)
                if k > 0:
                    prune1.view(-1)[torch.topk(saliency.reshape(-1), k, largest=False).indices] = True
            else:
                prune1 = torch.zeros_like(W1, dtype=torch.bool)
            for i in range(count):
                if pattern is not None and i % pattern[1] == 0:
                    n, m = pattern
                    saliency = W1[:, i:i + m] ** 2 / d[i:i + m].reshape(1, -1) ** 2
                    drop = torch.topk(saliency, m - n, dim=1, largest=False).indices
                    prune1.scatter_(1, i + drop, True)
                w = W1[:, i]
                q = w.clone()
                q[prune1[:, i]] = 0
                Q1[:, i] = q
                err = (w - q) / Hinv1[i, i]
                W1[:, i:] -= err.unsqueeze(1) @ Hinv1[i, i:].unsqueeze(0)
                Err1[:, i] = err
            W[:, i1:i2] = Q1
            keep_all[:, i1:i2] = ~prune1
            W[:, i2:] -= Err1 @ hinv[i1:i2, i2:]
        W = W * keep_all  # exact zeros (float round-off of the updates never resurrects a pruned weight)
        return W, keep_all


METHOD = SparseGPT()
