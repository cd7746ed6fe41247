"""The studio's own tokenizers as real Hugging Face tokenizer files (tokenizer.json for `tokenizers`, with a
tokenizer_config.json and special_tokens_map.json), so that `AutoTokenizer.from_pretrained` and llama.cpp's
converter read an exported native model and encode text to the same ids as the studio does.

- byte: a byte-level BPE without merges: ByteLevel maps each UTF-8 byte to GPT-2's printable alphabet, and
  the vocabulary gives each of those 256 symbols its byte value as id; `<|endoftext|>` is id 256.
- char: a WordLevel model over single characters (a Split pre-tokenizer that isolates every code point),
  `<|endoftext|>` = 0 and `<unk>` = 1 as in the studio, characters in the studio's order from 2, a Fuse
  decoder so that decoding joins characters without spaces.
- BPE and a user's tokenizer.json already are `tokenizers` files: they are written as they are.

One difference remains by design of `tokenizers`: its added tokens are matched in text, so a text that
literally contains "<|endoftext|>" encodes to the end-of-text id there, while the studio encodes it as
characters (datasets/tokenizers.py never scans text for special tokens).
"""

from __future__ import annotations

import json
from typing import Any

from studio.core.datasets.tokenizers import EOS_TOKEN, UNK_TOKEN, ByteTokenizer, CharTokenizer, HFTokenizer


def _byte_level_alphabet() -> list[str]:
    """GPT-2's bytes_to_unicode: the printable character each byte value stands for, by byte value."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(
        range(ord("®"), ord("ÿ") + 1))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return [table[b] for b in range(256)]


def _added(token: str, token_id: int) -> dict[str, Any]:
    return {"id": token_id, "content": token, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": False, "special": True}


def byte_tokenizer_json() -> str:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    vocab = {symbol: b for b, symbol in enumerate(_byte_level_alphabet())}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    spec = json.loads(tok.to_str())
    spec["added_tokens"] = [_added(EOS_TOKEN, 256)]
    return json.dumps(spec, ensure_ascii=False)


def char_tokenizer_json(chars: str) -> str:
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers

    vocab = {EOS_TOKEN: 0, UNK_TOKEN: 1, **{c: i + 2 for i, c in enumerate(chars)}}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK_TOKEN))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    tok.decoder = decoders.Fuse()
    spec = json.loads(tok.to_str())
    spec["added_tokens"] = [_added(EOS_TOKEN, 0), _added(UNK_TOKEN, 1)]
    return json.dumps(spec, ensure_ascii=False)


def studio_tokenizer_files(text: Any, chat_template: str | None) -> dict[str, bytes]:
    """tokenizer.json, tokenizer_config.json and special_tokens_map.json for a studio tokenizer."""
    special = {"eos_token": text.eos_token}
    if isinstance(text, ByteTokenizer):
        body = byte_tokenizer_json()
    elif isinstance(text, CharTokenizer):
        body = char_tokenizer_json(text.chars)
        special["unk_token"] = UNK_TOKEN
    elif isinstance(text, HFTokenizer):
        body = text.to_json()
    else:  # pragma: no cover - every studio tokenizer is one of the above
        raise TypeError(f"no Hugging Face form for {type(text).__name__}")
    config: dict[str, Any] = {"tokenizer_class": "PreTrainedTokenizerFast", **special,
                              "clean_up_tokenization_spaces": False, "add_bos_token": False,
                              "add_eos_token": False}
    if chat_template:
        config["chat_template"] = chat_template

    def dump(doc: dict[str, Any]) -> bytes:
        return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")

    return {"tokenizer.json": body.encode("utf-8"), "tokenizer_config.json": dump(config),
            "special_tokens_map.json": dump(special)}
