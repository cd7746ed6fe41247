"""Versions to export: a tiny native GPT with each studio tokenizer, and tiny Hugging Face models of every
family (tests/hf_families.py), as ExportSources (what the export service hands a format) or stored in a vault."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.core.exports.base import ExportSource

TEXT = "hello world, the quick brown fox. Hello again: 42 foxes!\n"


def studio_tokenizer(kind: str):
    from studio.core.datasets.tokenizers import ByteTokenizer, CharTokenizer, train_bpe

    if kind == "byte":
        return ByteTokenizer()
    if kind == "char":
        return CharTokenizer("".join(sorted(set(TEXT + "é✓"))))
    return train_bpe([TEXT * 3, "the fox and the dog", "brown dogs jump"], 300)


def native_source(kind: str = "byte", *, seed: int = 0, bias: bool = True, tie: bool = True) -> ExportSource:
    import torch

    from studio.core.models.config import GPTConfig
    from studio.core.models.gpt import GPT, model_tensors

    tok = studio_tokenizer(kind)
    torch.manual_seed(seed)
    cfg = GPTConfig(vocab_size=tok.vocab_size, block_size=64, n_layer=2, n_head=2, n_embd=64, bias=bias,
                    tie_embeddings=tie)
    model = GPT(cfg).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    return ExportSource("tiny", 1, cfg.to_dict(), model_tensors(model), {"tokenizer.json": tok.to_json().encode()},
                        kind="trained", architecture="GPT 2L/64d")


def hf_source(name: str, tmp_path: Path, **config_changes) -> ExportSource:
    from safetensors.torch import load_file

    from tests.hf_families import save_folder

    folder = save_folder(name, tmp_path / name)
    config = json.loads((folder / "config.json").read_text())
    config.update(config_changes)
    files = {p.name: p.read_bytes() for p in folder.iterdir()
             if p.name != "config.json" and p.suffix in (".json", ".jinja")}
    return ExportSource(name, 1, config, load_file(folder / "model.safetensors"), files, kind="import",
                        architecture=config["architectures"][0])


@pytest.fixture
def stored_gpt(studio, admin):
    """A tiny native GPT with a byte tokenizer in the vault, as "tiny"."""
    source = native_source("byte")
    studio.vault.add_version(admin, None, source.tensors, name="tiny", config=source.config,
                             tokenizer=source.files["tokenizer.json"].decode())
    return source
