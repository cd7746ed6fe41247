"""A model's tokenizer as GGUF metadata, so that llama.cpp turns text into the ids the studio gives.

llama.cpp runs two kinds of tokenizer from a GGUF file: "gpt2" (byte-level BPE: tokens spelled in GPT-2's
byte-to-unicode alphabet, ranked merges, a pre-tokenizer chosen by name from the regexes llama.cpp compiles in)
and "llama" (SentencePiece-style: tokens with scores, byte-fallback tokens <0xXX>). What each studio tokenizer
becomes:

- byte: the 256 byte symbols with their byte values as ids and `<|endoftext|>` at 256, no merges: llama.cpp
  gives the studio's ids for every text.
- char: each character spelled as its UTF-8 bytes in the byte alphabet, and merges that join the bytes of
  each multi-byte character (ranked before anything else; a merge never crosses a character, since a UTF-8
  lead byte always starts one): the studio's ids for every text made of the tokenizer's characters. A
  character outside them is <unk> in the studio and left out by llama.cpp (it finds no token for its bytes).
- a Hugging Face byte-level BPE (the studio's own BPE, Llama 3, Qwen2, SmolLM, GPT-2 ...): its vocabulary and
  merges as they are; the pre-tokenizer is matched by its regex to llama.cpp's name ("gpt-2", "llama-bpe",
  "qwen2", "smollm"). The studio's BPE splits words with its own ASCII pattern (datasets/fast_bpe.py), which
  llama.cpp has no name for: it gets "gpt-2", the nearest (same words, spaces and digits for plain prose; runs
  of several spaces and apostrophes split differently), and the export says so.
- a Hugging Face BPE with byte fallback and the SentencePiece "▁" space (Llama 2, Mistral, Gemma, Phi-3): the
  "llama" model, each token scored by the rank of the merge that makes it (llama.cpp merges the best-scored
  pair first, which is BPE's order).

Special tokens (added tokens marked special, the end of text) are CONTROL tokens, which llama.cpp never
matches in plain text, as the studio never does. The vocabulary is padded to the model's embedding rows with
unused [PAD<i>] tokens (checkpoints often have more rows than tokens; llama.cpp wants them equal).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from studio.core.errors import ValidationError

# llama.cpp's pre-tokenizer names by the regex of the tokenizer.json Split that precedes ByteLevel.
_LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
                 r"\s*[\r\n]+|\s+(?!\S)|\s+")
_QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
                r"\s*[\r\n]+|\s+(?!\S)|\s+")
_GPT2_REGEX = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
PRE_BY_REGEX = {_LLAMA3_REGEX: "llama-bpe", _QWEN2_REGEX: "qwen2", _GPT2_REGEX: "gpt-2"}

NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6  # gguf.TokenType values


@dataclass
class Vocab:
    model: str  # "gpt2" | "llama"
    pre: str | None
    tokens: list[str]
    types: list[int]
    merges: list[str] = field(default_factory=list)
    scores: list[float] | None = None
    bos: int | None = None
    eos: int | None = None
    unk: int | None = None
    pad: int | None = None
    add_bos: bool = False
    add_space_prefix: bool | None = None
    notes: list[str] = field(default_factory=list)

    def pad_to(self, size: int) -> None:
        if len(self.tokens) > size:
            raise ValidationError(f"The tokenizer has {len(self.tokens):,} tokens but the model only {size:,} "
                                  "embeddings; it cannot be written as one GGUF vocabulary.")
        for i in range(len(self.tokens), size):
            self.tokens.append(f"[PAD{i}]")
            self.types.append(UNUSED)
            if self.scores is not None:
                self.scores.append(-1e9)


def byte_alphabet() -> list[str]:
    from studio.core.models.tokenizer_export import _byte_level_alphabet

    return _byte_level_alphabet()


def vocab_for(tokenizer: Any, vocab_size: int) -> Vocab:
    """The GGUF vocabulary of a ModelTokenizer (or a studio datasets Tokenizer), padded to `vocab_size`."""
    from studio.core.datasets.tokenizers import ByteTokenizer, CharTokenizer

    text = getattr(tokenizer, "text", None)
    hf = getattr(tokenizer, "hf", None)
    if text is None and hf is None:  # a studio datasets Tokenizer given directly
        text = tokenizer
    if isinstance(text, ByteTokenizer):
        vocab = _byte_vocab(text)
    elif isinstance(text, CharTokenizer):
        vocab = _char_vocab(text)
    else:
        spec = json.loads(text.to_json() if text is not None else hf.to_str())
        vocab = _hf_vocab(spec)
        if text is not None:
            vocab.add_bos = False  # the studio adds nothing to a prompt (as in training)
        elif tokenizer.bos_id is not None:
            vocab.bos = tokenizer.bos_id
            vocab.add_bos = tokenizer.encode("a")[:1] == [tokenizer.bos_id]  # its post-processor adds BOS
    stops = list(getattr(tokenizer, "stop_ids", ()) or ())
    if stops:
        vocab.eos = stops[0]
    elif vocab.eos is None and getattr(text, "eos_id", None) is not None:
        vocab.eos = int(text.eos_id)
    vocab.pad_to(vocab_size)
    return vocab


def _byte_vocab(text: Any) -> Vocab:
    tokens = byte_alphabet() + [text.eos_token]
    types = [NORMAL] * 256 + [CONTROL]
    return Vocab("gpt2", "gpt-2", tokens, types, eos=int(text.eos_id))


def _char_vocab(text: Any) -> Vocab:
    from studio.core.datasets.tokenizers import EOS_TOKEN, UNK_TOKEN

    alphabet = byte_alphabet()
    tokens, types, merges = [EOS_TOKEN, UNK_TOKEN], [CONTROL, UNKNOWN], []
    seen: set[str] = set()
    for ch in text.chars:
        spelled = [alphabet[b] for b in ch.encode("utf-8")]
        tokens.append("".join(spelled))
        types.append(NORMAL)
        for i in range(1, len(spelled)):  # join the character's bytes left to right
            merge = f"{''.join(spelled[:i])} {spelled[i]}"
            if merge not in seen:
                seen.add(merge)
                merges.append(merge)
    vocab = Vocab("gpt2", "gpt-2", tokens, types, merges, eos=0, unk=1)
    vocab.notes.append("Characters outside this tokenizer's alphabet are <unk> in the studio; llama.cpp leaves "
                       "them out.")
    return vocab


def _pre_tokenizer(spec: dict[str, Any]) -> tuple[str, bool]:
    """(llama.cpp's pre-tokenizer name, whether it is exact) of a byte-level tokenizer.json."""
    from studio.core.datasets.fast_bpe import BPE_PATTERN

    pre = spec.get("pre_tokenizer") or {}
    parts = pre.get("pretokenizers", []) if pre.get("type") == "Sequence" else [pre]
    kinds = [p.get("type") for p in parts]
    if kinds == ["ByteLevel"] and parts[0].get("use_regex", True):
        return "gpt-2", True
    if kinds == ["Digits", "ByteLevel"] and parts[0].get("individual_digits") and parts[1].get("use_regex", True):
        return "smollm", True
    if kinds == ["Split", "ByteLevel"] and not parts[1].get("use_regex", True):
        regex = (parts[0].get("pattern") or {}).get("Regex")
        if regex in PRE_BY_REGEX:
            return PRE_BY_REGEX[regex], True
        if regex == BPE_PATTERN:
            return "gpt-2", False
    return "default", False


def _hf_vocab(spec: dict[str, Any]) -> Vocab:
    model = spec.get("model") or {}
    if model.get("type") != "BPE":
        raise ValidationError(f"A {model.get('type')!r} tokenizer cannot be written into GGUF (llama.cpp reads "
                              "byte-level BPE and SentencePiece-style tokenizers).", field="format")
    vocab: dict[str, int] = dict(model.get("vocab") or {})
    added = {a["content"]: a for a in spec.get("added_tokens") or []}
    for text, a in added.items():
        vocab[text] = int(a["id"])
    size = max(vocab.values()) + 1
    tokens = [f"[PAD{i}]" for i in range(size)]
    types = [UNUSED] * size
    for text, i in vocab.items():
        tokens[i] = text
        a = added.get(text)
        types[i] = NORMAL if a is None else (CONTROL if a.get("special") else USER_DEFINED)
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges") or []]
    unk = vocab.get(model["unk_token"]) if model.get("unk_token") else None
    if model.get("byte_fallback"):
        return _spm_vocab(tokens, types, merges, vocab, unk, spec)
    pre, exact = _pre_tokenizer(spec)
    out = Vocab("gpt2", pre, tokens, types, merges, unk=unk)
    if not exact:
        out.notes.append(f"llama.cpp has no pre-tokenizer that splits text exactly as this tokenizer does; the "
                         f"nearest ({pre!r}) splits plain prose the same, runs of spaces and some punctuation "
                         "differently.")
    return out


def _spm_vocab(tokens: list[str], types: list[int], merges: list[str], vocab: dict[str, int], unk: int | None,
               spec: dict[str, Any]) -> Vocab:
    scores = [0.0] * len(tokens)
    for rank, merge in enumerate(merges):
        i = vocab.get(merge.replace(" ", "", 1))
        if i is not None and scores[i] == 0.0:
            scores[i] = -float(rank + 1)
    for i, t in enumerate(tokens):
        if len(t) == 6 and t.startswith("<0x") and t.endswith(">"):
            types[i] = BYTE
    normalizer = json.dumps(spec.get("normalizer") or {})
    pre = json.dumps(spec.get("pre_tokenizer") or {})
    prefix = '"prepend": "\\u2581"' in normalizer or '"prepend_scheme": "always"' in pre
    return Vocab("llama", None, tokens, types, scores=scores, unk=unk, add_space_prefix=prefix)


def write_vocab(writer: Any, vocab: Vocab, chat_template: str | None) -> None:
    """The tokenizer.ggml.* keys (and tokenizer.chat_template) on a gguf.GGUFWriter."""
    writer.add_tokenizer_model(vocab.model)
    if vocab.pre is not None:
        writer.add_tokenizer_pre(vocab.pre)
    writer.add_token_list(vocab.tokens)
    writer.add_token_types(vocab.types)
    if vocab.scores is not None:
        writer.add_token_scores(vocab.scores)
    if vocab.model == "gpt2":
        # llama.cpp requires the merges key and the gguf package drops an empty array: a vocabulary without
        # merges gets one that can never apply (a control token is never a symbol of the text).
        control = next((t for t, k in zip(vocab.tokens, vocab.types, strict=True) if k == CONTROL), "[PAD]")
        writer.add_token_merges(vocab.merges or [f"{control} {control}"])
    if vocab.bos is not None:
        writer.add_bos_token_id(vocab.bos)
    elif vocab.eos is not None:
        writer.add_bos_token_id(vocab.eos)
    if vocab.eos is not None:
        writer.add_eos_token_id(vocab.eos)
    if vocab.unk is not None:
        writer.add_unk_token_id(vocab.unk)
    if vocab.pad is not None:
        writer.add_pad_token_id(vocab.pad)
    writer.add_add_bos_token(vocab.add_bos)
    writer.add_add_eos_token(False)
    if vocab.add_space_prefix is not None:
        writer.add_add_space_prefix(vocab.add_space_prefix)
    if chat_template:
        writer.add_chat_template(chat_template)
