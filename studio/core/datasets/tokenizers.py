"""Tokenizers: one small interface over byte-level, character-level, BPE (Hugging Face `tokenizers`,
trained on the data) and a user's tokenizer.json.

    tok.encode(text) -> list[int]          tok.decode(ids) -> str
    tok.vocab_size, tok.eos_id             tok.to_json() -> str;  load_tokenizer(json_text) restores any
    tok.encode_many(texts) -> (ids, lengths)   the import's batch path (numpy, no per-token Python)
    tok.token_spans(text) -> [(id, start, end)]  character spans, for the preview's token colouring

The JSON is saved with the dataset and travels with every model trained on it. Byte and character
tokenizers use a small JSON of our own ({"studio_tokenizer": ...}); BPE and user tokenizers are plain
Hugging Face tokenizer.json files, loadable by `tokenizers` and `transformers` as they are.

Text is never scanned for special-token strings: a document that contains the characters
"<|endoftext|>" is encoded as those characters, so user text cannot inject a document boundary.
(A user's own tokenizer.json goes through Hugging Face's encoder, which does match its added tokens.)
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from studio.core.datasets.fast_bpe import BPE_PATTERN, FastWordEncoder
from studio.core.errors import ValidationError

EOS_TOKEN = "<|endoftext|>"
UNK_TOKEN = "<unk>"
FORMAT_VERSION = 1

EOS_CANDIDATES = ("<|endoftext|>", "</s>", "<|end_of_text|>", "<eos>", "<|eos|>")
MAX_TOKENIZER_JSON = 200 * 1024 * 1024


class Tokenizer(ABC):
    kind: str = ""
    eos_token: str = EOS_TOKEN
    unknown_id: int | None = None

    @property
    @abstractmethod
    def vocab_size(self) -> int: ...

    @property
    @abstractmethod
    def eos_id(self) -> int: ...

    @abstractmethod
    def encode(self, text: str) -> list[int]: ...

    @abstractmethod
    def decode(self, ids: Iterable[int], skip_special: bool = True) -> str: ...

    @abstractmethod
    def to_json(self) -> str: ...

    @abstractmethod
    def token_spans(self, text: str) -> list[tuple[int, int, int]]:
        """(token id, start, end) with character offsets into `text`, in order."""

    def encode_many(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """All texts encoded: (the ids one after another as uint32, the number of ids of each text)."""
        parts = [np.asarray(self.encode(t), dtype=np.uint32) for t in texts]
        lengths = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
        flat = np.concatenate(parts) if parts else np.zeros(0, np.uint32)
        return flat, lengths

    def token_text(self, token_id: int) -> str:
        """A readable form of one token (for tables of frequent tokens)."""
        return self.decode([token_id], skip_special=False)

    @property
    def dtype(self) -> np.dtype:
        return array_dtype(self.vocab_size)

    def describe(self) -> str:
        return f"{self.kind} ({self.vocab_size:,} tokens)"


def array_dtype(vocab_size: int) -> np.dtype:
    """uint16 when every id fits, else uint32."""
    return np.dtype(np.uint16) if vocab_size <= 65536 else np.dtype(np.uint32)


# -- byte level --------------------------------------------------------------------------------------------


class ByteTokenizer(Tokenizer):
    """The 256 byte values of UTF-8 text, plus the end-of-document token (id 256)."""

    kind = "byte"

    @property
    def vocab_size(self) -> int:
        return 257

    @property
    def eos_id(self) -> int:
        return 256

    def encode(self, text: str) -> list[int]:
        return list(text.encode("utf-8"))

    def decode(self, ids: Iterable[int], skip_special: bool = True) -> str:
        out, raw = [], bytearray()
        for i in ids:
            if i == 256:
                out.append(raw.decode("utf-8", errors="replace"))
                raw.clear()
                if not skip_special:
                    out.append(EOS_TOKEN)
            else:
                raw.append(int(i))
        out.append(raw.decode("utf-8", errors="replace"))
        return "".join(out)

    def encode_many(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        encoded = [t.encode("utf-8") for t in texts]
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        flat = np.frombuffer(b"".join(encoded), dtype=np.uint8).astype(np.uint32)
        return flat, lengths

    def token_spans(self, text: str) -> list[tuple[int, int, int]]:
        spans = []
        for pos, ch in enumerate(text):
            for b in ch.encode("utf-8"):
                spans.append((b, pos, pos + 1))
        return spans

    def token_text(self, token_id: int) -> str:
        if token_id == 256:
            return EOS_TOKEN
        ch = chr(token_id)
        return ch if 32 < token_id < 127 else f"<0x{token_id:02X}>"

    def to_json(self) -> str:
        return json.dumps({"studio_tokenizer": "byte", "version": FORMAT_VERSION, "eos_token": EOS_TOKEN})


# -- character level ---------------------------------------------------------------------------------------


class CharTokenizer(Tokenizer):
    """One id per character seen in the data. Id 0 ends a document, id 1 stands for a character the
    vocabulary does not have (text encoded later, e.g. a prompt typed in the training pane)."""

    kind = "char"
    unknown_id = 1

    def __init__(self, chars: str):
        if len(set(chars)) != len(chars):
            raise ValidationError("A character tokenizer lists a character twice.")
        self.chars = chars
        self._ids = {c: i + 2 for i, c in enumerate(chars)}
        self._lut: np.ndarray | None = None

    @classmethod
    def from_counts(cls, counts: np.ndarray) -> CharTokenizer:
        """From a histogram over code points (index = code point): the characters that occur, in
        code-point order (deterministic, independent of frequency ties)."""
        return cls("".join(map(chr, np.flatnonzero(counts).tolist())))

    @property
    def vocab_size(self) -> int:
        return len(self.chars) + 2

    @property
    def eos_id(self) -> int:
        return 0

    def encode(self, text: str) -> list[int]:
        get = self._ids.get
        return [get(c, 1) for c in text]

    def decode(self, ids: Iterable[int], skip_special: bool = True) -> str:
        out = []
        for i in ids:
            i = int(i)
            if i >= 2:
                out.append(self.chars[i - 2] if i - 2 < len(self.chars) else "\ufffd")
            elif not skip_special:
                out.append(EOS_TOKEN if i == 0 else UNK_TOKEN)
            elif i == 1:
                out.append("\ufffd")
        return "".join(out)

    def _table(self) -> np.ndarray:
        if self._lut is None:
            lut = np.ones(0x110000, dtype=np.uint32)
            if self.chars:
                cps = np.frombuffer(self.chars.encode("utf-32-le"), dtype=np.uint32)
                lut[cps] = np.arange(2, len(self.chars) + 2, dtype=np.uint32)
            self._lut = lut
        return self._lut

    def encode_many(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        cps = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
        return self._table()[cps], lengths

    def token_spans(self, text: str) -> list[tuple[int, int, int]]:
        get = self._ids.get
        return [(get(c, 1), i, i + 1) for i, c in enumerate(text)]

    def token_text(self, token_id: int) -> str:
        if token_id < 2:
            return EOS_TOKEN if token_id == 0 else UNK_TOKEN
        return self.decode([token_id])

    def to_json(self) -> str:
        return json.dumps(
            {"studio_tokenizer": "char", "version": FORMAT_VERSION, "eos_token": EOS_TOKEN,
             "unk_token": UNK_TOKEN, "chars": self.chars},
            ensure_ascii=False,
        )


# -- Hugging Face (our BPE, or a user's tokenizer.json) ----------------------------------------------------


class HFTokenizer(Tokenizer):
    """A `tokenizers.Tokenizer`. `kind` is "bpe" for one trained here, "file" for a user's file."""

    def __init__(self, hf: Any, kind: str = "file", eos_token: str | None = None):
        self.hf = hf
        self.kind = kind
        vocab = hf.get_vocab(with_added_tokens=True)
        if eos_token is None:
            eos_token = next((t for t in EOS_CANDIDATES if t in vocab), None)
        if eos_token is None or eos_token not in vocab:
            raise ValidationError(
                "The tokenizer has no end-of-document token (looked for "
                + ", ".join(EOS_CANDIDATES) + "); choose a tokenizer that has one."
            )
        self.eos_token = eos_token
        self._eos = int(vocab[eos_token])
        self._vocab_size = int(hf.get_vocab_size(with_added_tokens=True))
        # ids may be sparse in hand-made files; arrays must hold the largest id
        self._vocab_size = max(self._vocab_size, max(vocab.values()) + 1)
        unk = _model_unk_token(hf)
        self.unknown_id = vocab.get(unk) if unk else None
        self._fast = FastWordEncoder(hf) if _is_studio_bpe(hf) else None

    @property
    def vocab_size(self) -> int:
        return self._vocab_size

    @property
    def eos_id(self) -> int:
        return self._eos

    @property
    def fast_path(self) -> bool:
        return self._fast is not None

    def encode(self, text: str) -> list[int]:
        if self._fast is not None:
            return self._fast.encode_many([text])[0].tolist()
        return self.hf.encode(text, add_special_tokens=False).ids

    def encode_many(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        if self._fast is not None:
            return self._fast.encode_many(texts)
        encodings = self.hf.encode_batch_fast(list(texts), add_special_tokens=False)
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        flat = np.fromiter((i for e in encodings for i in e.ids), dtype=np.uint32, count=int(lengths.sum()))
        return flat, lengths

    def decode(self, ids: Iterable[int], skip_special: bool = True) -> str:
        return self.hf.decode([int(i) for i in ids], skip_special_tokens=skip_special)

    def token_spans(self, text: str) -> list[tuple[int, int, int]]:
        if self._fast is not None:
            return self._fast.spans(text)
        enc = self.hf.encode(text, add_special_tokens=False)
        return [(i, s, e) for i, (s, e) in zip(enc.ids, enc.offsets, strict=True)]

    def token_text(self, token_id: int) -> str:
        return self.hf.decode([int(token_id)], skip_special_tokens=False)

    def to_json(self) -> str:
        return self.hf.to_str()


def _model_unk_token(hf: Any) -> str | None:
    try:
        model = json.loads(hf.to_str()).get("model", {})
    except ValueError:
        return None
    return model.get("unk_token")


def _studio_pre_tokenizer() -> Any:
    from tokenizers import Regex, pre_tokenizers

    return pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(BPE_PATTERN), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])


