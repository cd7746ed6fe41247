"""Hugging Face folders of every supported family in the vault: imported encrypted with their tokenizer files,
then run through the family interface by the run service (studio.runs.sample), as transformers runs them;
folders the studio cannot run refused with the reason and nothing stored."""

from __future__ import annotations

import json
import os
import pickle
import sqlite3

import pytest
import torch

from studio.core.errors import ValidationError
from studio.core.models.generate import SamplingConfig, generate
from tests.hf_families import FAMILIES, hf_model, save_folder, tokenizer_json

pytest.importorskip("transformers")


@pytest.mark.parametrize("name", list(FAMILIES))
def test_an_imported_folder_generates_and_exports_as_transformers_runs_it(studio, make_user, tmp_path, name):
    """One family end to end: import into the vault, greedy generation from the decrypted model = transformers'
    own generate, the service's text stream, then `studio export --format hf` read back by transformers with
    the same logits and the same chat token ids."""
    import transformers
    from tokenizers import Tokenizer

    user = make_user("trainer")
    folder = save_folder(name, tmp_path / name)
    result = studio.vault.import_path(user, folder, name=f"tiny-{name}")
    assert result.version.number == 1 and result.warnings == ()
    files = studio.vault.load(user, f"tiny-{name}", roles={"config", "tokenizer"}).files
    assert {"config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json"} <= set(files)

    prompt = "Once"
    theirs = hf_model(name)
    loaded = studio.runs.load_model(user, f"model:tiny-{name}")
    hf_tok = Tokenizer.from_str(tokenizer_json(FAMILIES[name][3]))
    ids = hf_tok.encode(prompt).ids
    assert loaded.tokenizer.encode(prompt) == ids and loaded.tokenizer.stop_ids[:2] == (257, 259)
    x = torch.tensor([ids + list(range(60, 80))])
    with torch.no_grad():
        expected = theirs(x).logits
        assert float((loaded.family.forward(loaded.model, x)[0] - expected).abs().max()) < 1e-5

    # greedy generation (KV cache) from the decrypted model = transformers' generate on the folder's model
    ours = list(generate(loaded.model, ids, SamplingConfig(max_new_tokens=6, greedy=True)))
    ref = theirs.generate(torch.tensor([ids]), max_new_tokens=6, do_sample=False, eos_token_id=None,
                          pad_token_id=0)[0, len(ids):].tolist()
    assert ours == ref

    # the text stream: up to the first stop id, whole characters only (a byte-level token may end mid-character)
    text = "".join(studio.runs.sample(user, f"model:tiny-{name}", prompt, SamplingConfig(max_new_tokens=6, greedy=True)))
    ref = ref[: next((n for n, i in enumerate(ref) if i in (257, 259)), len(ref))]
    assert text in {hf_tok.decode(ref[:k], skip_special_tokens=True) for k in range(len(ref) + 1)}

    # exported (the path `studio export --format hf` takes), transformers loads the same logits and chat ids
    out = studio.compression.export(user, f"tiny-{name}", tmp_path / "export", format="hf").path
    exported = transformers.AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
    with torch.no_grad():
        assert float((exported(x).logits - expected).abs().max()) < 1e-5
    chat = [{"role": "user", "content": "What is 2 + 2?"}]
    auto = transformers.AutoTokenizer.from_pretrained(out)
    assert auto.apply_chat_template(chat, add_generation_prompt=True, tokenize=True)["input_ids"] == \
        loaded.tokenizer.encode_chat(chat)
    assert json.loads((out / "generation_config.json").read_text())["eos_token_id"] == [257, 259]


def _edit_json(path, **changes):
    doc = json.loads(path.read_text())
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    path.write_text(json.dumps(doc))


class _Payload:
    def __reduce__(self):
        return (os.system, ("echo never run",))


def _lie_about_width(folder):
    _edit_json(folder / "config.json", intermediate_size=96)


def _drop_a_layer(folder):
    _edit_json(folder / "config.json", num_hidden_layers=1, layer_types=None)


def _remote_code(folder):
    _edit_json(folder / "config.json", auto_map={"AutoModelForCausalLM": "modeling_x.XForCausalLM"})
    (folder / "modeling_x.py").write_text("raise SystemExit('never imported')")


def _remote_tokenizer(folder):
    _edit_json(folder / "tokenizer_config.json", auto_map={"AutoTokenizer": ["tok.X", None]})


def _no_tokenizer(folder):
    (folder / "tokenizer.json").unlink()


def _pickle_weights(folder):
    (folder / "model.safetensors").unlink()
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps({"model.embed_tokens.weight": _Payload()}, protocol=2))


def _unknown_type(folder):
    _edit_json(folder / "config.json", model_type="no-such-model")


def _tokenizer_too_big(folder):
    _edit_json(folder / "config.json", vocab_size=200)


