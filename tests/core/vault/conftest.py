"""Vault tests act as real users: `make_user(role, name)` and `admin` (tests/conftest.py) are logged-in
UserSessions holding their X25519 keys; the first of them creates the administrator "root"."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(autouse=True)
def _small_chunks(request):
    """Small chunks: many of them even in tiny test files (for tests that open a studio)."""
    if "studio" in request.fixturenames:
        request.getfixturevalue("studio").vault.chunk_size = 256


def tiny_tensors(seed: int = 0):
    import torch

    g = torch.Generator().manual_seed(seed)
    return {
        "wte.weight": torch.randn(32, 16, generator=g),
        "h.0.attn.weight": torch.randn(16, 48, generator=g).to(torch.bfloat16),
        "h.0.ln.bias": torch.zeros(16),
        "steps": torch.tensor(7, dtype=torch.int64),
    }


@pytest.fixture
def tensors():
    return tiny_tensors()


@pytest.fixture
def st_file(tmp_path, tensors):
    from safetensors.torch import save_file

    path = tmp_path / "src" / "tiny.safetensors"
    path.parent.mkdir(exist_ok=True)
    save_file(tensors, str(path), metadata={"format": "pt"})
    return path


def gpt2_tensors(seed: int = 0):
    """A real (tiny) GPT-2's tensors in Hugging Face's names and layout: what a folder from the Hub holds."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=260, n_positions=16, n_embd=16, n_layer=1, n_head=2))
    return {k: v.detach().clone() for k, v in model.state_dict().items() if k != "lm_head.weight"}


@pytest.fixture
def hf_tensors():
    return gpt2_tensors()


@pytest.fixture
def hf_folder(tmp_path, hf_tensors):
    """A Hugging Face layout: two shards with their index, config, tokenizer files, and files to skip."""
    from safetensors.torch import save_file

    from studio.core.models.tokenizer_export import byte_tokenizer_json

    folder = tmp_path / "src" / "tiny-gpt"
    folder.mkdir(parents=True)
    names = sorted(hf_tensors)
    shards = {"model-00001-of-00002.safetensors": names[:2], "model-00002-of-00002.safetensors": names[2:]}
    weight_map = {}
    for shard, keys in shards.items():
        save_file({k: hf_tensors[k] for k in keys}, str(folder / shard))
        weight_map.update({k: shard for k in keys})
    (folder / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    (folder / "config.json").write_text(json.dumps({"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2",
                                                    "n_layer": 1, "n_head": 2, "n_embd": 16, "n_positions": 16,
                                                    "vocab_size": 260}))
    (folder / "generation_config.json").write_text("{}")
    (folder / "tokenizer.json").write_text(byte_tokenizer_json())
    (folder / "tokenizer_config.json").write_text(json.dumps({"eos_token": "<|endoftext|>"}))
    (folder / "README.md").write_text("# tiny")
    (folder / "modeling_evil.py").write_text("raise SystemExit('never imported')")
    return folder


def blob_files(studio):
    return sorted(p.name for p in (studio.paths.vault / "blobs").iterdir())
