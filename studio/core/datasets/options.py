"""What the user chose for an import, checked before any work starts."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from studio.core.errors import ValidationError
from studio.core.messages import msg

FORMATS = ("auto", "text", "jsonl", "csv", "parquet")
TEXT_UNITS = ("auto", "file", "paragraph", "line")
UTF8_POLICIES = ("fail", "replace", "skip")
BUILTIN_TOKENIZERS = ("byte", "char", "bpe")
SPLIT_NAMES = ("train", "val", "test")
MAX_NAME = 200


@dataclass(frozen=True)
class ImportOptions:
    path: str
    name: str
    format: str = "auto"
    # which field/column holds the text; or a prompt/response pair; or a list of chat messages
    field: str | None = None
    prompt_field: str | None = None
    response_field: str | None = None
    messages_field: str | None = None
    # plain text: what one document is ("auto": a paragraph of a single file, a whole file of a folder)
    text_unit: str = "auto"
    include: tuple[str, ...] = ()  # glob patterns for files of a folder (default: every known format)
    exclude: tuple[str, ...] = ()
    tokenizer: str = "bpe"  # byte | char | bpe | the path of a tokenizer.json
    # a vault model ("MODEL" or "MODEL:VERSION"): its tokenizer, and its chat template for chat/prompt-response
    # data (the loss on the replies only); replaces `tokenizer`. Fine-tuning that model needs this.
    tokenizer_of: str | None = None
    vocab_size: int = 8192
    split: tuple[float, float, float] = (0.9, 0.05, 0.05)
    seed: int = 1337
    # cleaning
    normalize: bool = True  # Unicode NFC
    strip_control: bool = True  # control characters other than newline and tab
    min_chars: int = 1
    dedup: bool = False
    utf8_errors: str = "fail"  # fail | replace | skip (the document or row)
    bpe_sample_mb: int = 8  # how much text the BPE is trained on (the first documents of the train split)
    max_document_mb: int = 16  # longer documents are cut at a line break (bounded memory)
    tags: tuple[str, ...] = ()
    # at rest: encrypted through the vault (the default), or plaintext memory-mapped files
    encrypt: bool = True
    remove_source: bool = False  # delete the source files once the dataset is committed (a plain unlink)

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    def checked(self) -> ImportOptions:
        """These options with the name trimmed, or a ValidationError naming the bad setting."""
        name = check_name(self.name)
        if self.format not in FORMATS:
            raise ValidationError(msg("Unknown format {format!r}; choose one of {value}.", format=self.format, value=', '.join(FORMATS)), "format")
        if self.text_unit not in TEXT_UNITS:
            raise ValidationError(
                msg("Unknown text unit {text_unit!r}; choose one of {value}.", text_unit=self.text_unit, value=', '.join(TEXT_UNITS)), "text_unit"
            )
        if self.utf8_errors not in UTF8_POLICIES:
            raise ValidationError(
                msg("Unknown UTF-8 error policy {utf8_errors!r}; choose fail, replace or skip.", utf8_errors=self.utf8_errors), "utf8_errors"
            )
        if self.field and (self.prompt_field or self.response_field or self.messages_field):
            raise ValidationError(msg("Choose either a text field or prompt/response fields or a messages field."), "field")
        if bool(self.prompt_field) != bool(self.response_field):
            raise ValidationError(msg("Prompt/response data needs both a prompt field and a response field."), "prompt_field")
        if self.messages_field and self.prompt_field:
            raise ValidationError(msg("Choose either prompt/response fields or a messages field."), "messages_field")
        check_split(self.split)
        if self.min_chars < 0:
            raise ValidationError(msg("The minimum document length cannot be negative."), "min_chars")
        if self.bpe_sample_mb < 1:
            raise ValidationError(msg("The BPE training sample must be at least 1 MB."), "bpe_sample_mb")
        if not 1 <= self.max_document_mb <= 1024:
            raise ValidationError(msg("The longest document must be between 1 and 1024 MB."), "max_document_mb")
        if self.tokenizer_of is not None and not str(self.tokenizer_of).strip():
            raise ValidationError(msg("Name the vault model whose tokenizer to use (MODEL or MODEL:VERSION)."),
                                  "tokenizer_of")
        if self.tokenizer == "bpe" and not self.tokenizer_of:
            from studio.core.datasets.tokenizers import check_bpe_vocab_size

            check_bpe_vocab_size(self.vocab_size)
        if not self.tokenizer:
            raise ValidationError(msg("Choose a tokenizer: byte, char, bpe or a tokenizer.json file."), "tokenizer")
        tags = tuple(dict.fromkeys(check_tag(t) for t in self.tags))
        return dataclasses.replace(self, name=name, tags=tags, split=tuple(float(x) for x in self.split))


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError(msg("A dataset needs a name."), "name")
    if len(name) > MAX_NAME:
        raise ValidationError(msg("A dataset name has at most {max_name} characters.", max_name=MAX_NAME), "name")
    if any(ord(c) < 32 for c in name):
        raise ValidationError(msg("A dataset name cannot contain control characters."), "name")
    if name.isdigit():
        raise ValidationError(msg("A dataset name cannot be only digits (they would read as an id)."), "name")
    return name


def check_tag(tag: str) -> str:
    tag = (tag or "").strip()
    if not tag or len(tag) > 60 or "," in tag or any(ord(c) < 32 for c in tag):
        raise ValidationError(msg("{tag!r} is not a usable tag (1-60 characters, no commas).", tag=tag), "tags")
    return tag


def check_split(split: tuple[float, ...]) -> None:
    if len(split) != 3:
        raise ValidationError(msg("Give three split ratios: train, validation, test (e.g. 0.9,0.05,0.05)."), "split")
    if any(not math.isfinite(x) or x < 0 for x in split):
        raise ValidationError(msg("Split ratios cannot be negative."), "split")
    if abs(sum(split) - 1.0) > 1e-6:
        raise ValidationError(msg("The split ratios add up to {value:g}; they must add up to 1.", value=sum(split)), "split")
    if split[0] <= 0:
        raise ValidationError(msg("The train split cannot be empty."), "split")


def parse_split(text: str) -> tuple[float, float, float]:
    try:
        parts = tuple(float(p) for p in text.split(","))
    except ValueError as error:
        raise ValidationError(msg("{text!r} is not a split like 0.9,0.05,0.05.", text=text), "split") from error
    check_split(parts)
    return parts  # type: ignore[return-value]