def _is_studio_bpe(hf: Any) -> bool:
    """True when the pipeline is exactly ours (no normalizer, our split + byte mapping, a BPE model without
    dropout): then encoding word by word, as FastWordEncoder does, gives the same ids as `hf.encode`."""
    spec = json.loads(hf.to_str())
    pre = spec.get("pre_tokenizer") or {}
    model = spec.get("model") or {}
    if spec.get("normalizer") is not None or model.get("type") != "BPE" or model.get("dropout"):
        return False
    parts = pre.get("pretokenizers") if pre.get("type") == "Sequence" else None
    if not parts or len(parts) != 2:
        return False
    split, byte = parts
    return (
        split.get("type") == "Split" and split.get("pattern") == {"Regex": BPE_PATTERN}
        and split.get("behavior") == "Isolated" and not split.get("invert")
        and byte.get("type") == "ByteLevel" and not byte.get("add_prefix_space") and not byte.get("use_regex")
    )


# -- construction ------------------------------------------------------------------------------------------


def train_bpe(texts: Iterable[str], vocab_size: int) -> HFTokenizer:
    """A byte-level BPE trained on `texts` (every byte is in the alphabet: no unknown tokens)."""
    from tokenizers import Tokenizer as HF
    from tokenizers import decoders, models, pre_tokenizers, trainers

    check_bpe_vocab_size(vocab_size)
    hf = HF(models.BPE())
    hf.pre_tokenizer = _studio_pre_tokenizer()
    hf.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=[EOS_TOKEN],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )
    hf.train_from_iterator(_batched(texts, 1000), trainer)
    return HFTokenizer(hf, kind="bpe", eos_token=EOS_TOKEN)


