"""AWQ (Lin, Tang, Tang, Yang, Chen, Wang, Xiao, Dang, Gan, Han 2024, "AWQ: Activation-aware Weight
Quantization for LLM Compression and Acceleration", arXiv 2306.00978; reference mit-han-lab/llm-awq
awq/quantize/auto_scale.py and auto_clip.py).

Salient input channels (large mean |x|) are protected by scaling them up before rounding:
Q(W diag(s)) diag(s)^-1 X. As in the reference: s = mean|x|^a over a grid of a in [0, 1) (20 points), normalised
by sqrt(max s * min s), the a with the least output error on the calibration inputs wins; then each
(row, group) clips its range to the max |w| x (1 - i/20), i < 10, with the least error of that group's share
of the output. Differences, because the studio keeps one method for every family: the scale stays with the
layer (stored as `in_scales`, applied to the input at run time) instead of being folded into the preceding
norm or linear layer, so each layer gets its own s, and the error is the layer's own output error, computed
exactly from the Hessian of its inputs (LayerInput.output_error) rather than on a block's output; clipping is
searched for every layer (the reference skips query and key projections, which a family-neutral method
cannot name).
"""

from __future__ import annotations

import torch

from studio.core.compression.methods.base import LayerInput, Quantizer, QuantSpec
from studio.core.compression.quantize import QuantizedMatrix, quantize
from studio.core.errors import ValidationError

SCALE_GRID = 20
CLIP_GRID, CLIP_MAX_SHRINK = 20, 0.5


class AWQ(Quantizer):
    name = "awq"
    calibrated = True
    explanation = "Scale up the input channels that matter before rounding, search the clipping (needs calibration)"

    def quantize(self, weight: torch.Tensor, inputs: LayerInput | None, spec: QuantSpec,
                 keep: torch.Tensor | None = None) -> QuantizedMatrix:
        if inputs is None:
            raise ValidationError("AWQ needs calibration inputs.", field="calibration")
        W = weight.detach().float()
        if keep is not None:
            W = W * keep
        s = best_scales(W, inputs, spec)
        scaled = W * s[None, :]
        clipped = best_clip(scaled, s, inputs, spec)
        m = quantize(clipped, spec.bits, spec.group_size)
        return QuantizedMatrix(m.bits, m.qweight, m.scales, m.mins, s.float().contiguous())


def best_scales(W: torch.Tensor, inputs: LayerInput, spec: QuantSpec) -> torch.Tensor:
    """auto_scale's grid search of s = x_mean^ratio; ratio 0 (s = 1, plain RTN) is one of the candidates."""
    x_mean = inputs.abs_mean.float()
    best, best_s = float("inf"), torch.ones_like(x_mean)
    for k in range(SCALE_GRID):
        ratio = k / SCALE_GRID
        s = x_mean.pow(ratio).clamp(min=1e-4)
        s = s / (s.max() * s.min()).sqrt()
        w_eff = quantize(W * s[None, :], spec.bits, spec.group_size).dequantize() / s[None, :]
        loss = float(inputs.output_error(w_eff - W))
        if loss < best:
            best, best_s = loss, s
    return best_s


def best_clip(scaled: torch.Tensor, s: torch.Tensor, inputs: LayerInput, spec: QuantSpec) -> torch.Tensor:
    """auto_clip's search: per row and group, the clipping of |w| with the least error on that group's part of
    the output, (x_g / s_g) . (w_g - q_g) over the calibration tokens, from the Hessian's diagonal blocks."""
    rows, cols = scaled.shape
    gs = spec.group_size if spec.bits == 4 else cols
    G = cols // gs
    H = inputs.hessian.float() / (s[:, None] * s[None, :])  # the Hessian of the scaled inputs x / s
    blocks = torch.stack([H[g * gs:(g + 1) * gs, g * gs:(g + 1) * gs] for g in range(G)])  # (G, gs, gs)
    w = scaled.reshape(rows, G, gs)
    top = w.abs().amax(dim=-1, keepdim=True)
    best_err = torch.full((rows, G), float("inf"))
    best = w.clone()
    for i in range(int(CLIP_MAX_SHRINK * CLIP_GRID)):
        limit = top * (1 - i / CLIP_GRID)
        cur = torch.maximum(torch.minimum(w, limit), -limit)
        q = quantize(cur.reshape(rows, cols), spec.bits, spec.group_size).dequantize().reshape(rows, G, gs)
        d = w - q
        err = torch.einsum("rgi,gij,rgj->rg", d, blocks, d)
        better = err < best_err
        best_err = torch.where(better, err, best_err)
        best = torch.where(better[..., None], cur, best)
    return best.reshape(rows, cols)


METHOD = AWQ()
