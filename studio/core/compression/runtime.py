"""Quantized layers that run from their integer weights, and the choice of kernel.

Kernels (measured on the 2-core AVX2 build machine, torch 2.13.0 CPU; docs/benchmarks.md has the table):
- "dynamic": fbgemm/oneDNN's int8 x int8 GEMM (`torch.ops.quantized.linear_dynamic`) on the stored int8
  weights and scales; activations are quantized per call, per tensor. 1.2-3.3x faster than float32 at
  batch 1 and 3-10x at batch 8 here. CPU only, float32 activations. Its packed-weight API builds quantized
  tensors, which torch 2.13 marks deprecated: if it disappears, "auto" falls back with no error.
- "int8pack": `torch._weight_int8pack_mm`, weight-only int8 (exact activations). Present in 2.13 but 10-40x
  slower than float32 on this AVX2 CPU (its fast path needs AVX-512 or another backend), so not chosen by auto.
- "int4pack": `torch._weight_int4pack_mm_for_cpu` on weights converted at first use; slower than dequant here.
- "dequant": rebuild the float weight of one layer at each call and run F.linear (memory stays integer).

"auto" takes, for int8 on a CPU, "dynamic" when available, else "dequant"; for int4 and other devices
"dequant". A kernel that cannot run on the input (wrong device, dtype) falls back to "dequant" for that call.
"""

from __future__ import annotations

import logging
import warnings
from functools import cache

import torch
import torch.nn as nn
import torch.nn.functional as F

from studio.core.compression.packing import unpack_int4
from studio.core.compression.quantize import QuantizedMatrix
from studio.core.errors import ValidationError

log = logging.getLogger(__name__)

_DYNAMIC_ENGINES = ("x86", "fbgemm", "onednn", "qnnpack")


@cache
def dynamic_available() -> bool:
    """True when torch has the quantized int8 GEMM ops and a CPU engine for them."""
    try:
        ops = torch.ops.quantized
        _ = ops.linear_prepack, ops.linear_dynamic
        return torch.backends.quantized.engine in _DYNAMIC_ENGINES
    except (AttributeError, RuntimeError):
        return False


def int8pack_available() -> bool:
    return hasattr(torch, "_weight_int8pack_mm")


def int4pack_available() -> bool:
    return hasattr(torch, "_weight_int4pack_mm_for_cpu") and hasattr(torch, "_convert_weight_to_int4pack_for_cpu")


def resolve_kernel(kernel: str, bits: int, device: torch.device) -> str:
    """The concrete kernel for a layer of `bits` on `device`, given the recipe's choice."""
    cpu = device.type == "cpu"
    if kernel == "auto":
        return "dynamic" if bits == 8 and cpu and dynamic_available() else "dequant"
    usable = {
        "dynamic": bits == 8 and cpu and dynamic_available(),
        "int8pack": bits == 8 and int8pack_available() and device.type in ("cpu", "cuda", "mps"),
        "int4pack": bits == 4 and cpu and int4pack_available(),
        "dequant": True,
    }
    if not usable.get(kernel, False):
        log.info("kernel %s cannot run %d-bit weights on %s; using dequant", kernel, bits, device)
        return "dequant"
    return kernel


def _register(module: nn.Module, m: QuantizedMatrix) -> None:
    module.register_buffer("qweight", m.qweight)
    module.register_buffer("scales", m.scales)
    if m.mins is not None:
        module.register_buffer("mins", m.mins)
    else:
        module.mins = None
    if m.in_scales is not None:
        module.register_buffer("in_scales", m.in_scales)
    else:
        module.in_scales = None