def check_bpe_vocab_size(vocab_size: int) -> None:
    if not 300 <= vocab_size <= 1_000_000:
        raise ValidationError(
            f"A BPE vocabulary of {vocab_size} tokens is out of range: choose between 300 and 1,000,000 "
            "(256 byte symbols and the end-of-document token come first).",
            field="vocab_size",
        )


def _batched(texts: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for t in texts:
        batch.append(t)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def load_tokenizer(json_text: str) -> Tokenizer:
    """Restore any tokenizer from its to_json() text (or a Hugging Face tokenizer.json)."""
    try:
        spec = json.loads(json_text)
    except ValueError as error:
        raise ValidationError(f"The tokenizer is not valid JSON: {error}.") from error
    if not isinstance(spec, dict):
        raise ValidationError("The tokenizer JSON is not an object.")
    kind = spec.get("studio_tokenizer")
    if kind is not None:
        if spec.get("version") != FORMAT_VERSION:
            raise ValidationError(f"Unknown tokenizer format version {spec.get('version')!r}.")
        if kind == "byte":
            return ByteTokenizer()
        if kind == "char" and isinstance(spec.get("chars"), str):
            return CharTokenizer(spec["chars"])
        raise ValidationError(f"Unknown tokenizer kind {kind!r}.")
    from tokenizers import Tokenizer as HF

    try:
        hf = HF.from_str(json_text)
    except Exception as error:  # noqa: BLE001 - the Rust side raises a plain Exception
        raise ValidationError(f"This is not a Hugging Face tokenizer.json ({error}).") from error
    return HFTokenizer(hf, kind="bpe" if _is_studio_bpe(hf) else "file")


def load_tokenizer_file(path: Any) -> Tokenizer:
    """A user's tokenizer.json (for example GPT-2's), read as JSON only."""
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"The tokenizer file {path} does not exist.", field="tokenizer")
    if path.stat().st_size > MAX_TOKENIZER_JSON:
        raise ValidationError(f"The tokenizer file {path} is larger than 200 MB; is it a tokenizer.json?")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ValidationError(f"The tokenizer file {path} is not UTF-8 JSON (byte {error.start}).") from error
    try:
        return load_tokenizer(text)
    except ValidationError as error:
        raise ValidationError(f"{path}: {error}", field="tokenizer") from error
