"""Bit-level storage: two int4 values per byte, and a bitmap of non-zeros for pruned matrices.

int4 layout: along the last axis, element 2i goes to the low nibble and element 2i+1 to the high nibble of
byte i (the order torch's and GGML's CPU kernels use). Values are unsigned 0..15 (the quantizer stores
q = round((w - min) / scale)), so packing is a pure bit operation and round-trips exactly.

Sparse layout (pruned weights): `mask` holds one bit per element, numpy's `packbits` order (big-endian within
a byte), over the tensor flattened in C order; `values` holds the non-zero elements in the same order.
A matrix pruned to sparsity s then costs n/8 + (1 - s) * n * itemsize bytes instead of n * itemsize.
"""

from __future__ import annotations

import numpy as np
import torch

from studio.core.errors import ValidationError


def pack_int4(q: torch.Tensor) -> torch.Tensor:
    """uint8 values 0..15 of shape (..., k) with k even -> uint8 (..., k // 2)."""
    if q.shape[-1] % 2:
        raise ValidationError(f"int4 packing needs an even number of columns (got {q.shape[-1]}).")
    q = q.to(torch.uint8)
    if q.numel() and int(q.max()) > 15:
        raise ValidationError("int4 values must be between 0 and 15.")
    return (q[..., 0::2] | (q[..., 1::2] << 4)).contiguous()


def unpack_int4(packed: torch.Tensor) -> torch.Tensor:
    """The inverse of pack_int4: uint8 (..., k // 2) -> uint8 values 0..15 of shape (..., k)."""
    if packed.dtype != torch.uint8:
        raise ValidationError(f"Packed int4 weights must be uint8 (got {packed.dtype}).")
    low = packed & 0x0F
    high = packed >> 4
    return torch.stack((low, high), dim=-1).reshape(*packed.shape[:-1], packed.shape[-1] * 2)


def sparse_bytes(t: torch.Tensor) -> int:
    """Bytes the sparse layout of `t` would take."""
    nnz = int(torch.count_nonzero(t))
    return (t.numel() + 7) // 8 + nnz * t.element_size()


def encode_sparse(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(mask bits as uint8, non-zero values in C order) of `t`."""
    flat = t.detach().contiguous().reshape(-1)
    nz = flat != 0
    bits = np.packbits(nz.cpu().numpy())
    return torch.from_numpy(bits), flat[nz].clone()


def decode_sparse(bits: torch.Tensor, values: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """Rebuild the dense tensor from encode_sparse's parts; refuses parts that do not fit together."""
    n = int(np.prod(shape)) if shape else 1
    if bits.dtype != torch.uint8 or bits.ndim != 1 or bits.numel() != (n + 7) // 8:
        raise ValidationError(f"A sparse tensor's mask has {bits.numel()} bytes; {(n + 7) // 8} were expected.")
    nz = torch.from_numpy(np.unpackbits(bits.cpu().numpy(), count=n).astype(bool))
    if int(nz.sum()) != values.numel():
        raise ValidationError(
            f"A sparse tensor's mask marks {int(nz.sum())} non-zeros but it holds {values.numel()} values.")
    out = torch.zeros(n, dtype=values.dtype)
    out[nz] = values.reshape(-1)
    return out.reshape(shape)
