"""Compression of Hugging Face family models (Llama- and Qwen-shaped, tests/hf_families.py) through the family
interface: the calibrated methods' defining properties on their Linear layers, and whole recipes (pruning,
int8 / int4 by every method) that store, load back and run in compressed form."""

import pytest
import torch
from torch.nn import functional as F

from studio.core.compression import target
from studio.core.compression.calibration import CalibrationSet, calibration_windows, capture, for_each_block
from studio.core.compression.load import load_model
from studio.core.compression.methods import pruner_named, quantizer_named
from studio.core.compression.methods.base import QuantSpec
from studio.core.compression.pipeline import compress
from studio.core.compression.recipe import Recipe
from studio.core.compression.runtime import QuantEmbedding, QuantLinear
from studio.core.compression.storage import decode_tensors
from studio.core.models.family import family_for_config

pytest.importorskip("transformers")

FAMILIES = ["llama", "qwen2"]  # qwen2: tied embeddings, attention biases


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny matrices: a second torch thread only waits on a busy machine (AWQ's searches ran 28x slower)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module", params=FAMILIES)
def hf(request, splits):
    """(name, config.json, tensors as stored, calibration windows) of a tiny random model of the family."""
    from tests.hf_families import hf_model

    model = hf_model(request.param)
    tensors = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if model.config.tie_word_embeddings:  # a stored folder holds a tied head once, as the embedding
        tensors.pop("lm_head.weight")
    windows = calibration_windows(splits[0], 16, 32)
    return request.param, model.config.to_dict(), tensors, windows


def _kl(reference, model, x):
    with torch.no_grad():
        p = F.log_softmax(target.logits(reference, x).float(), -1)
        q = F.log_softmax(target.logits(model, x).float(), -1)
    return float(F.kl_div(q, p, log_target=True, reduction="none").sum(-1).mean())


def test_defining_properties_on_the_familys_layers(hf):
    _, config, tensors, windows = hf
    model = family_for_config(config).build(config, tensors).eval()
    layers = target.linear_layers(model)
    assert len(layers) == 14 and all(name.startswith("model.layers.") for name in layers)
    stats = capture(model, lambda x: target.logits(model, x), layers, windows)
    for name, layer in layers.items():
        w = layer.weight.data
        err = stats[name].output_error
        mag, _ = pruner_named("magnitude").prune(w, None, 0.5, (2, 4))
        sgpt, keep = pruner_named("sparsegpt").prune(w, stats[name], 0.5, (2, 4))
        rows, cols = w.shape
        assert (keep.reshape(rows, cols // 4, 4).sum(-1) == 2).all(), name
        assert float(err(sgpt - w)) < float(err(mag - w)), name
        admm, keep = pruner_named("admm").prune(w, stats[name], 0.5, (2, 4))
        assert (keep.reshape(rows, cols // 4, 4).sum(-1) == 2).all() and not admm[~keep].any(), name
        assert float(err(admm - w)) < float(err(sgpt - w)), name
        _, keep = pruner_named("wanda").prune(w, stats[name], 0.5)
        assert (keep.sum(dim=1) == cols - cols // 2).all(), name
        spec = QuantSpec(4, 32, True)
        rtn = quantizer_named("rtn").quantize(w, None, spec).dequantize()
        gptq = quantizer_named("gptq").quantize(w, stats[name], spec).dequantize()
        awq = quantizer_named("awq").quantize(w, stats[name], spec).dequantize()
        assert float(err(gptq - w)) < float(err(rtn - w)), name
        assert float(err(awq - w)) <= float(err(rtn - w)) * (1 + 1e-5), name


def test_block_by_block_calibration_sees_what_the_whole_model_computes(hf):
    """Each block's layers are calibrated on the inputs the full transformers forward gives them (rotary
    positions, causal mask and all): the hidden state entering layer i, through its input norm, for q/k/v, and
    the attention output for o_proj, as a plain forward of the model with its own hooks records them."""
    _, config, tensors, windows = hf
    model = family_for_config(config).build(config, tensors).eval()
    layers = target.linear_layers(model)
    seen = {}
    for_each_block(model, lambda x: target.logits(model, x), layers, windows,
                   lambda name, layer, inputs: seen.setdefault(name, inputs))
    attention_in: dict[int, list] = {}
    hooks = [model.model.layers[i].self_attn.o_proj.register_forward_hook(
        lambda _m, args, _o, i=i: attention_in.setdefault(i, []).append(args[0])) for i in range(2)]
    with torch.no_grad():
        hidden = [model(windows[j:j + 8], output_hidden_states=True).hidden_states for j in range(0, 16, 8)]
    for h in hooks:
        h.remove()
    for i in range(2):
        with torch.no_grad():
            normed = torch.cat([model.model.layers[i].input_layernorm(h[i]) for h in hidden])
        for name, x in ((f"model.layers.{i}.self_attn.q_proj", normed),
                        (f"model.layers.{i}.self_attn.o_proj", torch.cat(attention_in[i]))):
            x = x.reshape(-1, x.shape[-1]).double()
            expected = 2.0 / x.shape[0] * x.t() @ x
            assert torch.allclose(seen[name].hessian.double(), expected, rtol=1e-4, atol=1e-6), name


def test_pruned_and_quantized_versions_store_load_and_run_compressed(hf):
    name, config, tensors, windows = hf
    calib = CalibrationSet(windows)
    original = load_model(config, tensors)
    x = windows[:4]
    kl = {}
    for label, recipe in {
        "magnitude 2:4 + rtn int8": Recipe(sparsity=0.5, pattern="2:4", quant="int8"),
        "sparsegpt 2:4 + gptq int8": Recipe(sparsity=0.5, method="sparsegpt", pattern="2:4", quant="int8",
                                            quant_method="gptq"),
        "wanda 50% + awq int4": Recipe(sparsity=0.5, method="wanda", quant="int4", group_size=32, quant_method="awq"),
    }.items():
        result = compress(config, tensors, recipe, calibration=calib if recipe.needs_calibration else None)
        stored = result.tensors
        names = decode_tensors(stored)  # the sparse-stored ones as their parts
        assert "model.layers.1.mlp.down_proj.qweight" in names and "model.layers.1.mlp.down_proj.weight" not in names
        assert "model.embed_tokens.qweight" in names
        assert ("lm_head.qweight" in names) != (name == "qwen2")  # a tied head is the embedding, stored once
        model = load_model(result.config, stored)
        layers = target.linear_layers(model)
        assert all(isinstance(m, QuantLinear) for m in layers.values()), label
        assert isinstance(model.get_submodule("model.embed_tokens"), QuantEmbedding)
        assert isinstance(model.get_submodule("lm_head"), QuantLinear)
        for path, layer in layers.items():
            w = layer.matrix().dequantize()
            rows, cols = w.shape
            zeros = (w == 0).sum()
            if recipe.pattern == "2:4":
                assert ((w != 0).reshape(rows, cols // 4, 4).sum(-1) <= 2).all(), (label, path)
            else:
                assert zeros >= rows * (cols // 2), (label, path)
        logits = target.logits(model, x)
        assert logits.shape == (4, 32, 272) and torch.isfinite(logits).all()
        kl[label] = _kl(original, model, x)
    # the weight-updating methods carry the 2:4 pattern far better than magnitude (per layer, as tested above,
    # and so end to end)
    assert kl["sparsegpt 2:4 + gptq int8"] < kl["magnitude 2:4 + rtn int8"], kl


def test_int8_and_int4_alone_stay_close_to_the_original(hf):
    _, config, tensors, windows = hf
    original = load_model(config, tensors)
    x = windows[:4]
    with torch.no_grad():
        top = target.logits(original, x).argmax(-1)
    for recipe, max_kl in ((Recipe(quant="int8"), 1e-3), (Recipe(quant="int4", group_size=32, quant_method="gptq"), 0.05)):
        result = compress(config, tensors, recipe, calibration=CalibrationSet(windows))
        model = load_model(result.config, result.tensors)
        assert _kl(original, model, x) < max_kl, recipe.label()
        with torch.no_grad():
            agree = float((target.logits(model, x).argmax(-1) == top).float().mean())
        assert agree > 0.8, recipe.label()


def test_recovery_fine_tune_after_pruning_trains_the_family_and_keeps_the_zeros(splits):
    """Issue 16's recovery step through the family-blind trainer (full fine-tune; pruned weights masked back to
    zero after every step): the loss on held-out data falls, the zeros stay, the result loads and runs."""
    from studio.core.compression.evaluate import perplexity
    from tests.hf_families import hf_model

    model = hf_model("llama")
    config, tensors = model.config.to_dict(), {k: v.detach().clone() for k, v in model.state_dict().items()}
    plain = compress(config, tensors, Recipe(sparsity=0.6))
    healed = compress(config, tensors, Recipe(sparsity=0.6, recover_steps=12, recover_lr=3e-3),
                      recovery_data=splits[0])
    assert any("Fine-tuned 12 steps" in line for line in healed.log)
    a, b = decode_tensors(plain.tensors), decode_tensors(healed.tensors)
    for key in a:
        if key.endswith("mlp.up_proj.weight"):
            assert torch.equal(a[key] == 0, b[key] == 0), key
    assert not torch.equal(a["model.layers.0.mlp.up_proj.weight"], b["model.layers.0.mlp.up_proj.weight"])
    loss_plain = perplexity(load_model(config, plain.tensors), splits[1])[0]
    loss_healed = perplexity(load_model(config, healed.tensors), splits[1])[0]
    assert loss_healed < loss_plain
