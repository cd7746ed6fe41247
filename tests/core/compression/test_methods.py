"""Every method on a small trained model: the size changes as expected, the model still generates and
predicts about as well, and the result round-trips through a safetensors file exactly."""

import math

import pytest
import torch

from studio.core.compression import storage
from studio.core.compression.evaluate import perplexity
from studio.core.compression.load import load_model
from studio.core.compression.pipeline import compress
from studio.core.compression.recipe import Recipe
from studio.core.compression.runtime import QuantEmbedding, QuantLinear
from studio.core.models.generate import SamplingConfig, generate
from studio.core.models.gpt import build_model

# (recipe, largest size ratio against float32, largest perplexity increase)
CASES = [
    (Recipe(quant="int8"), 0.30, 0.02),
    (Recipe(quant="int4", group_size=32), 0.19, 0.15),
    (Recipe(quant="dynamic-int8"), 0.40, 0.05),
    (Recipe(sparsity=0.5, quant="int8"), 0.22, 0.60),
    (Recipe(sparsity=0.5), 0.70, 0.60),
    (Recipe(sparsity=0.3, scope="global"), 0.85, 0.30),
    (Recipe(sparsity=0.25, structured=True), 0.82, 1.50),
]


@pytest.fixture(scope="module")
def baseline(trained, splits):
    config, tensors = trained
    model = build_model(config, tensors).eval()
    return storage.serialized_size(tensors, None), math.exp(perplexity(model, splits[1])[0])


@pytest.mark.parametrize("recipe, max_ratio, max_ppl_rise", CASES, ids=[c[0].label() for c in CASES])
def test_method_shrinks_generates_and_round_trips(recipe, max_ratio, max_ppl_rise, trained, splits, baseline, codec):
    config, tensors = trained
    base_size, base_ppl = baseline
    result = compress(config, tensors, recipe)
    blob = storage.to_bytes(result.tensors, result.description)
    assert len(blob) == storage.serialized_size(result.tensors, result.description)
    assert len(blob) / base_size <= max_ratio

    model = load_model(config, result.tensors)
    ppl = math.exp(perplexity(model, splits[1])[0])
    assert ppl <= base_ppl * (1 + max_ppl_rise), (ppl, base_ppl)

    new = list(generate(model, codec.encode("abc"), SamplingConfig(max_new_tokens=12, greedy=True)))
    assert len(new) == 12 and all(0 <= t < config.vocab_size for t in new)

    tensors_back, description = storage.from_bytes(blob)
    assert description["recipe"] == recipe.to_dict() and description["label"] == recipe.label()
    again = load_model(config, tensors_back)
    x = torch.randint(0, config.vocab_size, (2, 20), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(model(x)[0], again(x)[0])


def test_quantized_models_run_from_integer_weights(trained):
    config, tensors = trained
    for recipe, bits in ((Recipe(quant="int8"), 8), (Recipe(quant="int4", group_size=32), 4)):
        model = load_model(config, compress(config, tensors, recipe).tensors)
        linears = [m for m in model.modules() if isinstance(m, QuantLinear)]
        assert len(linears) == 4 * config.n_layer + 1  # the four projections of each block, and the tied head
        assert isinstance(model.transformer.wte, QuantEmbedding) and model.lm_head._tied is model.transformer.wte
        assert {m.bits for m in linears} == {bits}
        assert not any(isinstance(m, torch.nn.Linear) for m in model.modules())
        matrices = [n for n, t in model.state_dict().items()
                    if t.is_floating_point() and t.ndim == 2 and not n.endswith(("scales", "mins"))]
        assert matrices == []  # every weight matrix is held as integers


def test_unstructured_pruning_reaches_the_sparsity_and_leaves_embeddings_alone(trained):
    config, tensors = trained
    result = compress(config, tensors, Recipe(sparsity=0.6))
    dense = storage.decode_tensors(result.tensors)
    for i in range(config.n_layer):
        for p in ("attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"):
            w = dense[f"transformer.h.{i}.{p}.weight"]
            assert abs((w == 0).float().mean().item() - 0.6) < 0.01
    assert torch.equal(dense["transformer.wte.weight"], tensors["transformer.wte.weight"])
    glob = storage.decode_tensors(compress(config, tensors, Recipe(sparsity=0.6, scope="global")).tensors)
    names = [f"transformer.h.{i}.{p}.weight" for i in range(config.n_layer)
             for p in ("attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj")]
    zeros = sum(int((glob[n] == 0).sum()) for n in names)
    assert zeros == round(0.6 * sum(glob[n].numel() for n in names))
    shares = {n: float((glob[n] == 0).float().mean()) for n in names}
    assert max(shares.values()) - min(shares.values()) > 0.05  # one threshold: matrices differ


def test_structured_pruning_really_shrinks_tensors_and_equals_masking_the_removed_units(trained):
    config, tensors = trained
    result = compress(config, tensors, Recipe(sparsity=0.25, structured=True))
    pruned = result.config
    assert tuple(pruned["layer_heads"]) == (3, 3) and tuple(pruned["layer_mlp"]) == (192, 192)
    hd = config.head_dim
    t = result.tensors
    assert t["transformer.h.0.attn.c_attn.weight"].shape == (3 * 3 * hd, 64)
    assert t["transformer.h.0.attn.c_proj.weight"].shape == (64, 3 * hd)
    assert t["transformer.h.1.mlp.c_fc.weight"].shape == (192, 64)
    assert t["transformer.h.1.mlp.c_proj.weight"].shape == (64, 192)
    small = load_model(config, t)
    assert small.num_parameters() < 0.8 * build_model(config, tensors).num_parameters()

    # The same function as the original model with the removed heads' and neurons' outputs zeroed.
    masked = {k: v.clone() for k, v in tensors.items()}
    for i in range(config.n_layer):
        p = f"transformer.h.{i}."
        kept_cols = {tuple(r.tolist()) for r in t[p + "attn.c_proj.weight"].t()}
        proj = masked[p + "attn.c_proj.weight"]
        for c in range(proj.shape[1]):
            if tuple(proj[:, c].tolist()) not in kept_cols:
                proj[:, c] = 0
        kept_rows = {tuple(r.tolist()) for r in t[p + "mlp.c_fc.weight"]}
        for j in range(masked[p + "mlp.c_fc.weight"].shape[0]):
            if tuple(masked[p + "mlp.c_fc.weight"][j].tolist()) not in kept_rows:
                masked[p + "mlp.c_proj.weight"][:, j] = 0
    reference = build_model(config, masked).eval()
    x = torch.randint(0, config.vocab_size, (2, 24), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.allclose(small(x)[0], reference(x)[0], atol=1e-5)


def test_recovery_fine_tune_lowers_the_loss_and_keeps_the_zeros(trained, splits):
    config, tensors = trained
    plain = compress(config, tensors, Recipe(sparsity=0.7))
    healed = compress(config, tensors, Recipe(sparsity=0.7, recover_steps=30, recover_lr=2e-3), recovery_data=splits[0])
    loss_plain = perplexity(load_model(config, plain.tensors), splits[1])[0]
    loss_healed = perplexity(load_model(config, healed.tensors), splits[1])[0]
    assert loss_healed < loss_plain
    a, b = storage.decode_tensors(plain.tensors), storage.decode_tensors(healed.tensors)
    for name in a:
        if name.endswith("c_fc.weight"):
            assert torch.equal(a[name] == 0, b[name] == 0)
    assert any("Fine-tuned 30 steps" in line for line in healed.log)
