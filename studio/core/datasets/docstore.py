"""The documents of a dataset as imported (after cleaning), for tokenizing and for the preview.

Files in a dataset folder (all written and read through a Storage, see storage.py):

    docs.text       document text in blocks of about 1 MiB (records); documents never straddle blocks
    docs.index      one row per document: block, byte offset and length in it, characters, source file
                    and line (or row) where it started, its parts (prompt/response data)
    docs.split      one byte per document: 0 train, 1 val, 2 test
    docs.segments   the character length of each part (prompt/response and chat data only)
    docs.tokens     per document: where its tokens start in its split's array and how many (no EOS)
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from studio.core.datasets.storage import PlainStorage

INDEX_DTYPE = np.dtype([
    ("block", "<u4"), ("offset", "<u4"), ("nbytes", "<u4"), ("chars", "<u4"),
    ("source", "<u4"), ("line", "<u8"), ("seg_start", "<u8"), ("nseg", "<u4"),
])
TOKENS_DTYPE = np.dtype([("start", "<u8"), ("count", "<u4")])
BLOCK_BYTES = 1 << 20
ROWS_PER_FLUSH = 1 << 16


class DocumentWriter:
    def __init__(self, storage: PlainStorage, folder: Path, sft: bool, block_bytes: int = BLOCK_BYTES,
                 on_block=None):
        self.folder = Path(folder)
        self.sft = sft
        self.block_bytes = block_bytes
        self._records = storage.record_writer(self.folder / "docs.text")
        self._index = storage.array_writer(self.folder / "docs.index", INDEX_DTYPE)
        self._segments = storage.array_writer(self.folder / "docs.segments", np.uint32) if sft else None
        self._on_block = on_block  # called with each block's text (e.g. to count characters)
        self._pending: list[bytes] = []
        self._pending_text: list[str] = []
        self._pending_size = 0
        self._rows: list[tuple] = []
        self._segs: list[int] = []
        self.splits = bytearray()
        self.count = 0
        self.chars = 0
        self.seg_count = 0

    def add(self, parts: list[str], split: int, source: int, line: int) -> None:
        text = "".join(parts) if len(parts) > 1 else parts[0]
        data = text.encode("utf-8")
        if self._pending_size and self._pending_size + len(data) > self.block_bytes:
            self._flush_block()
        nseg = 0
        if self.sft:
            self._segs.extend(map(len, parts))
            nseg = len(parts)
        self._rows.append((len(self._records), self._pending_size, len(data), len(text), source, line,
                           self.seg_count, nseg))
        self.seg_count += nseg
        self._pending.append(data)
        self._pending_text.append(text)
        self._pending_size += len(data)
        self.splits.append(split)
        self.count += 1
        self.chars += len(text)
        if len(self._rows) >= ROWS_PER_FLUSH:
            self._flush_rows()

    def _flush_block(self) -> None:
        if self._pending:
            self._records.append(b"".join(self._pending))
            if self._on_block is not None:
                self._on_block("".join(self._pending_text))
        self._pending, self._pending_text, self._pending_size = [], [], 0

    def _flush_rows(self) -> None:
        if self._rows:
            self._index.append(np.array(self._rows, dtype=INDEX_DTYPE))
            self._rows = []
        if self._segments is not None and self._segs:
            self._segments.append(np.asarray(self._segs, dtype=np.uint32))
            self._segs = []

    def close(self) -> None:
        """Write everything but the splits (the importer writes docs.split after fill_empty_splits)."""
        self._flush_block()
        self._flush_rows()
        self._records.close()
        self._index.close()
        if self._segments is not None:
            self._segments.close()

    def abort(self) -> None:
        """Close the files without finishing them (the caller removes the folder)."""
        self._records.abort()
        self._index.abort()
        if self._segments is not None:
            self._segments.abort()


class DocumentStore:
    """Random access to documents, and block-wise iteration for tokenizing."""

    def __init__(self, storage: PlainStorage, folder: Path):
        folder = Path(folder)
        self.folder = folder
        self.index = storage.read_array(folder / "docs.index", INDEX_DTYPE)
        self.splits = storage.read_array(folder / "docs.split", np.uint8)
        seg = folder / "docs.segments"
        self.segments = storage.read_array(seg, np.uint32) if seg.exists() else None
        tok = folder / "docs.tokens"
        self.tokens = storage.read_array(tok, TOKENS_DTYPE) if tok.exists() else None
        self._records = storage.record_reader(folder / "docs.text")
        self._cache: OrderedDict[int, bytes] = OrderedDict()

    def __len__(self) -> int:
        return len(self.index)

    @property
    def blocks(self) -> int:
        return len(self._records)

    def _block(self, b: int) -> bytes:
        data = self._cache.get(b)
        if data is None:
            data = self._records.read(b)
            self._cache[b] = data
            if len(self._cache) > 4:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(b)
        return data

    def text(self, i: int) -> str:
        row = self.index[i]
        start = int(row["offset"])
        return self._block(int(row["block"]))[start:start + int(row["nbytes"])].decode("utf-8")

    def parts(self, i: int) -> list[str]:
        text = self.text(i)
        if self.segments is None:
            return [text]
        row = self.index[i]
        lengths = self.segments[int(row["seg_start"]):int(row["seg_start"]) + int(row["nseg"])].tolist()
        out, pos = [], 0
        for n in lengths:
            out.append(text[pos:pos + n])
            pos += n
        return out

    def iter_blocks(self) -> Iterator[tuple[int, int, str]]:
        """(first document, end document, the block's text) for every block, in order."""
        blocks = self.index["block"]
        for b in range(self.blocks):
            lo = int(np.searchsorted(blocks, b, side="left"))
            hi = int(np.searchsorted(blocks, b, side="right"))
            if hi > lo:
                yield lo, hi, self._records.read(b).decode("utf-8")

    def close(self) -> None:
        self._records.close()
        self._cache.clear()
