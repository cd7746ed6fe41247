"""Kernels: each one that exists in this torch computes what dequantizing would; torch's deprecated
quantize_dynamic degrades to a clear message when it is gone."""

import pytest
import torch

from studio.core.compression import dynamic, runtime
from studio.core.compression.load import load_model
from studio.core.compression.pipeline import compress
from studio.core.compression.quantize import quantize_int4, quantize_int8
from studio.core.compression.recipe import Recipe
from studio.core.compression.runtime import QuantLinear
from studio.core.errors import ValidationError


def _layer(bits: int, kernel: str) -> tuple[QuantLinear, torch.Tensor]:
    gen = torch.Generator().manual_seed(4)
    w, b = torch.randn(48, 64, generator=gen) * 0.1, torch.randn(48, generator=gen)
    m = quantize_int8(w) if bits == 8 else quantize_int4(w, 32)
    return QuantLinear(m, b, kernel), torch.randn(3, 5, 64, generator=gen)


@pytest.mark.parametrize("bits, kernel, available, tolerance", [
    (8, "int8pack", runtime.int8pack_available(), 1e-4),
    (8, "dynamic", runtime.dynamic_available(), 0.05),  # activations are quantized too
    (4, "int4pack", runtime.int4pack_available(), 1e-3),
])
def test_kernels_agree_with_dequantizing(bits, kernel, available, tolerance):
    layer, x = _layer(bits, kernel)
    reference = QuantLinear(layer.matrix(), layer.bias.detach().clone(), "dequant")
    with torch.no_grad():
        y, ref = layer(x), reference(x)
    assert y.shape == (3, 5, 48)
    assert layer.active_kernel == (kernel if available else "dequant")
    assert reference.active_kernel == "dequant"
    scale = ref.abs().max()
    assert float((y - ref).abs().max() / scale) < tolerance


def test_auto_takes_the_dynamic_kernel_for_int8_on_cpu_and_dequant_for_int4():
    assert runtime.resolve_kernel("auto", 8, torch.device("cpu")) == ("dynamic" if runtime.dynamic_available() else "dequant")
    assert runtime.resolve_kernel("auto", 4, torch.device("cpu")) == "dequant"
    assert runtime.resolve_kernel("int4pack", 8, torch.device("cpu")) == "dequant"  # cannot run: falls back


def test_a_model_reports_the_kernels_it_ran_with(trained):
    config, tensors = trained
    model = load_model(config, compress(config, tensors, Recipe(quant="int8", kernel="dequant")).tensors, kernel="dequant")
    with torch.no_grad():
        model(torch.zeros(1, 4, dtype=torch.long))
    assert runtime.used_kernels(model) == {"dequant": 4 * config.n_layer + 1}


def test_dynamic_int8_uses_torchs_quantize_dynamic_and_stores_its_integers(trained):
    config, tensors = trained
    result = compress(config, tensors, Recipe(quant="dynamic-int8"))
    q = result.tensors["transformer.h.0.mlp.c_fc.qweight"]
    scales = result.tensors["transformer.h.0.mlp.c_fc.scales"]
    assert q.dtype == torch.int8 and torch.all(scales == scales[0])  # one scale per matrix, as upstream
    assert result.tensors["transformer.wte.weight"].dtype == torch.float32  # upstream leaves embeddings alone


def test_dynamic_int8_degrades_to_a_clear_message_when_torch_drops_it(trained, monkeypatch):
    config, tensors = trained
    monkeypatch.setattr(dynamic, "_api", lambda: None)
    with pytest.raises(ValidationError, match="no longer provides. Choose int8 instead") as info:
        compress(config, tensors, Recipe(quant="dynamic-int8"))
    assert info.value.field == "quant"


def test_an_already_compressed_version_is_refused_before_any_work(trained):
    config, tensors = trained
    once = compress(config, tensors, Recipe(quant="int8"))
    with pytest.raises(ValidationError, match="already compressed"):
        compress(config, once.tensors, Recipe(quant="int4", group_size=32))
