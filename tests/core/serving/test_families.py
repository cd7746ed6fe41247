"""Every model family is servable: a tiny Hugging Face Qwen2 folder imported into the vault answers chat and
completions through the server with its own chat template, exactly as the studio's in-process generation."""

from __future__ import annotations

import openai
import pytest
import torch

from studio.core.models.generate import SamplingConfig
from studio.core.services.runs.sampling import stream_ids, stream_text
from studio.core.serving.options import ServeOptions
from tests.hf_families import save_folder


@pytest.mark.parametrize("family", ["qwen2", "llama"])
def test_a_transformers_model_is_served_like_the_studio_generates(studio, make_user, tmp_path, family):
    torch.set_num_threads(1)
    owner = make_user("trainer")
    studio.vault.import_path(owner, save_folder(family, tmp_path / family), name=family)
    loaded = studio.runs.load_model(owner, f"model:{family}")
    key = studio.keys.create(owner).token
    server = studio.serving.start(owner, [family], ServeOptions(port=0))
    try:
        with openai.OpenAI(base_url=server.url, api_key=key, max_retries=0, timeout=60) as client:
            messages = [{"role": "user", "content": "hello"}]
            chat = client.chat.completions.create(model=family, messages=messages, max_tokens=8, temperature=0)
            ids = loaded.tokenizer.encode_chat(messages)
            want = "".join(stream_ids(loaded.model, loaded.tokenizer, ids, SamplingConfig(max_new_tokens=8, greedy=True)))
            assert chat.choices[0].message.content == want
            assert chat.usage.prompt_tokens == len(ids)
            done = client.completions.create(model=family, prompt="abc", max_tokens=6, temperature=0)
            want = "".join(stream_text(loaded.model, loaded.tokenizer, "abc", SamplingConfig(max_new_tokens=6,
                                                                                              greedy=True)))
            assert done.choices[0].text == want
            assert done.usage.prompt_tokens == len(loaded.tokenizer.encode("abc"))
    finally:
        studio.serving.stop(owner, server)


def test_a_transformers_model_is_served_by_llama_cpp_with_the_same_text(studio, make_user, tmp_path):
    """--backend llama.cpp serves a Hugging Face family too (its GGUF made in a memfd), with its chat template."""
    torch.set_num_threads(1)
    owner = make_user("trainer")
    studio.vault.import_path(owner, save_folder("qwen2", tmp_path / "q"), name="q")
    loaded = studio.runs.load_model(owner, "model:q")
    key = studio.keys.create(owner).token
    server = studio.serving.start(owner, ["q"], ServeOptions(port=0, backend="llama.cpp"))
    try:
        with openai.OpenAI(base_url=server.url, api_key=key, max_retries=0, timeout=60) as client:
            messages = [{"role": "user", "content": "hello"}]
            chat = client.chat.completions.create(model="q", messages=messages, max_tokens=8, temperature=0)
    finally:
        studio.serving.stop(owner, server)
    ids = loaded.tokenizer.encode_chat(messages)
    want = "".join(stream_ids(loaded.model, loaded.tokenizer, ids, SamplingConfig(max_new_tokens=8, greedy=True)))
    assert chat.choices[0].message.content == want and chat.usage.prompt_tokens == len(ids)


def test_a_back_end_that_cannot_serve_a_version_is_refused_before_anything_is_decrypted(studio, make_user, tmp_path,
                                                                                         monkeypatch):
    """serving.backend_refusal (the check `studio serve --backend` and the Serving pane share) reads the
    version's metadata only: GPT-NeoX has no GGUF architecture, so llama.cpp refuses it with the reason and
    no model.read is recorded; Qwen2 is served; without llama-cpp-python every model is refused llama.cpp."""
    from studio.core.errors import StudioError
    from studio.core.serving import backends

    owner = make_user("trainer")
    studio.vault.import_path(owner, save_folder("gpt_neox", tmp_path / "n"), name="neox")
    studio.vault.import_path(owner, save_folder("qwen2", tmp_path / "q"), name="q")
    assert studio.serving.backend_refusal(owner, "neox", "torch") is None
    assert studio.serving.backend_refusal(owner, "q:1", "llama.cpp") is None
    reason = studio.serving.backend_refusal(owner, "neox:1", "llama.cpp")
    assert "'gpt_neox'" in str(reason) and "torch back-end serves it" in str(reason)
    before = {e.seq for e in studio.audit_store.page(limit=1000)}
    with pytest.raises(StudioError, match="neox:1 is a 'gpt_neox' model"):
        studio.serving.start(owner, ["neox"], ServeOptions(port=0, backend="llama.cpp"))
    new = [e.action for e in studio.audit_store.page(limit=1000) if e.seq not in before]
    assert "model.read" not in new

    monkeypatch.setattr(backends, "llama_cpp_available", lambda: False)
    for ref in (None, "q", "neox"):
        assert "llama.cpp is not installed" in str(studio.serving.backend_refusal(owner, ref, "llama.cpp"))
    assert studio.serving.backend_refusal(owner, "q", "torch") is None
