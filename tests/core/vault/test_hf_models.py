"""Hugging Face folders of every supported family in the vault: imported encrypted with their tokenizer files,
then run through the family interface by the run service (studio.runs.sample), as transformers runs them;
folders the studio cannot run refused with the reason and nothing stored."""

from __future__ import annotations

import json
import os
import pickle

import pytest
import torch

from studio.core.errors import ValidationError
from studio.core.models.generate import SamplingConfig, generate
from tests.hf_families import FAMILIES, hf_model, save_folder, tokenizer_json

pytest.importorskip("transformers")


@pytest.mark.parametrize("name", list(FAMILIES))
def test_an_imported_folder_runs_as_transformers_runs_it(studio, make_user, tmp_path, name):
    from tokenizers import Tokenizer

    user = make_user("trainer")
    folder = save_folder(name, tmp_path / name)
    result = studio.vault.import_path(user, folder, name=f"tiny-{name}")
    assert result.version.number == 1
    files = studio.vault.load(user, f"tiny-{name}", roles={"config", "tokenizer"}).files
    assert {"config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json"} <= set(files)

    prompt = "Once"
    loaded = studio.runs.load_model(user, f"model:tiny-{name}")
    hf_tok = Tokenizer.from_str(tokenizer_json(FAMILIES[name][3]))
    ids = hf_tok.encode(prompt).ids
    assert loaded.tokenizer.encode(prompt) == ids and loaded.tokenizer.stop_ids[:2] == (257, 259)
    x = torch.tensor([ids + list(range(60, 80))])
    with torch.no_grad():  # the decrypted model is transformers' model (its generation: test_families.py)
        assert float((loaded.family.forward(loaded.model, x)[0] - hf_model(name)(x).logits).abs().max()) < 1e-5

    # the text stream: up to the first stop id, whole characters only (a byte-level token may end mid-character)
    ref = list(generate(loaded.model, ids, SamplingConfig(max_new_tokens=6, greedy=True)))
    text = "".join(studio.runs.sample(user, f"model:tiny-{name}", prompt, SamplingConfig(max_new_tokens=6, greedy=True)))
    ref = ref[: next((n for n, i in enumerate(ref) if i in (257, 259)), len(ref))]
    assert text in {hf_tok.decode(ref[:k], skip_special_tokens=True) for k in range(len(ref) + 1)}


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


@pytest.mark.parametrize("damage, message", [
    (_lie_about_width, r"wrong shape model\.layers\.0\.mlp\.down_proj\.weight \(32, 64\) \(the config says \(32, 96\)\)"),
    (_drop_a_layer, r"not in the model model\.layers\.1\."),
    (_remote_code, r"never runs a model's own code"),
    (_remote_tokenizer, r"tokenizer needs code from its own folder"),
    (_no_tokenizer, r"has no tokenizer\.json"),
    (_pickle_weights, r"pytorch_model\.bin was refused: it is not a plain weights file.*asks to run posix\.system"),
    (_unknown_type, r"not one that transformers"),
    (_tokenizer_too_big, r"wrong shape|does not belong to this model"),
], ids=["lying-shape", "lying-layers", "auto_map", "tokenizer-auto_map", "no-tokenizer", "pickle", "unknown-type",
        "vocab"])
def test_a_folder_the_studio_cannot_run_is_refused_and_nothing_is_stored(studio, admin, make_user, tmp_path,
                                                                          damage, message):
    user = make_user("trainer")
    folder = save_folder("llama", tmp_path / "llama")
    damage(folder)
    with pytest.raises(ValidationError, match=message) as refused:
        studio.vault.import_path(user, folder, name="broken")
    text = str(refused.value)
    assert "weights_only" not in text and "\x1b" not in text and "trusted source" not in text
    assert studio.vault.list_models(admin) == []
    assert not list((studio.paths.vault / "blobs").iterdir())


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
