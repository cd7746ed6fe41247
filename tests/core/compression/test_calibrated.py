"""The calibrated methods' defining properties, on the small trained model's layers and their calibration
inputs: SparseGPT's and GPTQ's layer-wise reconstruction error below magnitude's / RTN's for every layer, ADMM's
at its mask's optimum and below SparseGPT's, AWQ never above RTN, Wanda keeping exactly its share of every row,
N:M masks exact; and the statistics and the block-by-block order they are computed in."""

import math

import pytest
import torch

from studio.core.compression import target
from studio.core.compression.calibration import (
    CalibrationSet,
    blocks,
    calibration_windows,
    capture,
    for_each_block,
    size_warnings,
)
from studio.core.compression.methods import pruner_named, quantizer_named
from studio.core.compression.methods.base import LayerInput, QuantSpec
from studio.core.compression.recipe import Recipe
from studio.core.errors import ValidationError
from studio.core.models.gpt import build_model


@pytest.fixture(scope="module")
def layer_inputs(trained, splits):
    """(layers by path, their LayerInput on 64 calibration windows of the original model)."""
    config, tensors = trained
    model = build_model(config, tensors).eval()
    layers = target.linear_layers(model)
    windows = calibration_windows(splits[0], 64, config.block_size)
    return layers, capture(model, lambda x: target.logits(model, x), layers, windows)


def _error(inputs: LayerInput, layer, weight) -> float:
    return float(inputs.output_error(weight - layer.weight.data))


def test_layer_input_is_the_references_hessian_whatever_the_batching():
    x = torch.randn(300, 16) @ torch.randn(16, 16)
    whole, parts = LayerInput.empty(16), LayerInput.empty(16)
    whole.add(x)
    for chunk in x.split(37):
        parts.add(chunk)
    expected = 2.0 / 300 * x.t() @ x
    assert torch.allclose(whole.hessian, expected, atol=1e-4) and torch.allclose(parts.hessian, expected, atol=1e-4)
    assert torch.allclose(parts.abs_mean, x.abs().mean(0), atol=1e-5) and parts.count == 300
    delta = torch.randn(5, 16)
    assert math.isclose(float(parts.output_error(delta)), float(((x @ delta.t()) ** 2).sum(1).mean()), rel_tol=1e-3)


@pytest.mark.parametrize("pattern", [None, (2, 4)], ids=["50%", "2:4"])
def test_sparsegpt_reconstructs_every_layer_better_than_magnitude(layer_inputs, pattern):
    layers, stats = layer_inputs
    for name, layer in layers.items():
        mag, _ = pruner_named("magnitude").prune(layer.weight.data, None, 0.5, pattern)
        sgpt, keep = pruner_named("sparsegpt").prune(layer.weight.data, stats[name], 0.5, pattern)
        assert int((sgpt == 0).sum()) >= layer.weight.numel() // 2 and torch.equal(sgpt != 0, keep & (sgpt != 0))
        assert _error(stats[name], layer, sgpt) < _error(stats[name], layer, mag), name


def _damped(inputs: LayerInput, damp: float) -> torch.Tensor:
    """H + damp x diag(H): ADMM's objective (damp x I where every input has unit norm)."""
    H = inputs.hessian.double()
    return H + damp * torch.diag(torch.diagonal(H))


