"""Weight quantization of single matrices (rows are output channels, as in nn.Linear and nn.Embedding).

- int8: symmetric, one float32 scale per row: q = round(w / s), s = max|w| / 127, q in -127..127. Zero stays
  zero, so an unstructured-pruned matrix keeps its sparsity.
- int4: asymmetric in groups of `group_size` along the row, the convention of torch's int4 kernels
  (tinygemm): per group min m and scale s = (max - m) / 15, q = round((w - m) / s) in 0..15, w ~ q * s + m.
  Scales and minimums are stored as float16 (0.5 bit per weight at g = 64) and q is computed from the
  float16-rounded values, so that dequantization reproduces exactly what the error was measured on.
- Either may carry `in_scales` (AWQ, float32 per input column): the integers encode W * in_scales, so the
  layer's weight is dequantize(q) / in_scales and a kernel runs it as y = Q (x / in_scales). AWQ's
  reference folds that division into the previous operator; keeping it in the layer works for every family.

`int8_scales` / `int4_params` pick a grid from a matrix and `encode_int8` / `encode_int4` put values on a
given grid: RTN uses them directly, GPTQ and AWQ (methods/) choose the values or the grid differently and
store through the same two functions, so every method's result is the same kind of QuantizedMatrix.
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
    in_scales: torch.Tensor | None = None  # AWQ: float32 (in,); the integers encode weight * in_scales

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
        """The layer's float weight (in_scales divided out)."""
        w = self.dequantize_scaled(dtype)
        if self.in_scales is not None:
            w = w / self.in_scales.to(dtype)[None, :]
        return w

    def dequantize_scaled(self, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """What the integers encode (weight * in_scales for AWQ, the weight itself otherwise)."""
        if self.bits == 8:
            return dequantize_int8(self.qweight, self.scales, dtype)
        assert self.mins is not None
        return dequantize_int4(self.qweight, self.scales, self.mins, dtype)

    def tensors(self, prefix: str) -> dict[str, torch.Tensor]:
        out = {f"{prefix}qweight": self.qweight, f"{prefix}scales": self.scales}
        if self.mins is not None:
            out[f"{prefix}mins"] = self.mins
        if self.in_scales is not None:
            out[f"{prefix}in_scales"] = self.in_scales
        return out


def int8_scales(w: torch.Tensor) -> torch.Tensor:
    """The int8 grid of a matrix: one float32 scale per row, max|w| / 127."""
    return (w.detach().float().abs().amax(dim=1) / 127.0).clamp(min=_TINY)


def encode_int8(w: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
    """int8 codes of `w` (out, k) on the grid of per-row `scales` (out,)."""
    return torch.round(w.float() / scales[:, None]).clamp_(-127, 127).to(torch.int8)


def quantize_int8(w: torch.Tensor) -> QuantizedMatrix:
    if w.ndim != 2:
        raise ValidationError(f"int8 quantization takes matrices (got {w.ndim}-D).")
    w = w.detach().float()
    scale = int8_scales(w)
    return QuantizedMatrix(8, encode_int8(w, scale).contiguous(), scale.contiguous())


def int4_params(g: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The int4 grid of groups `g` (..., group): float16 scale (max - min) / 15 and float16 min per group."""
    g = g.detach().float()
    lo, hi = g.amin(dim=-1), g.amax(dim=-1)
    return ((hi - lo) / 15.0).clamp(min=1e-7).to(torch.float16), lo.to(torch.float16)


def encode_int4(g: torch.Tensor, scale: torch.Tensor, mins: torch.Tensor) -> torch.Tensor:
    """Unsigned int4 codes (uint8 0..15) of `g` (..., n) on per-row grids scale, mins (..., ) broadcast over n."""
    s32, m32 = scale.float()[..., None], mins.float()[..., None]
    return torch.round((g.float() - m32) / s32).clamp_(0, 15).to(torch.uint8)


def dequantize_int8(q: torch.Tensor, scales: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return (q.to(dtype) * scales.to(dtype)[:, None]).contiguous()


def quantize_int4(w: torch.Tensor, group_size: int) -> QuantizedMatrix:
    if w.ndim != 2:
        raise ValidationError(f"int4 quantization takes matrices (got {w.ndim}-D).")
    out, cols = w.shape
    if cols % group_size or group_size % 2:
        raise ValidationError(f"The int4 group size {group_size} does not divide the width {cols}.", field="group_size")
    g = w.detach().float().reshape(out, cols // group_size, group_size)
    scale, mins = int4_params(g)
    q = encode_int4(g, scale, mins).reshape(out, cols)
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
    in_scales = tensors.get(f"{prefix}in_scales")
    matrix = None
    if q.dtype == torch.int8 and q.ndim == 2 and scales.ndim == 1 and scales.shape[0] == q.shape[0] and mins is None:
        matrix = QuantizedMatrix(8, q, scales.float())
    elif (q.dtype == torch.uint8 and q.ndim == 2 and mins is not None and scales.ndim == 2
            and scales.shape == mins.shape and scales.shape[0] == q.shape[0]
            and (2 * q.shape[1]) % scales.shape[1] == 0):
        matrix = QuantizedMatrix(4, q, scales, mins)
    if matrix is not None and in_scales is not None:
        if in_scales.ndim != 1 or in_scales.shape[0] != matrix.in_features or not bool((in_scales > 0).all()):
            raise ValidationError(f"The input scales {prefix}in_scales ({tuple(in_scales.shape)}) do not fit a "
                                  f"matrix of {matrix.in_features} columns, or are not all positive.")
        matrix = QuantizedMatrix(matrix.bits, matrix.qweight, matrix.scales, matrix.mins, in_scales.float())
    if matrix is not None:
        return matrix
    raise ValidationError(
        f"The quantized weights {prefix}qweight ({q.dtype}, {tuple(q.shape)}) and their scales "
        f"({tuple(scales.shape)}) do not form an int8 or int4 matrix.")
