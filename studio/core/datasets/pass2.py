"""Pass 2 of an import: token ids into one flat array per split (and loss masks), block by block.

Two ways to drive it:

- `tokenize_stored`: after pass 1, read the stored blocks front to back and tokenize them.
- `EarlyTokenizing`: while pass 1 is still reading, as soon as the tokenizer exists (a BPE trains on the
  first megabytes), hand every closed block to the encoder's worker processes, so that tokenizing overlaps
  reading. Blocks closed before the tokenizer was ready are read back from disk first, in order. If the
  splits change at the end (fill_empty_splits, small datasets only), the early results are discarded and
  `tokenize_stored` runs instead.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.core.datasets.docstore import TOKENS_DTYPE, BlockInfo, DocumentWriter, iter_blocks_in_order
from studio.core.datasets.encode import BlockEncoder
from studio.core.datasets.splits import SPLITS
from studio.core.datasets.storage import PlainStorage
from studio.core.datasets.tokenizers import Tokenizer
from studio.core.tasks import TaskState


class TokenSink:
    """Writes each block's ids, in document order, into the split arrays with an end-of-document token
    after every document; records where each document's ids start; counts token frequencies."""

    def __init__(self, storage: PlainStorage, folder: Path, tokenizer: Tokenizer, sft: bool):
        self.eos, self.vocab, self.sft = tokenizer.eos_id, tokenizer.vocab_size, sft
        self.freq = np.zeros(self.vocab, dtype=np.int64)
        self.base = np.zeros(3, dtype=np.int64)
        self.trainable = np.zeros(3, dtype=np.int64)
        self.tokens = [storage.array_writer(folder / f"{name}.tokens", tokenizer.dtype) for name in SPLITS]
        self.masks = [storage.array_writer(folder / f"{name}.mask", np.uint8) for name in SPLITS] if sft else None
        self.positions = storage.array_writer(folder / "docs.tokens", TOKENS_DTYPE)
        self._all = self.tokens + (self.masks or []) + [self.positions]

    def write(self, splits: np.ndarray, flat: np.ndarray, lengths: np.ndarray, mask: np.ndarray | None) -> None:
        self.freq += np.bincount(flat, minlength=self.vocab)[: self.vocab]
        doc_ends = np.cumsum(lengths)
        full = np.insert(flat.astype(np.uint32, copy=False), doc_ends, self.eos)
        doc_len = lengths + 1
        token_split = np.repeat(splits, doc_len)
        if mask is not None:
            mask = np.insert(mask, doc_ends, 1)
        starts = np.zeros(len(lengths), dtype=np.int64)
        for s in range(3):
            chosen = splits == s
            if not chosen.any():
                continue
            selected = token_split == s
            self.tokens[s].append(full[selected])
            if mask is not None:
                m = mask[selected]
                self.masks[s].append(m)
                self.trainable[s] += int(m.sum())
            dl = doc_len[chosen]
            starts[chosen] = self.base[s] + np.cumsum(dl) - dl
            self.base[s] += int(dl.sum())
        row = np.zeros(len(lengths), dtype=TOKENS_DTYPE)
        row["start"] = starts
        row["count"] = lengths
        self.positions.append(row)

    def close(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(tokens per split, learned tokens per split, token frequencies)."""
        for w in self._all:
            w.close()
        return self.base, (self.trainable if self.sft else self.base.copy()), self.freq

    def abort(self) -> None:
        for w in self._all:
            w.abort()


def tokenize_stored(tokenizer: Tokenizer, storage: PlainStorage, folder: Path, sft: bool, state: TaskState,
                    start: float, workers: int, documents: int | None = None):
    sink = TokenSink(storage, folder, tokenizer, sft)
    encoder = BlockEncoder(tokenizer, workers)
    blocks = iter_blocks_in_order(storage, folder, sft)
    jobs = ((splits.copy(), (text, chars) if seg_lens is None else (text, chars, seg_lens, nseg))
            for _first, _end, text, chars, splits, seg_lens, nseg in blocks)
    done = 0
    total = max(1, documents if documents is not None else (Path(folder) / "docs.split").stat().st_size)
    state.report(start, "Tokenizing", force=True)
    try:
        for splits, (flat, lengths, mask) in encoder.encode(jobs):
            sink.write(splits, flat, lengths, mask)
            done += len(splits)
            state.report(start + (1 - start) * min(1.0, done / total), "Tokenizing")
        return sink.close()
    except BaseException:
        sink.abort()
        raise
    finally:
        encoder.close()
        blocks.close()


class EarlyTokenizing:
    """Tokenizes closed blocks during pass 1 (see the module docstring). Feed it with `block_closed` (the
    writer's on_block) and `tokenizer_ready`; end with `finish` or `abort`."""

    def __init__(self, storage: PlainStorage, folder: Path, sft: bool, workers: int):
        self.storage, self.folder, self.sft, self.workers = storage, Path(folder), sft, workers
        self.writer: DocumentWriter | None = None
        self.backlog: list[BlockInfo] = []
        self.encoder: BlockEncoder | None = None
        self.sink: TokenSink | None = None
        self.blocks_closed = 0
        self.blocks_done = 0

    @property
    def started(self) -> bool:
        return self.encoder is not None

    def block_closed(self, info: BlockInfo) -> None:
        self.blocks_closed += 1
        if self.encoder is None:
            info.text = None  # read back from disk when the tokenizer is ready: memory stays small
            self.backlog.append(info)
            return
        self._submit(info)

    def tokenizer_ready(self, tokenizer: Tokenizer) -> None:
        if self.encoder is not None:
            return
        self.sink = TokenSink(self.storage, self.folder, tokenizer, self.sft)
        self.encoder = BlockEncoder(tokenizer, self.workers)
        backlog, self.backlog = self.backlog, []
        for info in backlog:
            info.text = self.writer.read_back(info.index)
            self._submit(info)

    def _submit(self, info: BlockInfo) -> None:
        self.encoder.submit(info.splits, info.job())
        self._drain(wait=False)

    def _drain(self, wait: bool) -> None:
        while self.encoder.in_flight:
            must = wait or self.encoder.in_flight > self.encoder.capacity  # back-pressure on reading
            result = self.encoder.next_result(wait=must)
            if result is None:
                return
            splits, (flat, lengths, mask) = result
            self.sink.write(splits, flat, lengths, mask)
            self.blocks_done += 1

    def finish(self, tokenizer: Tokenizer, state: TaskState, start: float):
        """After pass 1: tokenize what is left; returns what TokenSink.close returns."""
        self.tokenizer_ready(tokenizer)
        state.report(start, "Tokenizing", force=True)
        while self.encoder.in_flight:
            self._drain_one()
            state.report(start + (1 - start) * self.blocks_done / max(1, self.blocks_closed), "Tokenizing")
        self.encoder.finished()
        self.encoder.close()
        return self.sink.close()

    def _drain_one(self) -> None:
        splits, (flat, lengths, mask) = self.encoder.next_result(wait=True)
        self.sink.write(splits, flat, lengths, mask)
        self.blocks_done += 1

    def abort(self) -> None:
        if self.encoder is not None:
            self.encoder.close()
        if self.sink is not None:
            self.sink.abort()
        self.encoder = self.sink = None
