"""Round to nearest (RTN): every weight to the nearest point of its row's (int8) or group's (int4) grid, with
no calibration. The baseline GPTQ and AWQ are measured against; quantize.py holds the grids."""

from __future__ import annotations

import torch

from studio.core.compression.methods.base import LayerInput, Quantizer, QuantSpec
from studio.core.compression.quantize import QuantizedMatrix, quantize


class RTN(Quantizer):
    name = "rtn"
    explanation = "Round every weight to the nearest level (no calibration; the baseline)"

    def quantize(self, weight: torch.Tensor, inputs: LayerInput | None, spec: QuantSpec,
                 keep: torch.Tensor | None = None) -> QuantizedMatrix:
        w = weight.detach().float()
        if keep is not None:
            w = w * keep
        return quantize(w, spec.bits, spec.group_size)


def fake_quantize(w: torch.Tensor, spec: QuantSpec) -> torch.Tensor:
    """quantize then dequantize: the float weight RTN would give."""
    return quantize(w, spec.bits, spec.group_size).dequantize()


METHOD = RTN()
