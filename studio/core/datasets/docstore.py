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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.core.datasets.storage import PlainStorage

INDEX_DTYPE = np.dtype([
    ("block", "<u4"), ("offset", "<u4"), ("nbytes", "<u4"), ("chars", "<u4"),
    ("source", "<u4"), ("line", "<u8"), ("seg_start", "<u8"), ("nseg", "<u4"),
])
TOKENS_DTYPE = np.dtype([("start", "<u8"), ("count", "<u4")])
BLOCK_BYTES = 1 << 20


@dataclass
class BlockInfo:
    """A block as the writer closed it: what tokenizing it needs (text may be dropped and read back)."""

    index: int
    first: int  # its first document
    text: str | None
    chars: np.ndarray
    splits: np.ndarray
    seg_lens: np.ndarray | None
    nseg: np.ndarray | None

    def job(self) -> tuple:
        if self.seg_lens is None:
            return (self.text, self.chars)
        return (self.text, self.chars, self.seg_lens, self.nseg)


class DocumentWriter:
    def __init__(self, storage: PlainStorage, folder: Path, sft: bool, block_bytes: int = BLOCK_BYTES,
                 on_block=None):
        self.folder = Path(folder)
        self.sft = sft
        self.block_bytes = block_bytes
        self._records = storage.record_writer(self.folder / "docs.text")
        self._index = storage.array_writer(self.folder / "docs.index", INDEX_DTYPE)
        self._segments = storage.array_writer(self.folder / "docs.segments", np.uint32) if sft else None
        self._on_block = on_block  # called with each closed block's BlockInfo (char counts, early tokenizing)
        self._pending: list[bytes] = []
        self._pending_text: list[str] = []
        self._pending_meta: list[tuple] = []
        self._pending_size = 0
        self._pending_first = 0
        self._splits: list[np.ndarray] = []
        self.count = 0
        self.chars = 0
        self.seg_count = 0

    @property
    def splits(self) -> np.ndarray:
        return np.concatenate(self._splits) if self._splits else np.zeros(0, np.uint8)

    def add_batch(self, docs: list[list[str]], splits: np.ndarray, source: int, lines: list[int]) -> None:
        """Append documents (their parts), their splits, the source file and the line each starts at."""
        n = len(docs)
        if n == 0:
            return
        texts = [d[0] if len(d) == 1 else "".join(d) for d in docs]
        joined = "".join(texts)
        chars = np.fromiter(map(len, texts), dtype=np.int64, count=n)
        if joined.isascii():
            data = joined.encode("ascii")
            nbytes = chars
        else:
            encoded = [t.encode("utf-8") for t in texts]
            data = b"".join(encoded)
            nbytes = np.fromiter(map(len, encoded), dtype=np.int64, count=n)
        rows = np.zeros(n, dtype=INDEX_DTYPE)
        rows["nbytes"] = nbytes
        rows["chars"] = chars
        rows["source"] = source
        rows["line"] = lines
        nseg = seg_lens = seg_end = None
        if self.sft:
            nseg = np.fromiter(map(len, docs), dtype=np.int64, count=n)
            rows["nseg"] = nseg
            rows["seg_start"] = self.seg_count + np.cumsum(nseg) - nseg
            seg_lens = np.fromiter((len(p) for d in docs for p in d), dtype=np.uint32)
            self._segments.append(seg_lens)
            self.seg_count += int(nseg.sum())
            seg_end = np.cumsum(nseg)
        byte_end = np.cumsum(nbytes)
        char_end = np.cumsum(chars)
        pos = 0
        while pos < n:  # fill blocks; documents never straddle two
            base_b = int(byte_end[pos - 1]) if pos else 0
            room = self.block_bytes - self._pending_size
            k = int(np.searchsorted(byte_end, base_b + room, side="right")) - pos
            if k <= 0:
                if self._pending_size:
                    self._flush_block()
                    continue
                k = 1  # one document larger than a block: a block of its own
            end_b = int(byte_end[pos + k - 1])
            rows["block"][pos:pos + k] = len(self._records)
            rows["offset"][pos:pos + k] = self._pending_size + (byte_end[pos:pos + k] - nbytes[pos:pos + k] - base_b)
            self._pending.append(data[base_b:end_b])
            if self._on_block is not None:
                base_c = int(char_end[pos - 1]) if pos else 0
                self._pending_text.append(joined[base_c:int(char_end[pos + k - 1])])
                segs = None
                if seg_lens is not None:
                    segs = (seg_lens[int(seg_end[pos] - nseg[pos]):int(seg_end[pos + k - 1])], nseg[pos:pos + k])
                self._pending_meta.append((chars[pos:pos + k], np.asarray(splits[pos:pos + k], np.uint8), segs))
            self._pending_size += end_b - base_b
            pos += k
            if pos < n:
                self._flush_block()
        self._index.append(rows)
        self._splits.append(np.asarray(splits, dtype=np.uint8))
        self.count += n
        self.chars += int(chars.sum())

    def _flush_block(self) -> None:
        if self._pending:
            index = self._records.append(b"".join(self._pending))
            if self._on_block is not None:
                meta = self._pending_meta
                chars = np.concatenate([m[0] for m in meta])
                segs = [m[2] for m in meta if m[2] is not None]
                self._on_block(BlockInfo(
                    index, self._pending_first, "".join(self._pending_text), chars,
                    np.concatenate([m[1] for m in meta]),
                    np.concatenate([x[0] for x in segs]).astype(np.int64) if segs else None,
                    np.concatenate([x[1] for x in segs]).astype(np.int64) if segs else None,
                ))
                self._pending_first += len(chars)
        self._pending, self._pending_text, self._pending_meta, self._pending_size = [], [], [], 0

    def read_back(self, index: int) -> str:
        """The text of a block already closed (the file is still being written)."""
        return self._records.read_back(index).decode("utf-8")

    def close(self) -> None:
        """Write everything but the splits (the importer writes docs.split after fill_empty_splits)."""
        self._flush_block()
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

    def text_prefix(self, i: int, max_bytes: int) -> str:
        """The start of document i (a cut multi-byte character at the end is dropped)."""
        row = self.index[i]
        start = int(row["offset"])
        data = self._block(int(row["block"]))[start:start + min(int(row["nbytes"]), max_bytes)]
        return data.decode("utf-8", errors="ignore")

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
        # documents are in block order: one pass over the column finds where each block's documents start
        bounds = np.searchsorted(np.asarray(self.index["block"], dtype=np.uint32), np.arange(self.blocks + 1))
        for b in range(self.blocks):
            lo, hi = int(bounds[b]), int(bounds[b + 1])
            if hi > lo:
                yield lo, hi, self._records.read(b).decode("utf-8")

    def close(self) -> None:
        self._records.close()
        self._cache.clear()


