"""Tiny random models of every Hugging Face family the studio supports, built in-process with `transformers`
and saved as real folders (config.json, model.safetensors, tokenizer.json, tokenizer_config.json with a chat
template, generation_config.json), with a real tokenizer built here by `tokenizers` (no downloads).

    folder = save_folder("llama", tmp_path / "tl")      # -> Path, and the transformers model in MODELS cache

Each model has hidden size 32, 2 layers and a vocabulary of 272 (a byte-level tokenizer of 256 symbols plus
chat tokens; the embedding is larger than the tokenizer, as in Qwen's real checkpoints). Weights get a
random nudge so that every tensor matters (a mix-up of any two shows in the logits).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

VOCAB = 272
BOS, EOS, IM_START, IM_END = "<|begin_of_text|>", "<|end_of_text|>", "<|im_start|>", "<|im_end|>"
SPECIALS = (BOS, EOS, IM_START, IM_END)  # ids 256..259

CHATML = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
          "'<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
# Llama-3 style: the template writes BOS itself, from the special tokens it is given.
LLAMA = ("{{ bos_token }}{% for message in messages %}{{ '<|im_start|>' + message['role'] + '<|im_end|>\\n\\n' + "
         "message['content'] | trim + eos_token }}{% endfor %}{% if add_generation_prompt %}"
         "{{ '<|im_start|>assistant<|im_end|>\\n\\n' }}{% endif %}")

_LLAMA_LIKE = dict(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                   num_key_value_heads=2, max_position_embeddings=128)

# name -> (config class name, config kwargs, chat template, tokenizer adds BOS)
FAMILIES: dict[str, tuple[str, dict[str, Any], str, bool]] = {
    "llama": ("LlamaConfig", _LLAMA_LIKE, LLAMA, True),
    "llama3-rope": ("LlamaConfig", {**_LLAMA_LIKE, "rope_scaling": {
        "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
        "original_max_position_embeddings": 32}}, LLAMA, True),
    "smollm2": ("LlamaConfig", {**_LLAMA_LIKE, "tie_word_embeddings": True}, CHATML, False),
    "qwen2": ("Qwen2Config", {**_LLAMA_LIKE, "tie_word_embeddings": True}, CHATML, False),
    "qwen3": ("Qwen3Config", {**_LLAMA_LIKE, "head_dim": 8}, CHATML, False),
    "mistral": ("MistralConfig", {**_LLAMA_LIKE, "sliding_window": 16}, LLAMA, True),
    "phi3": ("Phi3Config", {**_LLAMA_LIKE, "pad_token_id": 0}, CHATML, False),
    "gemma2": ("Gemma2Config", {**_LLAMA_LIKE, "head_dim": 8, "sliding_window": 16}, LLAMA, True),
    "gemma3_text": ("Gemma3TextConfig", {**_LLAMA_LIKE, "head_dim": 8, "sliding_window": 16}, LLAMA, True),
    "gpt2": ("GPT2Config", dict(vocab_size=VOCAB, n_embd=32, n_layer=2, n_head=4, n_positions=128), CHATML, False),
    "gpt_neox": ("GPTNeoXConfig", dict(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                       num_attention_heads=4, max_position_embeddings=128), CHATML, False),
}


def tokenizer_json(add_bos: bool) -> str:
    """A byte-level BPE without merges (ids 0..255 are the bytes) plus four special tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors

    from studio.core.models.tokenizer_export import _byte_level_alphabet

    vocab = {symbol: b for b, symbol in enumerate(_byte_level_alphabet())}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(list(SPECIALS))
    if add_bos:
        tok.post_processor = processors.TemplateProcessing(single=f"{BOS} $A", pair=f"{BOS} $A {BOS} $B",
                                                           special_tokens=[(BOS, 256)])
    return tok.to_str()


@cache
def hf_model(name: str) -> Any:
    """The transformers model of a family (random, nudged, eval mode); cached per test session."""
    import torch
    import transformers

    cls_name, kwargs, _, _ = FAMILIES[name]
    config = getattr(transformers, cls_name)(bos_token_id=256, eos_token_id=257, **kwargs)
    torch.manual_seed(sum(map(ord, name)))
    model = transformers.AutoModelForCausalLM.from_config(config).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return model


def save_folder(name: str, folder: Path, *, max_shard_size: str | None = None) -> Path:
    """A Hugging Face folder of the family `name`, as save_pretrained writes it, with tokenizer files."""
    _, _, template, add_bos = FAMILIES[name]
    model = hf_model(name)
    folder = Path(folder)
    model.save_pretrained(folder, **({"max_shard_size": max_shard_size} if max_shard_size else {}))
    (folder / "tokenizer.json").write_text(tokenizer_json(add_bos), encoding="utf-8")
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": BOS, "eos_token": EOS,
              "chat_template": template, "model_max_length": 128}
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    generation = json.loads((folder / "generation_config.json").read_text()) if (
        folder / "generation_config.json").exists() else {}
    generation.update({"bos_token_id": 256, "eos_token_id": [257, 259]})
    (folder / "generation_config.json").write_text(json.dumps(generation, indent=2), encoding="utf-8")
    return folder


def sample_ids(n: int = 2, length: int = 20, seed: int = 1) -> Any:
    import torch

    return torch.randint(0, VOCAB, (n, length), generator=torch.Generator().manual_seed(seed))
