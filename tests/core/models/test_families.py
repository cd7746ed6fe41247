"""The model-family interface over every supported family: built from config + tensors (assigned, not copied),
the same logits and greedy tokens as transformers itself, tensors and config round-trip, the Linear layers,
the files of the Hugging Face export (read back by transformers in tests/core/vault/test_hf_models.py), shape
checks, the tokenizer and its chat template."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from studio.core.errors import ValidationError
from studio.core.models.family import family_for_config, family_of
from studio.core.models.generate import SamplingConfig, generate
from tests.hf_families import EOS, FAMILIES, IM_END, hf_model, sample_ids, save_folder

transformers = pytest.importorskip("transformers")


def _folder_files(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix in (".json", ".jinja")}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("families")
    return {name: save_folder(name, root / name) for name in FAMILIES}


def _load(folder):
    config = json.loads((folder / "config.json").read_text())
    return config, load_file(folder / "model.safetensors")


def _max_diff(a, b):
    return float((a.detach().float() - b.detach().float()).abs().max())


@pytest.mark.parametrize("name", list(FAMILIES))
def test_a_family_runs_a_folder_as_transformers_does(folders, name, tmp_path):
    config, tensors = _load(folders[name])
    family = family_for_config(config)
    model = family.build(config, tensors)
    assert family_of(model) is family
    theirs = hf_model(name)
    x = sample_ids()
    with torch.no_grad():
        expected = theirs(x).logits
    logits, loss = family.forward(model, x)
    assert loss is None and _max_diff(logits, expected) < 1e-5

    # the weights are the given tensors, not copies (a load of N bytes needs N bytes)
    pointers = {t.data_ptr() for t in tensors.values()}
    assert all(p.data_ptr() in pointers for p in model.parameters())

    # greedy generation with the KV cache = without it = transformers' own generate
    prompt = [256, 72, 105]
    ours = list(generate(model, prompt, SamplingConfig(max_new_tokens=4, greedy=True)))
    assert ours == list(generate(model, prompt, SamplingConfig(max_new_tokens=4, greedy=True), use_cache=False))
    ref = theirs.generate(torch.tensor([prompt]), max_new_tokens=4, do_sample=False, eos_token_id=None,
                          pad_token_id=0)
    assert ours == ref[0, len(prompt):].tolist()

    # a loss over shifted targets, with -1 masked, is the cross-entropy of the rest
    targets = x[:, 1:].clone()
    targets[:, :5] = -1
    _, loss = family.forward(model, x[:, :-1], targets)
    ref_loss = torch.nn.functional.cross_entropy(expected[:, :-1][:, 5:].reshape(-1, expected.shape[-1]),
                                                 x[:, 6:].reshape(-1))
    assert abs(float(loss.detach()) - float(ref_loss)) < 1e-5

    # tensors and config out, and back in: the same model
    again = family_for_config(family.config(model)).build(family.config(model), family.tensors(model))
    assert _max_diff(family.forward(again, x)[0], expected) < 1e-5

    layers = family.linear_layers(model)
    assert layers and all(isinstance(m, torch.nn.Linear) for m in layers.values())
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else model.lm_head
    assert all(m is not head for m in layers.values())
    assert family.lora_targets(model)

    # its Hugging Face export (every file the family writes; read back by transformers: test_hf_models.py)
    out = tmp_path / "export"
    out.mkdir()
    written = family.export_hf(model, out, family.tokenizer(_folder_files(folders[name]), config))
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
            "generation_config.json"} <= set(written) == {p.name for p in out.iterdir()}


@pytest.mark.parametrize("name", ["llama", "qwen2", "gpt2", "gpt_neox"])
def test_a_config_that_lies_about_a_shape_is_refused_from_the_headers(folders, name):
    config, tensors = _load(folders[name])
    family = family_for_config(config)
    shapes = {n: tuple(t.shape) for n, t in tensors.items()}
    family.check_tensors(config, shapes)  # the truth passes
    lying = dict(config)
    key = "hidden_size" if "hidden_size" in config else "n_embd"
    lying[key] = config[key] * 2
    with pytest.raises(ValidationError, match="wrong shape"):
        family_for_config(lying).check_tensors(lying, shapes)
    fewer = {k: v for k, v in config.items() if k != "layer_types"}
    fewer["num_hidden_layers" if "num_hidden_layers" in config else "n_layer"] = 1
    with pytest.raises(ValidationError, match="not in the model"):
        family_for_config(fewer).check_tensors(fewer, shapes)


def test_which_family_runs_which_config():
    from studio.core.models.config import GPTConfig

    assert family_for_config(GPTConfig(vocab_size=10).to_dict()).name == "gpt"
    assert family_for_config({"model_type": "gpt2", "vocab_size": 10, "n_layer": 1, "n_head": 1, "n_embd": 4}).name == "gpt"
    # a GPT-2 option the native model cannot represent: transformers runs it
    odd = {"model_type": "gpt2", "vocab_size": 10, "n_layer": 1, "n_head": 1, "n_embd": 4,
           "reorder_and_upcast_attn": True}
    assert family_for_config(odd).name == "transformers"
    llama = family_for_config({"model_type": "llama", "vocab_size": 10})
    assert llama.name == "transformers" and llama.check_config({"model_type": "llama", "vocab_size": 10}).tested
    with pytest.raises(ValidationError, match="never runs a model's own code"):
        llama.check_config({"model_type": "llama", "vocab_size": 10, "auto_map": {"AutoModelForCausalLM": "x.Y"}})
    with pytest.raises(ValidationError, match="not one that transformers"):
        llama.check_config({"model_type": "no-such-model", "vocab_size": 10})
    with pytest.raises(ValidationError, match="not a causal language model"):
        llama.check_config({"model_type": "vit", "vocab_size": 10})
    spec = llama.check_config({"model_type": "olmo", "vocab_size": 10})
    assert not spec.tested and "not tested" in spec.notes[0]
    with pytest.raises(ValidationError, match="no config.json"):
        family_for_config(None)


@pytest.mark.parametrize("name", ["llama", "qwen2", "gemma2", "gpt2"])
def test_the_tokenizer_and_chat_template_give_transformers_ids(folders, name):
    folder = folders[name]
    config, tensors = _load(folder)
    family = family_for_config(config)
    tok = family.tokenizer(_folder_files(folder), config)
    theirs = transformers.AutoTokenizer.from_pretrained(folder)
    for text in ("Hello, world!", "  two spaces and ünïcödé ✓\nnew line"):
        assert tok.encode(text) == theirs(text)["input_ids"]
        assert tok.decode(tok.encode(text)) == text
    chat = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi there"},
            {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "And now?"}]
    assert tok.encode_chat(chat) == theirs.apply_chat_template(chat, add_generation_prompt=True, tokenize=True)["input_ids"]
    assert tok.render_chat(chat, add_generation_prompt=False) == theirs.apply_chat_template(chat, tokenize=False)
    assert tok.stop_ids[:2] == (257, 259) and tok.token_id(EOS) == 257 and tok.token_id(IM_END) == 259


def test_a_pruned_native_model_says_the_hf_layout_cannot_hold_it(tmp_path):
    from studio.core.models.config import GPTConfig
    from studio.core.models.families.gpt import FAMILY
    from studio.core.models.gpt import GPT

    model = GPT(GPTConfig(vocab_size=20, block_size=16, n_layer=2, n_head=2, n_embd=8, layer_mlp=(8, 16)))
    with pytest.raises(ValidationError, match="pruned"):
        FAMILY.export_hf(model, tmp_path)


def test_building_on_meta_leaves_other_threads_alone():
    """parameters_on_meta acts for the building thread only: a model another thread makes meanwhile gets
    real, initialised parameters."""
    import threading

    from torch import nn

    from studio.core.models.families.transformers_causal import parameters_on_meta

    inside, made = threading.Event(), {}

    def other():
        inside.wait()
        made["linear"] = nn.Linear(4, 4)

    thread = threading.Thread(target=other)
    thread.start()
    with parameters_on_meta():
        mine = nn.Linear(4, 4)
        inside.set()
        thread.join()
    assert mine.weight.is_meta and not made["linear"].weight.is_meta
    assert float(made["linear"].weight.detach().abs().sum()) > 0
    assert nn.Module.register_parameter.__name__ == "register_parameter"  # the patch is gone
