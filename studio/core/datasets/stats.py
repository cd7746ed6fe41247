"""Statistics of an imported dataset, as a JSON-able dict stored with its database row, and the typed view
of them that services return."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SPLITS = ("train", "val", "test")

PERCENTILES = (0, 10, 50, 90, 99, 100)
TOP_TOKENS = 50
# What the statistics say about the content itself (the most frequent tokens are words and phrases of the
# data): for an encrypted dataset these are kept in an encrypted file of the dataset (SEALED_FILE), not in
# studio.db; the counts and lengths stay in the row.
CONTENT_KEYS = ("top_tokens",)
SEALED_FILE = "stats.json"
CLEANING_COUNTS = (
    "empty", "short_dropped", "duplicates_dropped", "invalid_utf8_skipped", "replaced_chars",
    "control_chars_removed", "normalized_documents", "oversized_split", "empty_files",
)


def _percentiles(values) -> dict[str, float]:
    """Percentiles (nearest rank, exact) and the mean of a uint32 column (partitioned in place)."""
    import numpy as np

    n = len(values)
    if n == 0:
        return {}
    ranks = [min(n - 1, round(p / 100 * (n - 1))) for p in PERCENTILES]
    values.partition(sorted(set(ranks)))
    out = {f"p{p}": float(values[k]) for p, k in zip(PERCENTILES, ranks, strict=True)}
    out["mean"] = float(values.sum(dtype=np.int64)) / n
    return out


def _column(storage, path, dtype, field):
    """One column of a structured array file as uint32, read in chunks (4 bytes per document in memory)."""
    import numpy as np

    # np.array copies: a view of the field would keep each whole chunk of rows alive
    parts = [np.array(chunk[field], dtype=np.uint32) for chunk in storage.iter_array(path, dtype)]
    return np.concatenate(parts) if parts else np.zeros(0, np.uint32)


def compute(storage, folder, tokenizer, freq, split_tokens, trainable, counts: Mapping[str, int], sources, spec,
            seconds: float) -> dict[str, Any]:
    """The statistics dict. Files are read in chunks, not mapped, so memory stays small for millions of
    documents (numpy is imported here, not at start-up: the GUI's first window needs none)."""
    import numpy as np

    from studio.core.datasets.docstore import INDEX_DTYPE, TOKENS_DTYPE

    folder = Path(folder)
    chars = _column(storage, folder / "docs.index", INDEX_DTYPE, "chars")
    n = len(chars)
    documents = np.zeros(3, dtype=np.int64)
    characters = np.zeros(3, dtype=np.int64)
    lo = 0
    for splits in storage.iter_array(folder / "docs.split", np.uint8):
        part = chars[lo:lo + len(splits)]
        documents += np.bincount(splits, minlength=3)[:3]
        characters += np.bincount(splits, weights=part, minlength=3)[:3].astype(np.int64)
        lo += len(splits)
    chars_pct = _percentiles(chars)
    del chars
    tokens_pct = _percentiles(_column(storage, folder / "docs.tokens", TOKENS_DTYPE, "count"))
    per_split = [
        {"name": name, "documents": int(documents[s]), "characters": int(characters[s]),
         "tokens": int(split_tokens[s]), "trainable_tokens": int(trainable[s])}
        for s, name in enumerate(SPLITS)
    ]
    order = np.argsort(-freq, kind="stable")[:TOP_TOKENS]
    total = max(1, int(freq.sum()))
    top = [
        {"id": int(i), "text": tokenizer.token_text(int(i)), "count": int(freq[i]), "share": float(freq[i]) / total}
        for i in order if freq[i] > 0
    ]
    unknown = int(freq[tokenizer.unknown_id]) if tokenizer.unknown_id is not None else 0
    return {
        "splits": per_split,
        "documents": n,
        "characters": int(characters.sum()),
        "tokens": int(split_tokens.sum()),
        "vocab_size": int(tokenizer.vocab_size),
        "vocab_used": int(np.count_nonzero(freq)),
        "unknown_tokens": unknown,
        "cleaning": {k: int(counts.get(k, 0)) for k in CLEANING_COUNTS},
        "chars_per_document": chars_pct,
        "tokens_per_document": tokens_pct,
        "top_tokens": top,
        "source_files": len(sources.files),
        "source_bytes": int(sources.total_bytes),
        "fields": spec.describe() if spec is not None else "",
        "import_seconds": round(seconds, 3),
    }


def split_content(stats: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what may be stored in plaintext, what describes the content: kept encrypted with the dataset)."""
    public = {k: v for k, v in stats.items() if k not in CONTENT_KEYS}
    return public, {k: stats[k] for k in CONTENT_KEYS if k in stats}


@dataclass(frozen=True)
class SplitStats:
    name: str
    documents: int
    characters: int
    tokens: int
    trainable_tokens: int


@dataclass(frozen=True)
class TokenCount:
    id: int
    text: str
    count: int
    share: float


@dataclass(frozen=True)
class DatasetStats:
    splits: tuple[SplitStats, ...] = ()
    documents: int = 0
    characters: int = 0
    tokens: int = 0
    vocab_size: int = 0
    vocab_used: int = 0
    unknown_tokens: int = 0
    cleaning: Mapping[str, int] = field(default_factory=dict)
    chars_per_document: Mapping[str, float] = field(default_factory=dict)
    tokens_per_document: Mapping[str, float] = field(default_factory=dict)
    top_tokens: tuple[TokenCount, ...] = ()
    source_files: int = 0
    source_bytes: int = 0
    fields: str = ""
    import_seconds: float = 0.0
    size_bytes: int = 0

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DatasetStats:
        return cls(
            splits=tuple(SplitStats(**s) for s in d.get("splits", ())),
            documents=d.get("documents", 0), characters=d.get("characters", 0), tokens=d.get("tokens", 0),
            vocab_size=d.get("vocab_size", 0), vocab_used=d.get("vocab_used", 0),
            unknown_tokens=d.get("unknown_tokens", 0), cleaning=dict(d.get("cleaning", {})),
            chars_per_document=dict(d.get("chars_per_document", {})),
            tokens_per_document=dict(d.get("tokens_per_document", {})),
            top_tokens=tuple(TokenCount(**t) for t in d.get("top_tokens", ())),
            source_files=d.get("source_files", 0), source_bytes=d.get("source_bytes", 0),
            fields=d.get("fields", ""), import_seconds=d.get("import_seconds", 0.0),
            size_bytes=d.get("size_bytes", 0),
        )

    def split(self, name: str) -> SplitStats:
        return next(s for s in self.splits if s.name == name)