def _vault_state(studio):
    """Every file of the vault (name, bytes) and every row of its tables: what a refused import must not touch."""
    files = {str(p.relative_to(studio.paths.vault)): p.read_bytes()
             for p in sorted(studio.paths.vault.rglob("*")) if p.is_file()}
    with sqlite3.connect(studio.paths.db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'vault_%'")]
        rows = {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}
    return files, rows


@pytest.mark.parametrize("damage, message", [
    (_lie_about_width, r"wrong shape model\.layers\.0\.mlp\.down_proj\.weight \(32, 64\) \(the config says \(32, 96\)\)"),
    (_drop_a_layer, r"not in the model model\.layers\.1\."),
    (_remote_code, r"never runs a model's own code"),
    (_remote_tokenizer, r"tokenizer needs code from its own folder"),
    (_no_tokenizer, r"has no tokenizer\.json"),
    (_pickle_weights, r"pytorch_model\.bin is a PyTorch pickle file.*never unpickles.*'model\.safetensors'"),
    (_unknown_type, r"not one that transformers"),
    (_tokenizer_too_big, r"wrong shape|does not belong to this model"),
], ids=["lying-shape", "lying-layers", "auto_map", "tokenizer-auto_map", "no-tokenizer", "pickle", "unknown-type",
        "vocab"])
def test_a_folder_the_studio_cannot_run_is_refused_and_nothing_is_stored(studio, admin, make_user, tmp_path,
                                                                          damage, message):
    user = make_user("trainer")
    # a vault that already holds a model of that name: the refused folder would have been its version 2
    studio.vault.add_version(user, None, {"w": torch.arange(6.0)}, name="broken")
    before = _vault_state(studio)
    folder = save_folder("llama", tmp_path / "llama")
    damage(folder)
    for name in ("broken", "new-model"):
        with pytest.raises(ValidationError, match=message) as refused:
            studio.vault.import_path(user, folder, name=name)
        text = str(refused.value)
        assert "weights_only" not in text and "\x1b" not in text and "trusted source" not in text
        assert _vault_state(studio) == before
    assert [m.name for m in studio.vault.list_models(admin)] == ["broken"]
    assert [v.number for v in studio.vault.versions(user, "broken")] == [1]


def test_an_untested_model_type_is_stored_with_a_warning_and_runs(studio, make_user, tmp_path, capsys):
    import transformers

    user = make_user("trainer")
    config = transformers.OlmoConfig(vocab_size=272, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                     num_attention_heads=4, max_position_embeddings=64, bos_token_id=256,
                                     eos_token_id=257, pad_token_id=0)
    model = transformers.AutoModelForCausalLM.from_config(config).eval()
    folder = tmp_path / "olmo"
    model.save_pretrained(folder)
    (folder / "tokenizer.json").write_text(tokenizer_json(False))
    (folder / "tokenizer_config.json").write_text(json.dumps({"eos_token": "<|end_of_text|>"}))
    result = studio.vault.import_path(user, folder, name="olmo")
    assert len(result.warnings) == 1 and "'olmo' is supported by transformers but not tested" in result.warnings[0]
    assert result.version.metadata["model"]["tested"] is False
    loaded = studio.runs.load_model(user, "model:olmo")
    x = torch.tensor([[256, 72, 105]])
    with torch.no_grad():
        assert torch.allclose(loaded.family.forward(loaded.model, x)[0], model(x).logits, atol=1e-5)


def test_a_checkpoint_exported_as_a_folder_imports_back(studio, make_user, tmp_path):
    """Issue 14 item 13: a folder export holds only what the format defines; a checkpoint's training state
    stays out, and a folder that has one beside its weights still imports."""
    from studio.core.datasets.tokenizers import ByteTokenizer
    from studio.core.models.config import GPTConfig
    from studio.core.models.gpt import GPT, model_tensors
    from studio.core.vault.importers import json_artifact, tensors_artifact

    user = make_user("trainer")
    torch.manual_seed(0)
    gpt = GPT(GPTConfig(vocab_size=257, block_size=16, n_layer=1, n_head=2, n_embd=16)).eval()
    extra = [tensors_artifact("training-state.safetensors", "optimizer", {"optim/x": torch.zeros(3)}),
             json_artifact("training-state.json", "state", {"step": 3})]
    studio.vault.add_version(user, None, model_tensors(gpt), name="ckpt", config=gpt.config.to_dict(),
                             tokenizer=ByteTokenizer().to_json(), extra=extra, kind="checkpoint")
    out = studio.vault.export(user, "ckpt", tmp_path / "ckpt-hf", format="hf")
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "model.safetensors", "tokenizer.json"]
    (out / "training-state.safetensors").write_bytes(b"")  # as an older studio exported it: skipped now
    result = studio.vault.import_path(user, out, name="back")
    assert "training-state.safetensors" in result.skipped
    back = studio.runs.load_model(user, "model:back")
    x = torch.tensor([[1, 2, 3]])
    with torch.no_grad():
        assert torch.equal(back.model(x)[0], gpt(x)[0])


def test_an_imported_model_is_never_written_in_plaintext(studio, make_user, tmp_path, monkeypatch):
    """Import, load, generate and chat: no run of the weights, the tokenizer or the chat template appears in
    any file of the data folder (the database included), and nothing is written to the temporary folder."""
    import tempfile

    from tests.hf_families import CHATML

    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    user = make_user("trainer")
    folder = save_folder("qwen2", tmp_path / "qwen2")
    studio.vault.import_path(user, folder, name="q")
    "".join(studio.runs.sample(user, "model:q", "Once", SamplingConfig(max_new_tokens=4, greedy=True)))
    "".join(studio.runs.open_chat(user, "q", system="Be brief.").reply("Hi", SamplingConfig(max_new_tokens=4,
                                                                                             greedy=True)))
    weights = (folder / "model.safetensors").read_bytes()
    header = 8 + int.from_bytes(weights[:8], "little")
    needles = [weights[i:i + 24] for i in range(header, len(weights) - 24, 4099)]
    needles += [b"model.layers.0.self_attn.q_proj", CHATML[:40].encode(), b'"ByteLevel"']
    assert len(needles) > 20
    found = []
    for path in studio.paths.root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.name}: {n[:16]!r}" for n in needles if n in data]
    assert found == []
    assert list(private_tmp.iterdir()) == []
