"""Weight quantization of single matrices (rows are output channels, as in nn.Linear and nn.Embedding).

- int8: symmetric, one float32 scale per row: q = round(w / s), s = max|w| / 127, q in -127..127. Zero stays
  zero, so an unstructured-pruned matrix keeps its sparsity.
- int4: asymmetric in groups of `group_size` along the row, the convention of torch's int4 kernels
  (tinygemm): per group min m and scale s = (max - m) / 15, q = round((w - m) / s) in 0..15, w ~ q * s + m.
  Scales and minimums are stored as float16 (0.5 bit per weight at g = 64) and q is computed from the
  float16-rounded values, so that dequantization reproduces exactly what the error was measured on.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from studio.core.compression.packing import pack_int4, unpack_int4
from studio.core.errors import ValidationError

_TINY = 1e-12


@dataclass(frozen=True)
class QuantizedMatrix:
    bits: int  # 8 or 4
    qweight: torch.Tensor  # int8 (out, in) | uint8 (out, in // 2), two values per byte
    scales: torch.Tensor  # float32 (out,) | float16 (out, in // group)
    mins: torch.Tensor | None = None  # int4: float16 (out, in // group)

    @property
    def group_size(self) -> int | None:
        return None if self.bits == 8 else self.in_features // self.scales.shape[1]

    @property
    def out_features(self) -> int:
        return self.qweight.shape[0]

    @property
    def in_features(self) -> int:
        return self.qweight.shape[1] * (2 if self.bits == 4 else 1)

    def dequantize(self, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        if self.bits == 8:
            return dequantize_int8(self.qweight, self.scales, dtype)
        assert self.mins is not None
        return dequantize_int4(self.qweight, self.scales, self.mins, dtype)

    def tensors(self, prefix: str) -> dict[str, torch.Tensor]:
        out = {f"{prefix}qweight": self.qweight, f"{prefix}scales": self.scales}
        if self.mins is not None:
            out[f"{prefix}mins"] = self.mins
        return out


def quantize_int8(w: torch.Tensor) -> QuantizedMatrix:
    if w.ndim != 2:
        raise ValidationError(f"int8 quantization takes matrices (got {w.ndim}-D).")
    w = w.detach().float()
    scale = (w.abs().amax(dim=1) / 127.0).clamp(min=_TINY)
    q = torch.round(w / scale[:, None]).clamp_(-127, 127).to(torch.int8)
    return QuantizedMatrix(8, q.contiguous(), scale.contiguous())


def dequantize_int8(q: torch.Tensor, scales: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return (q.to(dtype) * scales.to(dtype)[:, None]).contiguous()


def quantize_int4(w: torch.Tensor, group_size: int) -> QuantizedMatrix:
    if w.ndim != 2:
        raise ValidationError(f"int4 quantization takes matrices (got {w.ndim}-D).")
    out, cols = w.shape
    if cols % group_size or group_size % 2:
        raise ValidationError(f"The int4 group size {group_size} does not divide the width {cols}.", field="group_size")
    g = w.detach().float().reshape(out, cols // group_size, group_size)
    lo, hi = g.amin(dim=-1), g.amax(dim=-1)
    scale = ((hi - lo) / 15.0).clamp(min=1e-7).to(torch.float16)
    mins = lo.to(torch.float16)
    s32, m32 = scale.float()[..., None], mins.float()[..., None]
    q = torch.round((g - m32) / s32).clamp_(0, 15).to(torch.uint8).reshape(out, cols)
    return QuantizedMatrix(4, pack_int4(q), scale.contiguous(), mins.contiguous())


def dequantize_int4(packed: torch.Tensor, scales: torch.Tensor, mins: torch.Tensor,
                    dtype: torch.dtype = torch.float32) -> torch.Tensor:
    q = unpack_int4(packed)
    out, cols = q.shape
    groups = scales.shape[1]
    g = q.reshape(out, groups, cols // groups).to(dtype)
    return (g * scales.to(dtype)[..., None] + mins.to(dtype)[..., None]).reshape(out, cols)


def quantize(w: torch.Tensor, bits: int, group_size: int = 64) -> QuantizedMatrix:
    if bits == 8:
        return quantize_int8(w)
    if bits == 4:
        return quantize_int4(w, group_size)
    raise ValidationError(f"Only 8- and 4-bit weights are supported (got {bits}).")


def matrix_from_tensors(tensors: dict[str, torch.Tensor], prefix: str) -> QuantizedMatrix:
    """Read a QuantizedMatrix stored under `prefix` (e.g. "transformer.h.0.mlp.c_fc."); the bit width and
    group size follow from the dtypes and shapes, so the tensors describe themselves."""
    q, scales, mins = tensors[f"{prefix}qweight"], tensors[f"{prefix}scales"], tensors.get(f"{prefix}mins")
    if q.dtype == torch.int8 and q.ndim == 2 and scales.ndim == 1 and scales.shape[0] == q.shape[0] and mins is None:
        return QuantizedMatrix(8, q, scales.float())
    if (q.dtype == torch.uint8 and q.ndim == 2 and mins is not None and scales.ndim == 2
            and scales.shape == mins.shape and scales.shape[0] == q.shape[0]
            and (2 * q.shape[1]) % scales.shape[1] == 0):
        return QuantizedMatrix(4, q, scales, mins)
    raise ValidationError(
        f"The quantized weights {prefix}qweight ({q.dtype}, {tuple(q.shape)}) and their scales "
        f"({tuple(scales.shape)}) do not form an int8 or int4 matrix.")