class QuantEmbedding(nn.Module):
    """nn.Embedding over an int8/int4 table (buffers qweight, scales, mins): only looked-up rows are
    dequantized."""

    def __init__(self, m: QuantizedMatrix):
        super().__init__()
        self.bits, self.in_features, self.out_features = m.bits, m.in_features, m.out_features
        _register(self, m)

    def matrix(self) -> QuantizedMatrix:
        return QuantizedMatrix(self.bits, self.qweight, self.scales, self.mins)

    @property
    def weight(self) -> torch.Tensor:
        """The float table, rebuilt on each access (for code that reads an embedding's weight, e.g. its shape)."""
        return self.matrix().dequantize()

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        if self.bits == 8:
            return self.qweight[idx].float() * self.scales[idx].unsqueeze(-1)
        q = unpack_int4(self.qweight[idx])
        groups = self.scales.shape[1]
        shape = q.shape
        q = q.reshape(*shape[:-1], groups, shape[-1] // groups).float()
        y = q * self.scales[idx].float().unsqueeze(-1) + self.mins[idx].float().unsqueeze(-1)
        return y.reshape(shape)

    def extra_repr(self) -> str:
        return f"{self.out_features}, {self.in_features}, int{self.bits}"


class QuantLinear(nn.Module):
    """nn.Linear over an int8/int4 weight (buffers qweight, scales, mins; a float bias). A tied head
    (tied_to=the quantized token embedding) holds no buffers and reads the embedding's, as the float
    model's lm_head shares wte's weight; the state dict then has no lm_head entries, like model_tensors."""

    def __init__(self, m: QuantizedMatrix | None, bias: torch.Tensor | None, kernel: str = "auto",
                 tied_to: QuantEmbedding | None = None):
        super().__init__()
        if (m is None) == (tied_to is None):
            raise ValueError("give the matrix or the embedding it is tied to")
        if m is not None:
            _register(self, m)
        object.__setattr__(self, "_tied", tied_to)  # not a submodule: its tensors belong to the embedding
        src = m if m is not None else tied_to
        self.bits, self.in_features, self.out_features = src.bits, src.in_features, src.out_features
        self.bias = nn.Parameter(bias, requires_grad=False) if bias is not None else None
        self.kernel = kernel
        self._prepared: tuple | None = None  # (key, kernel, packed weight)
        # fbgemm (x86) needs the activations' range reduced by a bit to avoid overflow; the others do not
        self._reduce_range = torch.backends.quantized.engine in ("x86", "fbgemm")

    def _source(self) -> nn.Module:
        return self if self._tied is None else self._tied

    def matrix(self) -> QuantizedMatrix:
        src = self._source()
        return QuantizedMatrix(self.bits, src.qweight, src.scales, src.mins, src.in_scales)

    def _prepare(self, x: torch.Tensor) -> tuple[str, object]:
        src = self._source()
        key = (x.device, x.dtype, src.qweight.data_ptr())
        if self._prepared is not None and self._prepared[0] == key:
            return self._prepared[1], self._prepared[2]
        kernel = resolve_kernel(self.kernel, self.bits, x.device)
        packed: object = None
        if kernel == "dynamic" and x.dtype == torch.float32:
            packed = _prepack_dynamic(src.qweight, src.scales, self.bias)
            if packed is None:
                kernel = "dequant"
        elif kernel == "dynamic":
            kernel = "dequant"
        elif kernel == "int4pack":
            packed = _prepack_int4(src.qweight, src.scales, src.mins)
        elif kernel == "int8pack" and x.dtype not in (torch.float32, torch.bfloat16, torch.float16):
            kernel = "dequant"
        self._prepared = (key, kernel, packed)
        return kernel, packed

    @property
    def weight(self) -> torch.Tensor:
        """The float weight, rebuilt on each access (for code that reads a layer's weight, e.g. a family asking
        its output head for the vocabulary size); the forward never uses it."""
        return self.matrix().dequantize()

    @property
    def active_kernel(self) -> str | None:
        """The kernel used by the last call (None before the first)."""
        return None if self._prepared is None else self._prepared[1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        prepared = self._prepared
        src = self._source()
        if prepared is not None and prepared[0] == (x.device, x.dtype, src.qweight.data_ptr()):
            kernel, packed = prepared[1], prepared[2]
        else:
            kernel, packed = self._prepare(x)
        if src.in_scales is not None:  # AWQ: the integers encode W * s, so the input is divided by s
            x = x / src.in_scales.to(x.dtype)
        if kernel == "dynamic":  # the op takes any leading dimensions
            return torch.ops.quantized.linear_dynamic(x, packed, self._reduce_range)
        if kernel == "int8pack":
            shape = x.shape
            x2 = x.reshape(-1, shape[-1]).contiguous()
            y = torch._weight_int8pack_mm(x2, src.qweight, src.scales.to(x.dtype))
            if self.bias is not None:
                y = y + self.bias.to(x.dtype)
            return y.reshape(*shape[:-1], self.out_features)
        if kernel == "int4pack":
            shape = x.shape
            x2 = x.reshape(-1, shape[-1]).float().contiguous()
            weight, group, scales_zeros = packed
            y = torch._weight_int4pack_mm_for_cpu(x2, weight, group, scales_zeros)
            if self.bias is not None:
                y = y + self.bias
            return y.reshape(*shape[:-1], self.out_features).to(x.dtype)
        return F.linear(x, self.matrix().dequantize_scaled(x.dtype), None if self.bias is None else self.bias.to(x.dtype))

    def extra_repr(self) -> str:
        tied = ", tied to the embedding" if self._tied is not None else ""
        return f"in={self.in_features}, out={self.out_features}, int{self.bits}, kernel={self.kernel}{tied}"


def _prepack_dynamic(q: torch.Tensor, scales: torch.Tensor, bias: torch.Tensor | None) -> object | None:
    """fbgemm's packed weight from our int8 weight and per-row scales (the very same integers)."""
    try:
        with warnings.catch_warnings():
            # "quantized tensor creation functions ... are deprecated": the reason for the fallback below.
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            zeros = torch.zeros(q.shape[0], dtype=torch.long)
            qw = torch._make_per_channel_quantized_tensor(q.cpu(), scales.detach().cpu().double(), zeros, 0)
            return torch.ops.quantized.linear_prepack(qw, None if bias is None else bias.detach().float().cpu())
    except (AttributeError, RuntimeError) as error:
        log.warning("the dynamic int8 kernel is unavailable (%s); running int8 layers by dequantizing", error)
        return None


def _prepack_int4(packed: torch.Tensor, scales: torch.Tensor, mins: torch.Tensor) -> tuple:
    q = unpack_int4(packed).to(torch.int32)
    group = q.shape[1] // scales.shape[1]
    weight = torch._convert_weight_to_int4pack_for_cpu(q.cpu(), 1)
    s = scales.float()
    zeros = mins.float() + 8.0 * s  # tinygemm computes (q - 8) * scale + zero
    scales_zeros = torch.stack([s.t(), zeros.t()], dim=-1).contiguous()
    return weight, group, scales_zeros


def used_kernels(model: nn.Module) -> dict[str, int]:
    """How many quantized layers ran with each kernel in their last call."""
    out: dict[str, int] = {}
    for m in model.modules():
        if isinstance(m, QuantLinear) and m.active_kernel is not None:
            out[m.active_kernel] = out.get(m.active_kernel, 0) + 1
    return out


def check_kernel_choice(kernel: str, bits: int) -> None:
    """Refuse a kernel that can never run these weights (a clear message rather than a silent fallback)."""
    if kernel == "dynamic" and bits == 8 and not dynamic_available():
        raise ValidationError(
            "The dynamic int8 kernel needs torch's quantized CPU ops, which this torch build does not have; "
            "choose kernel auto or dequant.", field="kernel")
    if kernel == "int8pack" and not int8pack_available():
        raise ValidationError("This torch has no torch._weight_int8pack_mm; choose kernel auto or dequant.",
                              field="kernel")
    if kernel == "int4pack" and not int4pack_available():
        raise ValidationError("This torch has no CPU int4 matmul; choose kernel auto or dequant.", field="kernel")
