"""Hugging Face GPT-2 import/export, checked against `transformers` itself (a test-only dependency)."""

import json

import pytest
import torch

from studio.core.errors import ValidationError
from studio.core.models.config import GPTConfig
from studio.core.models.gpt import GPT
from studio.core.models.hf import export_hf, import_hf

transformers = pytest.importorskip("transformers")


def hf_model(**kw):
    torch.manual_seed(0)
    cfg = transformers.GPT2Config(vocab_size=61, n_positions=32, n_embd=32, n_layer=2, n_head=4,
                                  bos_token_id=0, eos_token_id=0, **kw)
    model = transformers.GPT2LMHeadModel(cfg).eval()
    with torch.no_grad():  # random biases and norms, so that a mix-up of any tensor shows
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    return model


def logits_equal(ours, theirs):
    x = torch.randint(0, 61, (2, 24), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        a = theirs(x).logits
        b, _ = ours.eval()(x)
    return torch.allclose(a, b, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kw", [{}, {"tie_word_embeddings": False}, {"activation_function": "gelu", "n_inner": 48}])
def test_import_from_transformers_gives_identical_logits(tmp_path, kw):
    theirs = hf_model(**kw)
    theirs.save_pretrained(tmp_path)
    ours = import_hf(tmp_path)
    assert ours.config.tie_embeddings == theirs.config.tie_word_embeddings
    assert logits_equal(ours, theirs)


def test_import_of_a_sharded_folder(tmp_path):
    theirs = hf_model()
    theirs.save_pretrained(tmp_path, max_shard_size="20KB")
    assert (tmp_path / "model.safetensors.index.json").is_file() and not (tmp_path / "model.safetensors").exists()
    assert logits_equal(import_hf(tmp_path), theirs)


@pytest.mark.parametrize("kw", [{}, {"bias": False}, {"tie_embeddings": False}, {"activation": "gelu"}])
def test_export_loads_in_transformers_with_identical_logits(tmp_path, kw):
    torch.manual_seed(0)
    ours = GPT(GPTConfig(vocab_size=61, block_size=32, n_layer=2, n_head=4, n_embd=32, **kw))
    export_hf(ours, tmp_path, eos_id=0)
    assert json.loads((tmp_path / "config.json").read_text())["model_type"] == "gpt2"
    theirs = transformers.GPT2LMHeadModel.from_pretrained(tmp_path).eval()
    assert logits_equal(ours, theirs)
    assert logits_equal(import_hf(tmp_path), theirs)


def test_refusals_are_clear(tmp_path):
    with pytest.raises(ValidationError, match="no config.json"):
        import_hf(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama"}))
    with pytest.raises(ValidationError, match="only GPT-2"):
        import_hf(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps(hf_model().config.to_dict()))
    (tmp_path / "pytorch_model.bin").write_bytes(b"not loaded")
    with pytest.raises(ValidationError, match="never loads"):
        import_hf(tmp_path)
    pruned = GPT(GPTConfig(vocab_size=61, block_size=32, n_layer=2, n_head=4, n_embd=32, layer_heads=(2, 4)))
    with pytest.raises(ValidationError, match="pruned"):
        export_hf(pruned, tmp_path / "out")
