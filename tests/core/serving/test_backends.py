"""backend_refusal from a version's clear metadata: what llama.cpp cannot run is named before anything is
decrypted (the served-model tests cover the imported families; these the compression recipes and adapters)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from studio.core.serving import backends
from studio.core.stores.vault import VersionInfo


def version(**metadata) -> VersionInfo:
    config = {"n_layer": 2, "n_head": 2, "n_embd": 32, "block_size": 64, "vocab_size": 70}
    return VersionInfo(1, 1, "tiny", 3, "ready", "compressed", "GPT 2L/32d", 1000, "float32", 4000, "", 1,
                       datetime.now(UTC), {"config": config, **metadata})


@pytest.fixture(autouse=True)
def installed(monkeypatch):
    monkeypatch.setattr(backends, "llama_cpp_available", lambda: True)


@pytest.mark.parametrize(("metadata", "refused"), [
    ({}, None),
    ({"compression": {"recipe": {"quant": "none", "sparsity": 0.5}}}, None),  # unstructured pruning stays float
    ({"compression": {"recipe": {"quant": "int8"}}}, "tiny:3 is quantized by the studio"),
    ({"compression": {"recipe": {"quant": "none", "sparsity": 0.25, "structured": True}}}, "structurally pruned"),
    ({"lora": {"rank": 8}}, "tiny:3 is a LoRA adapter"),
])
def test_llama_cpp_refuses_what_the_metadata_says_it_cannot_run(metadata, refused):
    reason = backends.backend_refusal("llama.cpp", version(**metadata))
    assert (reason is None) if refused is None else (refused in str(reason))
    assert backends.backend_refusal("torch", version(**metadata)) is None


def test_an_unknown_back_end_is_named():
    assert "Unknown back-end 'onnx'" in str(backends.backend_refusal("onnx"))
