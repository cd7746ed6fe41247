"""Reading an imported dataset for the preview: document rows on demand, a document's text with its
token boundaries, and the token length of every document (for the histogram)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.core.datasets.docstore import DocumentStore
from studio.core.datasets.splits import SPLITS
from studio.core.datasets.storage import PlainStorage
from studio.core.datasets.tokenizers import Tokenizer, load_tokenizer

PREVIEW_CHARS = 160


@dataclass(frozen=True)
class DocumentRow:
    index: int
    split: str
    chars: int
    tokens: int  # without the end-of-document token
    origin: str  # file and line (or row) it came from
    preview: str  # the start of its text, on one line


@dataclass(frozen=True)
class TokenSpan:
    id: int
    start: int  # character offsets into the document's text
    end: int
    learned: bool  # False for prompt tokens of prompt/response data


class DatasetReader:
    """One opened dataset. Cheap to keep open; close() releases its files."""

    def __init__(self, storage: PlainStorage, folder: Path):
        folder = Path(folder)
        self.store = DocumentStore(storage, folder)
        self.tokenizer: Tokenizer = load_tokenizer(storage.read_bytes(folder / "tokenizer.json").decode("utf-8"))
        sources = json.loads(storage.read_bytes(folder / "sources.json"))
        self._sources = [(f["path"], f["format"]) for f in sources["files"]]
        self.sft = self.store.segments is not None

    def __len__(self) -> int:
        return len(self.store)

    def origin(self, i: int) -> str:
        row = self.store.index[i]
        path, fmt = self._sources[int(row["source"])]
        return f"{path}, row {int(row['line'])}" if fmt in ("parquet",) else f"{path}:{int(row['line'])}"

    def row(self, i: int) -> DocumentRow:
        index = self.store.index[i]
        text = self.store.text_prefix(i, PREVIEW_CHARS * 8)
        flat = " ".join(text[: PREVIEW_CHARS * 2].split())[:PREVIEW_CHARS]
        tokens = int(self.store.tokens[i]["count"]) if self.store.tokens is not None else 0
        return DocumentRow(i, SPLITS[int(self.store.splits[i])], int(index["chars"]), tokens, self.origin(i), flat)

    def rows(self, start: int, count: int) -> list[DocumentRow]:
        return [self.row(i) for i in range(max(0, start), min(len(self), start + count))]

    def text(self, i: int) -> str:
        return self.store.text(i)

    def token_spans(self, i: int, max_chars: int | None = None) -> list[TokenSpan]:
        """The document's tokens with their character spans (of its first `max_chars` characters)."""
        spans: list[TokenSpan] = []
        pos = 0
        for n, part in enumerate(self.store.parts(i)):
            if max_chars is not None and pos >= max_chars:
                break
            piece = part if max_chars is None else part[: max_chars - pos]
            learned = not self.sft or n % 2 == 1
            spans.extend(TokenSpan(t, pos + s, pos + e, learned) for t, s, e in self.tokenizer.token_spans(piece))
            pos += len(part)
        return spans

    def token_lengths(self) -> np.ndarray:
        """Tokens per document (end-of-document token included: what a training example holds)."""
        if self.store.tokens is None:
            return np.zeros(0, dtype=np.int64)
        return np.asarray(self.store.tokens["count"], dtype=np.int64) + 1

    def close(self) -> None:
        self.store.close()
