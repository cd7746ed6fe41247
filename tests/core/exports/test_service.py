"""studio.exports through the vault: the export grant, the audit entry, the staged output; the self-contained
safetensors file re-imports as the same model (config, tokenizer, chat template, logits)."""

from __future__ import annotations

import json

import pytest
import torch

from studio.core.errors import AccessDenied, ValidationError


def _logits(studio, actor, model, ids):
    from studio.core.models.family import family_for_config

    loaded = studio.vault.load(actor, model)
    family = family_for_config(loaded.config)
    with torch.no_grad():
        return family.forward(family.build(loaded.config, loaded.tensors), torch.tensor([ids]))[0]


def _store_hf(studio, actor, tmp_path, name="qwen2"):
    from tests.hf_families import save_folder

    folder = save_folder(name, tmp_path / f"src-{name}")
    return studio.vault.import_path(actor, folder, name=name).version


def test_single_file_reimports_as_the_same_model(studio, admin, stored_gpt, tmp_path):
    result = studio.exports.export(admin, "tiny", tmp_path / "tiny.safetensors")
    assert result.files == ("tiny.safetensors",) and result.format == "safetensors"
    back = studio.vault.import_path(admin, tmp_path / "tiny.safetensors", name="back").version
    assert back.architecture == "GPT 2L/64d"  # not "—": the config travelled inside the file
    assert back.metadata["exported_from"]["model"] == "tiny" and back.metadata["model"]["tokenizer"] == "byte"
    ids = [5, 17, 101, 33, 250, 7]
    assert torch.equal(_logits(studio, admin, "tiny", ids), _logits(studio, admin, "back", ids))
    original, copy = studio.vault.load(admin, "tiny"), studio.vault.load(admin, "back")
    assert copy.tokenizer == original.tokenizer and copy.config == original.config


def test_single_file_of_a_hf_model_keeps_tokenizer_and_chat_template(studio, admin, tmp_path):
    from studio.core.models.family import family_for_config

    _store_hf(studio, admin, tmp_path, "qwen2")
    studio.exports.export(admin, "qwen2", tmp_path / "q.safetensors")
    studio.vault.import_path(admin, tmp_path / "q.safetensors", name="q-back")
    ids = [256, 72, 105, 258, 10, 33]
    assert torch.equal(_logits(studio, admin, "qwen2", ids), _logits(studio, admin, "q-back", ids))
    a, b = studio.vault.load(admin, "qwen2"), studio.vault.load(admin, "q-back")
    tok_a = family_for_config(a.config).tokenizer(a.files, a.config)
    tok_b = family_for_config(b.config).tokenizer(b.files, b.config)
    chat = [{"role": "user", "content": "Hi there"}]
    assert tok_b.chat_template == tok_a.chat_template and tok_b.encode_chat(chat) == tok_a.encode_chat(chat)
    assert tok_b.stop_ids == tok_a.stop_ids == (257, 259)


def test_export_needs_the_grant_and_is_audited(studio, admin, make_user, stored_gpt, tmp_path):
    bob = make_user("trainer", "bob")
    studio.vault.share(admin, "tiny", "bob", "use")  # use, not export
    with pytest.raises(AccessDenied):
        studio.exports.export(bob, "tiny", tmp_path / "b.gguf", format="gguf")
    assert not (tmp_path / "b.gguf").exists()
    result = studio.exports.export(admin, "tiny", tmp_path / "t.gguf", format="gguf", quant="q8_0", check=True)
    assert result.files == ("t.gguf", "t.Modelfile") and result.quant == "q8_0"
    assert result.check["arch"] == "gpt2" and result.check["llama.cpp"]["max_abs_diff"] < 0.05
    entry = next(e for e in studio.audit_store.page(limit=20) if e.action == "model.export")
    assert entry.outcome == "allowed" and entry.details["format"] == "gguf" and entry.details["quant"] == "q8_0"
    denied = [e for e in studio.audit_store.page(limit=20) if e.action == "model.export" and e.outcome == "denied"]
    assert denied and denied[0].actor_name == "bob"


def test_bad_options_leave_nothing(studio, admin, stored_gpt, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ValidationError, match="takes --quant"):
        studio.exports.export(admin, "tiny", out / "x.gguf", format="gguf", quant="q4_k")
    with pytest.raises(ValidationError, match="safetensors format only"):
        studio.exports.export(admin, "tiny", out / "x", format="hf", zstd=True)
    with pytest.raises(ValidationError, match="Unknown export format"):
        studio.exports.export(admin, "tiny", out / "x", format="tflite")
    (out / "taken.gguf").write_bytes(b"")
    with pytest.raises(ValidationError, match="already exists"):
        studio.exports.export(admin, "tiny", out / "taken.gguf", format="gguf")
    assert sorted(p.name for p in out.iterdir()) == ["taken.gguf"]


def test_hf_folder_of_any_family_loads_in_transformers(studio, admin, tmp_path):
    _store_hf(studio, admin, tmp_path, "llama")
    result = studio.exports.export(admin, "llama", tmp_path / "hf", format="hf", check=True)
    assert result.check["max_abs_diff"] < 1e-4 and "config.json" in result.files
    assert json.loads((tmp_path / "hf" / "config.json").read_text())["model_type"] == "llama"


def test_the_gguf_of_a_stored_llama_runs_in_llama_cpp(studio, admin, tmp_path):
    _store_hf(studio, admin, tmp_path, "llama")
    result = studio.exports.export(admin, "llama", tmp_path / "l.gguf", format="gguf", quant="f32", check=True)
    assert result.check["llama.cpp"]["max_abs_diff"] < 1e-3
    assert "ollama create" in (tmp_path / "l.Modelfile").read_text()


@pytest.mark.parametrize(("out", "fmt", "when"), [
    ("c.gguf", "gguf", "writing"),  # a cancel while the writer runs
    ("c.gguf", "gguf", "checking"),  # after every byte is written, while llama.cpp checks the file
    ("hf-out", "hf", "checking"),  # a folder
])
def test_a_cancelled_export_leaves_nothing_at_the_destination(studio, admin, stored_gpt, tmp_path, out, fmt, when):
    from studio.core.errors import Cancelled
    from studio.core.tasks import TaskState

    dest = tmp_path / "dest"
    dest.mkdir()
    seen = []

    def on_progress(p):
        seen.append(p.message)
        if (when == "writing" and p.message == "Writing" and p.fraction > 0.3) or \
                (when == "checking" and p.message == "Checking the export"):
            state.cancel()

    state = TaskState(on_progress, min_interval_s=0.0)
    with pytest.raises(Cancelled):
        studio.exports.export(admin, "tiny", dest / out, format=fmt, check=True, state=state)
    assert seen[-1] == ("Writing" if when == "writing" else "Checking the export")
    assert list(dest.iterdir()) == []  # neither the export nor its hidden staging folder
    assert not studio.paths.staging.exists() or not any(studio.paths.staging.iterdir())  # no journal left
    [entry] = [e for e in studio.audit_store.page(limit=10) if e.action == "model.export"]
    assert entry.outcome != "allowed"  # recorded as not done
    result = studio.exports.export(admin, "tiny", dest / out, format=fmt)  # the same path is free again
    assert result.path == dest / out and (dest / out).exists()
