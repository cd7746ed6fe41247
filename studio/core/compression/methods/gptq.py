"""GPTQ (Frantar, Ashkboos, Hoefler, Alistarh 2023, "GPTQ: Accurate Post-Training Quantization for Generative
Pre-trained Transformers", arXiv 2210.17323; reference IST-DASLab/gptq gptq.py fasterquant).

Columns are quantized one at a time, left to right in blocks of 128; each column's rounding error, scaled by
the Cholesky factor of the damped inverse Hessian (H = 2/n X^T X), is subtracted from the columns not yet
quantized (W[:, j:] -= err_j * Hinv[j, j:]), so later weights absorb it and the layer's output on the
calibration inputs moves far less than with round-to-nearest. As in the reference: dead inputs zeroed, 1%
damping, lazy block updates; act-order (--act-order) visits columns by decreasing H_jj.

Grids are the studio's own (quantize.py: int8 symmetric per row, int4 min/scale per group) so a GPTQ
matrix is stored and run exactly like an RTN one. int8's per-row scale is fixed from the start (the
reference's per-channel find_params); int4 groups take their grid when their first column is reached, from
the already updated weights of that group (the reference reads the group from W, which inside a 128-column
block lacks the block's own updates; the updated values are the ones being quantized). With act-order the
groups are static (the reference's --static-groups: each contiguous group's grid from the original weights),
so the stored groups stay contiguous and no column permutation has to be kept.
"""

from __future__ import annotations

import torch

from studio.core.compression.methods.base import LayerInput, Quantizer, QuantSpec, drop_dead, inverse_cholesky
from studio.core.compression.packing import pack_int4
from studio.core.compression.quantize import (
    QuantizedMatrix,
    encode_int4,
    encode_int8,
    int4_params,
    int8_scales,
)
from studio.core.errors import ValidationError

BLOCK = 128
PERCDAMP = 0.01


class GPTQ(Quantizer):
    name = "gptq"
    calibrated = True
    explanation = "Quantize column by column, later weights absorbing each error (needs calibration)"

    def quantize(self, weight: torch.Tensor, inputs: LayerInput | None, spec: QuantSpec,
                 keep: torch.Tensor | None = None) -> QuantizedMatrix:
        if inputs is None:
            raise ValidationError("GPTQ needs calibration inputs.", field="calibration")
        rows, cols = weight.shape
        gs = spec.group_size if spec.bits == 4 else cols
        if cols % gs or (spec.bits == 4 and BLOCK % gs):
            raise ValidationError(f"The int4 group size {gs} does not divide the width {cols}.", field="group_size")
        H, W = drop_dead(inputs.hessian, weight)
        if keep is not None:
            W = W * keep
        # grids known before the loop: int8's per row; int4's per group when static (act-order)
        scales8 = int8_scales(W) if spec.bits == 8 else None
        static = None
        if spec.bits == 4 and spec.act_order:
            static = int4_params(W.reshape(rows, cols // gs, gs))
        perm = torch.arange(cols)
        if spec.act_order:
            perm = torch.argsort(torch.diagonal(H), descending=True)
            W, H = W[:, perm], H[perm][:, perm]
        mask = None if keep is None else keep[:, perm]
        hinv = inverse_cholesky(H, PERCDAMP)
        codes = torch.zeros(rows, cols, dtype=torch.int16)
        group_scale = torch.zeros(rows, cols // gs, dtype=torch.float16)
        group_min = torch.zeros_like(group_scale)
        if static is not None:
            group_scale, group_min = static
        for i1 in range(0, cols, BLOCK):
            i2 = min(i1 + BLOCK, cols)
            W1 = W[:, i1:i2].clone()
            Err1 = torch.zeros_like(W1)
            Hinv1 = hinv[i1:i2, i1:i2]
            for i in range(i2 - i1):
                j = i1 + i  # position in visiting order; perm[j] is the column
                w = W1[:, i]
                if mask is not None:
                    w = torch.where(mask[:, j], w, torch.zeros_like(w))  # pruned weights aim at zero
                if spec.bits == 8:
                    c = encode_int8(w[:, None], scales8)[:, 0]
                    q = c.float() * scales8
                else:
                    g = int(perm[j]) // gs
                    if static is None and j % gs == 0:
                        group_scale[:, g], group_min[:, g] = int4_params(W1[:, i:i + gs])
                    c = encode_int4(w[:, None], group_scale[:, g], group_min[:, g])[:, 0]
                    q = c.float() * group_scale[:, g].float() + group_min[:, g].float()
                codes[:, perm[j]] = c.to(torch.int16)
                err = (W1[:, i] - q) / Hinv1[i, i]
                W1[:, i:] -= err.unsqueeze(1) @ Hinv1[i, i:].unsqueeze(0)
                Err1[:, i] = err
            W[:, i2:] -= Err1 @ hinv[i1:i2, i2:]
        if spec.bits == 8:
            return QuantizedMatrix(8, codes.to(torch.int8).contiguous(), scales8.contiguous())
        return QuantizedMatrix(4, pack_int4(codes.to(torch.uint8)), group_scale.contiguous(), group_min.contiguous())


METHOD = GPTQ()