def _best_for_mask(H: torch.Tensor, weight: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """The exact minimiser of tr(D H D^T), D = W' - W, with W' zero outside `keep`: per row, the kept weights
    absorb the pruned ones' contribution, w_S + H_SS^-1 H_SP w_P."""
    w = weight.double()
    out = torch.zeros_like(w)
    for r in range(w.shape[0]):
        S, P = keep[r], ~keep[r]
        out[r, S] = w[r, S] + torch.linalg.solve(H[S][:, S], H[S][:, P] @ w[r, P])
    return out.float()


def _cost(H: torch.Tensor, delta: torch.Tensor) -> float:
    d = delta.double()
    return float(((d @ H) * d).sum())


@pytest.mark.parametrize("pattern", [None, (2, 4)], ids=["50%", "2:4"])
def test_admm_solves_for_its_masks_best_weights_and_beats_sparsegpt_on_every_layer(layer_inputs, pattern):
    """SparseGPT spreads a pruned weight's error only over the columns right of it, so its weights fall short of
    what its own mask allows; ADMM solves for that optimum (of the damped layer-wise problem)."""
    from studio.core.compression.methods.admm import PERCDAMP

    layers, stats = layer_inputs
    for name, layer in layers.items():
        w = layer.weight.data
        admm, keep = pruner_named("admm").prune(w, stats[name], 0.5, pattern)
        assert torch.equal(admm[~keep], torch.zeros(int((~keep).sum()))), name
        if pattern is None:
            assert int((~keep).sum()) == w.numel() // 2, name  # 50% of the layer, one threshold for the matrix
        H = _damped(stats[name], PERCDAMP)
        assert _cost(H, admm - w) <= 1.02 * _cost(H, _best_for_mask(H, w, keep) - w), name
        sgpt, sgpt_keep = pruner_named("sparsegpt").prune(w, stats[name], 0.5, pattern)
        assert _error(stats[name], layer, admm) < 0.6 * _error(stats[name], layer, sgpt), name
        # SparseGPT's own mask allows less error than SparseGPT's one pass over the columns leaves
        H = _damped(stats[name], 0.01)
        assert _cost(H, _best_for_mask(H, w, sgpt_keep) - w) < 0.5 * _cost(H, sgpt - w), name


@pytest.mark.parametrize("bits, group, act_order", [(4, 32, False), (4, 64, True), (8, 0, False)],
                         ids=["int4-g32", "int4-g64-act-order", "int8"])
def test_gptq_reconstructs_every_layer_better_than_rtn_and_awq_never_worse(layer_inputs, bits, group, act_order):
    layers, stats = layer_inputs
    spec = QuantSpec(bits, group or 128, act_order)
    for name, layer in layers.items():
        rtn = quantizer_named("rtn").quantize(layer.weight.data, None, spec).dequantize()
        gptq = quantizer_named("gptq").quantize(layer.weight.data, stats[name], spec)
        assert gptq.bits == bits and gptq.qweight.shape == rtn_shape(layer, bits)
        assert _error(stats[name], layer, gptq.dequantize()) < _error(stats[name], layer, rtn), name
        awq = quantizer_named("awq").quantize(layer.weight.data, stats[name], spec)
        assert awq.in_scales is not None and bool((awq.in_scales > 0).all())
        assert _error(stats[name], layer, awq.dequantize()) <= _error(stats[name], layer, rtn) * (1 + 1e-5), name


def rtn_shape(layer, bits):
    rows, cols = layer.weight.shape
    return (rows, cols) if bits == 8 else (rows, cols // 2)


def test_wanda_keeps_exactly_its_share_of_every_row(layer_inputs):
    layers, stats = layer_inputs
    for name, layer in layers.items():
        cols = layer.weight.shape[1]
        for sparsity in (0.5, 0.3):
            _, keep = pruner_named("wanda").prune(layer.weight.data, stats[name], sparsity)
            assert (keep.sum(dim=1) == cols - int(cols * sparsity)).all(), name
    # The activation norm matters: an input channel with 10x the norm keeps its weights.
    w = torch.full((4, 8), 0.5)
    w[:, 0] = 0.1
    inputs = LayerInput.empty(8)
    x = torch.ones(16, 8)
    x[:, 0] = 10.0
    inputs.add(x)
    _, keep = pruner_named("wanda").prune(w, inputs, 0.5)
    assert keep[:, 0].all()
    _, keep = pruner_named("magnitude").prune(w, None, 0.5)
    assert not keep[:, 0].any()


@pytest.mark.parametrize("method", ["magnitude", "wanda", "sparsegpt", "admm"])
@pytest.mark.parametrize("pattern", [(2, 4), (4, 8)], ids=["2:4", "4:8"])
def test_n_m_masks_keep_exactly_n_in_every_group_of_m(layer_inputs, method, pattern):
    layers, stats = layer_inputs
    n, m = pattern
    for name, layer in layers.items():
        weight, keep = pruner_named(method).prune(layer.weight.data, stats[name], 1 - n / m, pattern)
        rows, cols = weight.shape
        assert (keep.reshape(rows, cols // m, m).sum(-1) == n).all(), name
        assert ((weight != 0).reshape(rows, cols // m, m).sum(-1) <= n).all() and torch.equal(weight[~keep],
                                                                                           torch.zeros(int((~keep).sum())))


def test_layers_that_share_an_input_share_its_statistics():
    lin_a, lin_b, lin_c = torch.nn.Linear(8, 4), torch.nn.Linear(8, 4), torch.nn.Linear(4, 2)
    model = torch.nn.Module()
    model.a, model.b, model.c = lin_a, lin_b, lin_c

    def forward(idx):
        x = torch.nn.functional.one_hot(idx, 8).float()
        return lin_c(lin_a(x) + lin_b(x))

    stats = capture(model, forward, {"a": lin_a, "b": lin_b, "c": lin_c}, torch.randint(0, 8, (20, 5)))
    assert stats["a"] is stats["b"] and stats["a"].count == 100 and stats["c"].count == 100


def test_blocks_are_compressed_in_order_on_the_compressed_earlier_blocks(trained, splits):
    config, tensors = trained
    model = build_model(config, tensors).eval()
    layers = target.linear_layers(model)
    assert [b for b, _ in blocks(layers)] == ["transformer.h.0", "transformer.h.1"]
    windows = calibration_windows(splits[0], 16, config.block_size)
    seen: dict[str, LayerInput] = {}

    def apply(name, layer, inputs):
        seen[name] = inputs
        layer.weight.data.zero_()  # what the later block must see

    for_each_block(model, lambda x: target.logits(model, x), layers, windows, apply)
    assert list(seen) == list(layers)
    # block 1's inputs are those of a model whose block 0 projections are zero
    again = build_model(config, tensors).eval()
    again_layers = target.linear_layers(again)
    for name in list(again_layers)[:4]:
        again_layers[name].weight.data.zero_()
    expected = capture(again, lambda x: target.logits(again, x), {"transformer.h.1.attn.c_attn":
                       again_layers["transformer.h.1.attn.c_attn"]}, windows)
    assert torch.allclose(seen["transformer.h.1.attn.c_attn"].hessian,
                          expected["transformer.h.1.attn.c_attn"].hessian, atol=1e-5)


def test_calibration_windows_and_warnings(splits):
    w = calibration_windows(splits[0], 32, 16, seed=1)
    assert w.shape == (32, 16) and w.dtype == torch.int64
    assert torch.equal(w, calibration_windows(splits[0], 32, 16, seed=1))
    with pytest.raises(ValidationError, match="fewer than one window"):
        calibration_windows(splits[1], 4, 5000)
    assert any("small" in m for m in size_warnings(20000, 8, 32))
    assert any("overlap" in m for m in size_warnings(1000, 128, 32))
    assert size_warnings(10**6, 128, 128) == []
    assert CalibrationSet(w, "d", "train").describe()["tokens"] == 512


def test_recipe_checks_method_combinations():
    assert Recipe(sparsity=0.5, method="sparsegpt", pattern="2:4").validate().label() == "sparsegpt 2:4"
    assert Recipe(quant="int4", group_size=128, quant_method="gptq", act_order=True).label() == "gptq int4-g128 act-order"
    assert Recipe(sparsity=0.5, method="wanda").needs_calibration and not Recipe(quant="int8").needs_calibration
    assert Recipe(sparsity=0.5, method="admm", pattern="2:4").validate().needs_calibration
    bad = [(Recipe(sparsity=0.3, pattern="2:4"), "sparsity"), (Recipe(sparsity=0.5, structured=True, method="wanda"), "method"),
           (Recipe(sparsity=0.5, method="wanda", scope="global"), "scope"), (Recipe(quant="dynamic-int8", quant_method="gptq"), "quant_method"),
           (Recipe(quant="int8", act_order=True), "act_order"), (Recipe(quant="int8", calib_samples=0), "calib_samples")]
    for recipe, field in bad:
        with pytest.raises(ValidationError) as info:
            recipe.validate()
        assert info.value.field == field, recipe
    assert Recipe.from_dict({"sparsity": 0.5}).method == "magnitude"  # recipes stored before these fields



def test_methods_run_small_layers_on_one_thread_and_restore_the_count(trained, splits, monkeypatch):
    from studio.core.compression.methods import base
    from studio.core.compression.methods.sparsegpt import SparseGPT
    from studio.core.compression.pipeline import compress

    seen: list[int] = []
    real = SparseGPT.prune

    def recording(self, *args, **kwargs):
        seen.append(torch.get_num_threads())
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SparseGPT, "prune", recording)
    config, tensors = trained
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        calib = CalibrationSet(calibration_windows(splits[0], 8, config.block_size), "t", "train")
        compress(config, tensors, Recipe(sparsity=0.5, method="sparsegpt"), calibration=calib)
        assert seen and set(seen) == {1} and torch.get_num_threads() == 2  # pinned per layer, then restored
        with base.layer_threads(torch.empty(base.SMALL_LAYER + 1, 1)):
            assert torch.get_num_threads() == 2  # a large layer keeps torch's setting
        with pytest.raises(RuntimeError), base.layer_threads(torch.empty(4, 4)):
            raise RuntimeError  # an error inside a method still restores the count
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
