"""PyTorch's dynamic int8 quantization (torch.ao.quantization.quantize_dynamic) of the blocks' Linear layers.

Upstream deprecated torch.ao.quantization (it warns on import in 2.13 and announces its removal in favour of
torchao). Everything that touches it is in this module: when it is gone, `available()` is False and the
method gives a clear message instead of an ImportError. The result is not kept as torch's quantized modules
(they cannot be saved without pickle): their int8 weights and scales are read out into the studio's own
int8 layout, which runs through the same fbgemm kernel (runtime.py, kernel "dynamic").
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
import torch.nn as nn

from studio.core.compression.quantize import QuantizedMatrix
from studio.core.errors import ValidationError

REMOVED_MESSAGE = (
    "Dynamic int8 quantization needs torch.ao.quantization.quantize_dynamic, which this PyTorch ({version}) no "
    "longer provides. Choose int8 instead: it stores the same kind of weights and runs them with the same "
    "int8 kernel where one exists."
)


def _api() -> tuple[Any, Any] | None:
    """(quantize_dynamic, the dynamic Linear class), or None when torch no longer has them."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the deprecation notice is the reason this module exists
            from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear
            from torch.ao.quantization import quantize_dynamic
    except ImportError:
        return None
    return quantize_dynamic, DynamicLinear


def available() -> bool:
    return _api() is not None


def require() -> None:
    if not available():
        raise ValidationError(REMOVED_MESSAGE.format(version=torch.__version__), field="quant")


def dynamic_int8_matrices(layers: dict[str, nn.Linear]) -> dict[str, QuantizedMatrix]:
    """quantize_dynamic's int8 weight (per tensor, symmetric) of each Linear layer, as the studio's int8 layout
    (one scale per row, all equal); embeddings, norms and the head stay float, as upstream leaves them."""
    api = _api()
    if api is None:
        raise ValidationError(REMOVED_MESSAGE.format(version=torch.__version__), field="quant")
    quantize_dynamic, dynamic_linear = api
    out = {}
    for path, layer in layers.items():
        probe = nn.Linear(layer.in_features, layer.out_features, bias=False)
        with torch.no_grad():
            probe.weight.copy_(layer.weight.detach().float())
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wrapped = quantize_dynamic(nn.Sequential(probe), {nn.Linear}, dtype=torch.qint8)
        except (RuntimeError, AttributeError) as error:  # an engine missing from this build
            raise ValidationError(f"PyTorch's dynamic int8 quantization failed here: {error}. Choose int8 instead.",
                                  field="quant") from error
        module = wrapped[0]
        if not isinstance(module, dynamic_linear):
            raise ValidationError("quantize_dynamic left a Linear layer unquantized.", field="quant")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w, _ = module._packed_params._weight_bias()
        if w.qscheme() not in (torch.per_tensor_symmetric, torch.per_tensor_affine) or w.q_zero_point() != 0:
            raise ValidationError("quantize_dynamic returned weights with a zero point; they cannot be stored.")
        q = w.int_repr().contiguous()
        out[path] = QuantizedMatrix(8, q, torch.full((q.shape[0],), float(w.q_scale()), dtype=torch.float32))
        layer.weight.data.copy_(out[path].dequantize())
    return out
