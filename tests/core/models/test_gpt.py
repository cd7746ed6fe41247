import pytest
import torch

from studio.core.errors import ValidationError
from studio.core.models.config import GPTConfig, parameter_count, preset
from studio.core.models.gpt import GPT, KVCache, build_model, config_for_tensors, model_tensors


def small(**kw) -> GPTConfig:
    base = dict(vocab_size=37, block_size=16, n_layer=2, n_head=2, n_embd=16)
    base.update(kw)
    return GPTConfig(**base)


def test_parameter_names_follow_gpt2():
    names = set(dict(GPT(small()).named_parameters()))
    for name in ("transformer.wte.weight", "transformer.wpe.weight", "transformer.h.1.ln_1.weight",
                 "transformer.h.0.attn.c_attn.weight", "transformer.h.0.attn.c_proj.bias",
                 "transformer.h.0.ln_2.bias", "transformer.h.0.mlp.c_fc.weight", "transformer.h.0.mlp.c_proj.weight",
                 "transformer.ln_f.weight"):
        assert name in names
    untied = dict(GPT(small(tie_embeddings=False)).named_parameters())
    assert "lm_head.weight" in untied
    assert all(isinstance(m, torch.nn.Linear) for n, m in GPT(small()).named_modules() if n.endswith(("c_attn", "c_fc", "c_proj")))


@pytest.mark.parametrize("kw", [{}, {"bias": False}, {"tie_embeddings": False}, {"n_inner": 24},
                                {"layer_heads": (1, 2), "layer_mlp": (8, 40)}])
def test_parameter_count_formula_matches_the_module(kw):
    cfg = small(**kw)
    model = GPT(cfg)
    assert model.num_parameters() == parameter_count(cfg)
    assert model.num_parameters(non_embedding=True) == parameter_count(cfg, non_embedding=True)


def test_attention_is_causal():
    model = GPT(small()).eval()
    x = torch.randint(0, 37, (1, 10))
    y = x.clone()
    y[0, 7:] = (y[0, 7:] + 1) % 37
    a, _ = model(x)
    b, _ = model(y)
    assert torch.allclose(a[0, :7], b[0, :7], atol=1e-6)
    assert not torch.allclose(a[0, 7:], b[0, 7:], atol=1e-4)


def test_loss_ignores_masked_targets_and_an_all_masked_batch_is_zero_not_nan():
    model = GPT(small()).eval()
    x = torch.randint(0, 37, (2, 8))
    y = torch.randint(0, 37, (2, 8))
    logits, full = model(x, y)
    masked = y.clone()
    masked[:, :4] = -1
    _, part = model(x, masked)
    expected = torch.nn.functional.cross_entropy(logits[:, 4:].reshape(-1, 37), y[:, 4:].reshape(-1))
    assert torch.allclose(part, expected, atol=1e-6) and not torch.allclose(part, full)
    _, none = model(x, torch.full_like(y, -1))
    assert none.item() == 0.0


def test_kv_cache_gives_the_same_logits_as_the_full_window():
    model = GPT(small(layer_heads=(1, 2))).eval()
    x = torch.randint(0, 37, (1, 12))
    full, _ = model(x)
    cache = KVCache(model.config, 1, "cpu", torch.float32)
    parts = [model(x[:, :5], cache=cache)[0], model(x[:, 5:6], cache=cache)[0], model(x[:, 6:], cache=cache)[0]]
    assert torch.allclose(torch.cat(parts, dim=1), full, atol=1e-5)


def test_too_long_input_is_a_clear_error():
    with pytest.raises(ValidationError, match="longer than the model's context"):
        GPT(small())(torch.zeros(1, 17, dtype=torch.long))


def test_pruned_weights_load_into_the_original_config():
    cfg = small()
    pruned = GPT(small(layer_heads=(1, 2), layer_mlp=(10, 64)))
    tensors = model_tensors(pruned)
    assert config_for_tensors(cfg, tensors).layer_heads == (1, 2)
    model = build_model(cfg, tensors).eval()
    x = torch.randint(0, 37, (1, 8))
    assert torch.equal(model(x)[0], pruned.eval()(x)[0])


def test_bad_weights_and_settings_are_clear_errors():
    tensors = model_tensors(GPT(small()))
    del tensors["transformer.ln_f.weight"]
    with pytest.raises(ValidationError, match="missing transformer.ln_f.weight"):
        build_model(small(), tensors)
    with pytest.raises(ValidationError, match="divisible"):
        small(n_head=3).validate()
    with pytest.raises(ValidationError, match="Unknown model preset"):
        preset("huge", 100)
    assert preset("tiny", 65).n_layer == 4 and preset("tiny", 65).n_embd == 128
    assert GPTConfig.from_dict(small(layer_mlp=(3, 4)).to_dict()) == small(layer_mlp=(3, 4))


def test_the_documented_pruning_recipe_removes_exactly_one_head_and_mlp_units():
    """docs/architecture.md tells issue 8 how to shrink a layer; removing head 1 of layer 0 and MLP units must
    equal the unpruned model with those units' outputs zeroed."""
    torch.manual_seed(1)
    cfg = small(n_head=4, n_embd=32)
    model = GPT(cfg).eval()
    hd, d = cfg.head_dim, cfg.n_embd
    tensors = {k: v.clone() for k, v in model_tensors(model).items()}
    keep_rows = [r for third in range(3) for r in range(third * d, (third + 1) * d) if (r - third * d) // hd != 1]
    keep_cols = [c for c in range(d) if c // hd != 1]
    pre = "transformer.h.0."
    tensors[pre + "attn.c_attn.weight"] = tensors[pre + "attn.c_attn.weight"][keep_rows]
    tensors[pre + "attn.c_attn.bias"] = tensors[pre + "attn.c_attn.bias"][keep_rows]
    tensors[pre + "attn.c_proj.weight"] = tensors[pre + "attn.c_proj.weight"][:, keep_cols]
    units = list(range(0, 4 * d, 2))
    tensors[pre + "mlp.c_fc.weight"] = tensors[pre + "mlp.c_fc.weight"][units]
    tensors[pre + "mlp.c_fc.bias"] = tensors[pre + "mlp.c_fc.bias"][units]
    tensors[pre + "mlp.c_proj.weight"] = tensors[pre + "mlp.c_proj.weight"][:, units]
    pruned = build_model(cfg, tensors).eval()
    assert pruned.config.layer_heads == (3, 4) and pruned.config.layer_mlp == (2 * d, 4 * d)
    with torch.no_grad():
        model.transformer.h[0].attn.c_proj.weight[:, hd:2 * hd] = 0
        model.transformer.h[0].mlp.c_proj.weight[:, 1::2] = 0
    x = torch.randint(0, 37, (2, 10))
    assert torch.allclose(pruned(x)[0], model(x)[0], atol=1e-5)
