"""Chat through the run service: the model's own template (as transformers renders and encodes it), streamed
replies that end at the end-of-turn ids, multi-turn conversations, stopped replies kept, long conversations
trimmed to the context, and the studio's own chat format for native models."""

from __future__ import annotations

import pytest
import torch

from studio.core.errors import ValidationError
from studio.core.models.generate import SamplingConfig
from studio.core.services.runs.chat import prompt_ids, sampling_for
from tests.hf_families import hf_model, save_folder

transformers = pytest.importorskip("transformers")

GREEDY = SamplingConfig(max_new_tokens=6, greedy=True)


@pytest.fixture
def qwen(studio, make_user, tmp_path):
    user = make_user("trainer")
    folder = save_folder("qwen2", tmp_path / "qwen")
    studio.vault.import_path(user, folder, name="qwen")
    return user, folder


def _reference_reply(folder, messages, name="qwen2", tokens=6):
    """What transformers generates for the conversation (greedy), up to the first end-of-turn id."""
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    ids = tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)["input_ids"]
    out = hf_model(name).generate(torch.tensor([ids]), max_new_tokens=tokens, do_sample=False, pad_token_id=0,
                                  eos_token_id=None)[0, len(ids):].tolist()
    out = out[: next((n for n, i in enumerate(out) if i in (257, 259)), len(out))]
    return ids, out, tok


def test_a_conversation_is_prompted_as_transformers_prompts_it(studio, qwen):
    user, folder = qwen
    chat = studio.runs.open_chat(user, "qwen", system="Be brief.")
    first = "".join(chat.reply("Hello there", GREEDY))
    ids, out, tok = _reference_reply(folder, [{"role": "system", "content": "Be brief."},
                                              {"role": "user", "content": "Hello there"}])
    assert first in {tok.decode(out[:k], skip_special_tokens=True) for k in range(len(out) + 1)}
    assert [m["role"] for m in chat.messages] == ["system", "user", "assistant"]
    assert chat.messages[-1]["content"] == first

    # the second turn's prompt holds the whole conversation, rendered by the template
    history = chat.messages + [{"role": "user", "content": "And?"}]
    ours, dropped = prompt_ids(chat.loaded, history, 6)
    assert dropped == 0 and ours == tok.apply_chat_template(history, add_generation_prompt=True,
                                                              tokenize=True)["input_ids"]
    "".join(chat.reply("And?", GREEDY))
    assert len(chat.messages) == 5
    chat.reset()
    assert chat.messages == [{"role": "system", "content": "Be brief."}]


def test_a_stopped_reply_is_kept_as_far_as_it_got(studio, qwen):
    user, _ = qwen
    chat = studio.runs.open_chat(user, "qwen")
    stream = chat.reply("Hi", SamplingConfig(max_new_tokens=40, temperature=1.0, seed=3))
    got = []
    for piece in stream:
        got.append(piece)
        break
    stream.close()
    assert chat.messages[-1] == {"role": "assistant", "content": "".join(got)}
    stops = iter([False, False, True])
    text = "".join(chat.reply("Again", SamplingConfig(max_new_tokens=40, seed=3), should_stop=lambda: next(stops, True)))
    assert chat.messages[-1]["content"] == text


def test_the_stateless_chat_call_gives_the_same_reply(studio, qwen):
    user, _ = qwen
    messages = [{"role": "user", "content": "Hello there"}]
    a = "".join(studio.runs.chat(user, "qwen", messages, GREEDY))
    chat = studio.runs.open_chat(user, "qwen")
    assert a == "".join(chat.reply("Hello there", GREEDY))
    with pytest.raises(ValidationError, match="end the conversation with one"):
        studio.runs.chat(user, "qwen", [{"role": "assistant", "content": "x"}], GREEDY)


def test_a_long_conversation_loses_its_oldest_turns(studio, qwen):
    user, _ = qwen
    loaded = studio.runs.load_model(user, "model:qwen")  # context 128 tokens, a byte per token
    turns = [{"role": "system", "content": "S"}]
    for n in range(6):
        turns += [{"role": "user", "content": f"question {n}"}, {"role": "assistant", "content": f"answer {n}"}]
    turns.append({"role": "user", "content": "last"})
    ids, dropped = prompt_ids(loaded, turns, 8)
    assert dropped > 0 and len(ids) + 8 <= 128
    assert loaded.tokenizer.decode(ids, skip_special=False).startswith("<|im_start|>system\nS")
    with pytest.raises(ValidationError, match="reads at most 128"):
        prompt_ids(loaded, [{"role": "user", "content": "x" * 200}], 8)


def test_a_native_model_chats_in_the_studio_format(studio, make_user):
    from studio.core.datasets.tokenizers import ByteTokenizer
    from studio.core.models.config import GPTConfig
    from studio.core.models.gpt import GPT, model_tensors

    user = make_user("trainer")
    gpt = GPT(GPTConfig(vocab_size=257, block_size=64, n_layer=1, n_head=2, n_embd=16)).eval()
    studio.vault.add_version(user, None, model_tensors(gpt), name="native", config=gpt.config.to_dict(),
                             tokenizer=ByteTokenizer().to_json())
    chat = studio.runs.open_chat(user, "native", system="Be kind.")
    text = chat.loaded.tokenizer.render_chat(chat.messages + [{"role": "user", "content": "Hi"}])
    assert text == "system: Be kind.\nuser: Hi\nassistant: "  # as datasets/fields.py renders chat data
    assert chat.loaded.tokenizer.stop_strings == ("\nuser:",)
    reply = "".join(chat.reply("Hi", SamplingConfig(max_new_tokens=30, seed=1)))
    assert "\nuser:" not in reply


def test_a_model_without_a_chat_template_cannot_chat(studio, make_user, tmp_path):
    import json

    user = make_user("trainer")
    folder = save_folder("llama", tmp_path / "plain")
    config = json.loads((folder / "tokenizer_config.json").read_text())
    del config["chat_template"]
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    studio.vault.import_path(user, folder, name="plain")
    assert studio.vault.show(user, "plain").versions[0].metadata["model"]["chat_template"] is False
    with pytest.raises(ValidationError, match="no chat template"):
        studio.runs.open_chat(user, "plain")
    assert "".join(studio.runs.sample(user, "model:plain", "raw text", GREEDY)) is not None


def test_sampling_settings_come_from_the_generation_config():
    class Tok:
        generation_config = {"do_sample": True, "temperature": 0.6, "top_p": 0.9, "top_k": 20}

    s = sampling_for(Tok())
    assert (s.temperature, s.top_p, s.top_k, s.greedy) == (0.6, 0.9, 20, False)
    assert sampling_for(Tok(), temperature=1.0, top_k=5).top_k == 5
    Tok.generation_config = {"do_sample": False}
    assert sampling_for(Tok()).greedy
    assert sampling_for(object()).temperature == 0.7
