"""The interface of a compression method: a function over one Linear layer's weight and what calibration saw
at that layer's input. The pipeline (pipeline.py, sequential.py) finds the layers through the model family,
captures their inputs (calibration.py) and calls the method layer by layer; a method never sees a model.

    pruner = pruner_named("sparsegpt")
    weight, keep = pruner.prune(layer.weight, inputs, sparsity=0.5, pattern=(2, 4))
    quantizer = quantizer_named("gptq")
    matrix = quantizer.quantize(layer.weight, inputs, QuantSpec(bits=4, group_size=128, act_order=True))

`LayerInput` holds what the published methods need of the inputs X (tokens x in_features): the Hessian
H = 2/n X^T X (GPTQ / SparseGPT; Wanda's ||X_j||^2 / n is diag(H) / 2) and the mean |x| per input channel
(AWQ's activation scale). Keeping H rather than X makes the memory per layer in^2 whatever the number of
calibration tokens, and lets AWQ's searches measure the output error exactly (||dW X^T||^2 = tr(dW H dW^T) n/2).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from studio.core.compression.quantize import QuantizedMatrix
from studio.core.errors import ValidationError

Pattern = tuple[int, int] | None  # N:M: keep N non-zeros in every M consecutive inputs of a row


@dataclass
class LayerInput:
    """Calibration statistics of one Linear layer's input, accumulated over batches as the references do."""

    hessian: torch.Tensor  # (in, in) float32: 2/n * sum of x x^T over the n calibration tokens
    abs_mean: torch.Tensor  # (in,) float32: mean |x| per input channel
    count: int = 0  # tokens seen

    @classmethod
    def empty(cls, columns: int) -> LayerInput:
        return cls(torch.zeros(columns, columns), torch.zeros(columns), 0)

    def add(self, x: torch.Tensor) -> None:
        """Add a batch of inputs (..., in). The running means follow IST-DASLab/gptq's add_batch (H scaled by
        n / (n + m) before adding 2/(n + m) X^T X), so any batching gives the same statistics."""
        x = x.detach().reshape(-1, x.shape[-1]).float()
        m = x.shape[0]
        if m == 0:
            return
        total = self.count + m
        self.hessian.mul_(self.count / total)
        xs = x * (2.0 / total) ** 0.5
        self.hessian.addmm_(xs.t(), xs)
        self.abs_mean.mul_(self.count / total).add_(x.abs().sum(dim=0), alpha=1.0 / total)
        self.count = total

    @property
    def sq_norm(self) -> torch.Tensor:
        """||X_j||^2 / n per input channel (Wanda's scaler_row)."""
        return torch.diagonal(self.hessian) / 2.0

    def output_error(self, delta: torch.Tensor) -> torch.Tensor:
        """Mean squared output error per token of a weight change `delta` (out, in): sum over rows of
        d H d^T / 2, i.e. ||delta X^T||^2 / n, computed from the Hessian alone."""
        d = delta.float()
        return ((d @ self.hessian) * d).sum() / 2.0


@dataclass(frozen=True)
class QuantSpec:
    bits: int  # 8 or 4
    group_size: int = 128  # int4: columns per scale (int8 has one scale per row)
    act_order: bool = False  # GPTQ: quantize columns by decreasing Hessian diagonal


class Pruner(ABC):
    name = ""
    calibrated = False  # needs LayerInput
    explanation = ""  # one line for the GUI and the CLI's help

    @abstractmethod
    def prune(self, weight: torch.Tensor, inputs: LayerInput | None, sparsity: float,
              pattern: Pattern = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(new weight, boolean keep-mask) for a weight (out, in). With a pattern, `sparsity` is 1 - N/M."""


class Quantizer(ABC):
    name = ""
    calibrated = False
    explanation = ""

    @abstractmethod
    def quantize(self, weight: torch.Tensor, inputs: LayerInput | None, spec: QuantSpec,
                 keep: torch.Tensor | None = None) -> QuantizedMatrix:
        """The quantized weight. `keep` (a pruning mask) marks weights that must stay pruned: a method that
        updates weights aims at zero there instead of the old value."""


# --- shared pieces ---------------------------------------------------------------------------------------

SMALL_LAYER = 1 << 22  # weights (out x in) up to which a method runs on one torch thread


@contextmanager
def layer_threads(weight: torch.Tensor) -> Iterator[None]:
    """One torch thread while a method works on a small layer. GPTQ's and SparseGPT's column loops (and AWQ's
    and Wanda's searches) are thousands of small ops; with a second thread each op waits for the pool: on the
    2-core machine 9-12x slower than one thread for 4 x 256 layers (docs/benchmarks.md). The count is global to
    torch, so it is restored right after; large layers keep torch's own setting."""
    before = torch.get_num_threads()
    if weight.numel() > SMALL_LAYER or before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def check_pattern(pattern: Pattern, columns: int) -> None:
    if pattern is None:
        return
    n, m = pattern
    if not (0 < n < m) or columns % m:
        raise ValidationError(f"The {n}:{m} pattern needs groups of {m} inputs; this layer has {columns}.",
                              field="pattern")


def nm_keep(score: torch.Tensor, pattern: tuple[int, int]) -> torch.Tensor:
    """Keep-mask with the N highest scores of every M consecutive columns of each row (ties: lower index)."""
    n, m = pattern
    rows, cols = score.shape
    groups = score.float().reshape(rows, cols // m, m)
    top = torch.topk(groups, n, dim=-1).indices
    keep = torch.zeros_like(groups, dtype=torch.bool)
    keep.scatter_(-1, top, True)
    return keep.reshape(rows, cols)


def row_keep(score: torch.Tensor, sparsity: float) -> torch.Tensor:
    """Keep-mask that removes the int(in * sparsity) lowest scores of every row (Wanda's per-output rule)."""
    rows, cols = score.shape
    k = int(cols * sparsity)
    keep = torch.ones_like(score, dtype=torch.bool)
    if k > 0:
        low = torch.sort(score.float(), dim=1, stable=True).indices[:, :k]
        keep.scatter_(1, low, False)
    return keep


def drop_dead(hessian: torch.Tensor, weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(H in float64, weight) with the reference's treatment of inputs that were always zero: H_jj = 1 and
    their weights 0 (nothing the calibration saw depends on them)."""
    H = hessian.clone().double()
    W = weight.detach().clone().float()
    dead = torch.diagonal(H) == 0
    H[dead, dead] = 1.0
    W[:, dead] = 0.0
    return H, W


def inverse_cholesky(H: torch.Tensor, percdamp: float = 0.01) -> torch.Tensor:
    """The upper Cholesky factor of (H + percdamp x mean(diag H) I)^-1, as GPTQ and SparseGPT use it. Where
    the damped H is still not positive definite (few or degenerate calibration tokens), the damping grows
    tenfold until it is, rather than failing the whole compression."""
    mean_diag = float(torch.diagonal(H).mean())
    idx = torch.arange(H.shape[0])
    damp = percdamp
    for _ in range(8):
        Hd = H.clone()
        Hd[idx, idx] += damp * mean_diag
        L, info = torch.linalg.cholesky_ex(Hd)
        if int(info) == 0:
            U, info = torch.linalg.cholesky_ex(torch.cholesky_inverse(L), upper=True)
            if int(info) == 0:
                return U.float()
        damp *= 10.0
    raise ValidationError("The calibration inputs of a layer are degenerate (its Hessian cannot be inverted); "
                          "calibrate on more or more varied text.", field="calibration")