class _Cursor:
    """Reads an array front to back in chunks; take(n) returns the next n items."""

    def __init__(self, storage: PlainStorage, path: Path, dtype: np.dtype):
        self._chunks = storage.iter_array(path, dtype)
        self._buf = np.zeros(0, dtype=dtype)

    def _fill(self, n: int) -> None:
        parts = [self._buf]
        have = len(self._buf)
        while have < n:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            parts.append(chunk)
            have += len(chunk)
        if len(parts) > 1:
            self._buf = np.concatenate(parts)

    def take(self, n: int) -> np.ndarray:
        self._fill(n)
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def peek(self, n: int) -> np.ndarray:
        self._fill(n)
        return self._buf[:n]


def iter_blocks_in_order(storage: PlainStorage, folder: Path, sft: bool) -> Iterator[tuple]:
    """(first, end, text, chars, splits, segment lengths or None, parts per document or None) per block,
    reading every file front to back (no memory maps: memory stays small for millions of documents)."""
    folder = Path(folder)
    records = storage.record_reader(folder / "docs.text")
    index = _Cursor(storage, folder / "docs.index", INDEX_DTYPE)
    splits = _Cursor(storage, folder / "docs.split", np.uint8)
    segments = _Cursor(storage, folder / "docs.segments", np.uint32) if sft else None
    first = 0
    try:
        for b in range(len(records)):
            n = 1024
            while True:  # how many of the next rows belong to block b
                rows = index.peek(n)
                count = int(np.searchsorted(rows["block"], b, side="right"))
                if count < len(rows) or len(rows) < n:
                    break
                n *= 2
            rows = index.take(count)
            if count == 0:
                continue
            chars = rows["chars"].astype(np.int64)
            seg_lens = nseg = None
            if segments is not None:
                nseg = rows["nseg"].astype(np.int64)
                seg_lens = segments.take(int(nseg.sum())).astype(np.int64)
            yield (first, first + count, records.read(b).decode("utf-8"), chars, splits.take(count), seg_lens, nseg)
            first += count
    finally:
        records.close()
