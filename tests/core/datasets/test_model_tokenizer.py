"""Datasets for fine-tuning a vault model: tokenized with the model's tokenizer, chat and prompt/response
records rendered with its chat template, the loss on the replies only (checked token by token)."""

import json

import numpy as np
import pytest

from studio.core.datasets.chat_template import ChatRenderer
from studio.core.datasets.encode import encode_block
from studio.core.errors import ValidationError
from tests.finetune_fixtures import chat_dataset, vault_family
from tests.hf_families import EOS, FAMILIES, IM_END, save_folder

CHAT = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi there"},
        {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "Bye"},
        {"role": "assistant", "content": " See you. "}]


def _tokenizer(family, tmp_path):
    from studio.core.models.family import family_for_config

    folder = save_folder(family, tmp_path / family)
    files = {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix in (".json", ".jinja")}
    config = json.loads(files["config.json"])
    return family_for_config(config).tokenizer(files, config)


# What each template writes after a reply's text (and how it writes the text): the tokens learned
EXPECTED_REPLIES = {
    "chatml": ["Hello!" + IM_END + "\n", " See you. " + IM_END + "\n"],
    "llama": ["Hello!" + EOS, "See you." + EOS],  # this template trims the content
}


@pytest.mark.parametrize("family", ["qwen2", "llama"])
def test_chat_records_render_with_the_template_and_only_replies_are_learned(tmp_path, family):
    tok = _tokenizer(family, tmp_path)
    parts = ChatRenderer(tok, family).chat(CHAT, tmp_path, "line 1")
    text = "".join(parts)
    flat, lengths, mask = encode_block(tok.dataset_tokenizer(), text, np.array([len(text)]),
                                       np.array([len(p) for p in parts]), np.array([len(parts)]))
    # the ids are exactly what transformers' apply_chat_template(tokenize=True) gives for the conversation
    assert flat.tolist() == tok.encode_chat(CHAT, add_generation_prompt=False)
    assert lengths.tolist() == [len(flat)]
    # token by token: 1 exactly on the replies with the template's end of turn, 0 on everything else
    learned, runs, current = [], [], []
    for token, m in zip(flat.tolist(), mask.tolist(), strict=True):
        if m:
            current.append(token)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    learned = [tok.decode(r, skip_special=False) for r in runs]
    key = "llama" if FAMILIES[family][2].startswith("{{ bos_token }}") else "chatml"
    assert learned == EXPECTED_REPLIES[key]
    assert int(mask.sum()) == sum(len(tok.encode_plain(r)) for r in EXPECTED_REPLIES[key])
    prompt_ids = [t for t, m in zip(flat.tolist(), mask.tolist(), strict=True) if not m]
    assert "Hi there" in tok.decode(prompt_ids) and "Be brief." in tok.decode(prompt_ids)


def test_a_template_that_rewrites_earlier_turns_is_refused(tmp_path):
    tok = _tokenizer("qwen2", tmp_path)
    tok.chat_template = ("{% for m in messages %}{{ m['role'] ~ ':' ~ m['content'] ~ (messages|length) ~ '\\n' }}"
                         "{% endfor %}")
    with pytest.raises(ValidationError, match="changes earlier turns"):
        ChatRenderer(tok, "odd").chat(CHAT, tmp_path, "line 3")


def test_an_import_with_the_models_tokenizer_keeps_it_and_masks_the_replies(studio, make_user, tmp_path):
    user = make_user("trainer")
    vault_family(studio, user, "qwen2", tmp_path, name="q")
    info = chat_dataset(studio, user, "q", tmp_path)
    assert info.kind == "sft" and info.options["tokenizer_of"] == "q:1" and info.vocab_size == 260
    arrays = studio.datasets.open_arrays(user, info.id)
    model = studio.vault.load(user, "q", roles={"tokenizer", "config"})
    assert arrays.tokenizer_json == model.tokenizer  # the very file: a run can tell it is the model's
    assert 0 < arrays.train_mask.mean() < 0.6  # replies learned, prompts not
    assert int(arrays.train.max()) < 260


def test_a_dataset_of_another_tokenizer_is_refused_naming_both(studio, make_user, tmp_path, small_dataset):
    from studio.core.services.runs import RunSettings

    user = make_user("trainer")
    vault_family(studio, user, "llama", tmp_path, name="tl")
    small_dataset(user, encrypt=False, name="stories")
    with pytest.raises(ValidationError) as info:
        studio.runs.plan(user, RunSettings(dataset="stories", source="tl", preset=None), estimate=False)
    text = str(info.value)
    assert info.value.field == "dataset" and "another tokenizer" in text
    assert "char (" in text and "file (260 tokens)" in text and "--tokenizer-of tl:1" in text
