"""The import pipeline: sources -> documents -> tokenizer -> token arrays -> statistics, into one folder.

    pass 1  read every source (streaming), clean, de-duplicate, assign splits, store the documents
            (docs.*), count characters (for a character tokenizer)
    build   the tokenizer: byte, character (from the counts), BPE (trained in a thread on the first
            documents of the train split, up to bpe_sample_mb, while pass 1 goes on: bpe_sample.py), or the
            user's tokenizer.json
    pass 2  tokenize the stored documents block by block (in worker processes for BPE on big inputs:
            encode.py) into one flat array per split, each document followed by the end-of-document
            token, with a loss mask for prompt/response data

Memory stays bounded by the block size, the BPE word cache and the de-duplication set, whatever the size
of the input. The caller gives an empty folder and removes it if this raises (cancel or failure).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from studio.core.datasets import stats as stats_mod
from studio.core.datasets.bpe_sample import BackgroundBpe
from studio.core.datasets.cleaning import Cleaner
from studio.core.datasets.docstore import TOKENS_DTYPE, DocumentWriter, iter_blocks_in_order
from studio.core.datasets.encode import BlockEncoder, choose_workers
from studio.core.datasets.options import ImportOptions
from studio.core.datasets.readers import ReadContext, read_source
from studio.core.datasets.sources import SourceSet, discover
from studio.core.datasets.splits import SPLITS, SplitAssigner, fill_empty_splits
from studio.core.datasets.storage import PlainStorage
from studio.core.datasets.textio import Decoder
from studio.core.datasets.tokenizers import (
    ByteTokenizer,
    CharTokenizer,
    Tokenizer,
    load_tokenizer_file,
)
from studio.core.errors import ValidationError
from studio.core.tasks import TaskState

MANIFEST_VERSION = 1
# share of the progress bar for pass 1 and for building the tokenizer, per tokenizer kind
_PHASES = {"byte": (0.6, 0.6), "char": (0.55, 0.55), "bpe": (0.4, 0.45), "file": (0.25, 0.25)}


@dataclass(frozen=True)
class ImportResult:
    kind: str  # text | sft
    fields: str
    formats: tuple[str, ...]
    tokenizer_kind: str
    vocab_size: int
    eos_id: int
    dtype: str
    documents: int
    tokens: int
    size_bytes: int
    stats: dict[str, Any]


def tokenizer_kind(option: str) -> str:
    return option if option in ("byte", "char", "bpe") else "file"


def run_import(options: ImportOptions, folder: Path, storage: PlainStorage, state: TaskState,
               block_bytes: int | None = None, workers: int | None = None) -> ImportResult:
    """Import into `folder`. `workers`: processes that tokenize (None: as many as useful, see encode.py)."""
    started = time.monotonic()
    folder = Path(folder)
    kind_of_tokenizer = tokenizer_kind(options.tokenizer)
    user_tokenizer = load_tokenizer_file(options.tokenizer) if kind_of_tokenizer == "file" else None
    sources = discover(options.path, options.format, options.include, options.exclude)
    state.report(0.0, "Reading", force=True)

    counts: Counter[str] = Counter()
    char_counts = np.zeros(0x110000, dtype=np.int64) if kind_of_tokenizer == "char" else None

    def count_chars(text: str) -> None:
        char_counts[:] += np.bincount(np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32), minlength=0x110000)

    ctx = _read_context(options, sources, counts)
    bpe = BackgroundBpe(options.vocab_size, options.bpe_sample_mb << 20) if kind_of_tokenizer == "bpe" else None
    try:
        return _finish(options, folder, storage, state, block_bytes, workers, started, sources, counts, ctx,
                       bpe, user_tokenizer, char_counts, count_chars, kind_of_tokenizer)
    finally:
        if bpe is not None:
            bpe.cancel()  # stops a training thread that an error or a cancel left running


def _finish(options, folder, storage, state, block_bytes, workers, started, sources, counts, ctx, bpe,
            user_tokenizer, char_counts, count_chars, kind_of_tokenizer) -> ImportResult:
    read_end, build_end = _PHASES[kind_of_tokenizer]
    writer = _pass1(options, sources, ctx, counts, folder, storage, state, read_end,
                    count_chars if char_counts is not None else None, block_bytes, bpe)
    if writer.count == 0:
        raise ValidationError(_nothing_left_message(sources, counts), "path")
    splits = writer.splits
    fill_empty_splits(splits, options.split)
    with storage.array_writer(folder / "docs.split", np.uint8) as w:
        w.append(splits)
    sft = ctx.spec is not None and ctx.spec.kind == "sft"

    if kind_of_tokenizer == "byte":
        tokenizer: Tokenizer = ByteTokenizer()
    elif kind_of_tokenizer == "char":
        tokenizer = CharTokenizer.from_counts(char_counts)
    elif kind_of_tokenizer == "file":
        tokenizer = user_tokenizer
    else:
        tokenizer = bpe.result(state, read_end)
    storage.write_bytes(folder / "tokenizer.json", tokenizer.to_json().encode("utf-8"))
    split_tokens, trainable, freq = _pass2(tokenizer, storage, folder, sft, writer.chars, state, build_end, workers)
    stats = stats_mod.compute(storage, folder, tokenizer, freq, split_tokens, trainable, counts, sources, ctx.spec,
                              time.monotonic() - started)
    manifest = {
        "format": "studio-dataset", "version": MANIFEST_VERSION, "storage": storage.format,
        "kind": "sft" if sft else "text", "dtype": tokenizer.dtype.name, "vocab_size": tokenizer.vocab_size,
        "eos_id": tokenizer.eos_id, "documents": len(splits),
        "tokens": {name: int(n) for name, n in zip(SPLITS, split_tokens, strict=True)}, "masks": sft,
    }
    storage.write_bytes(folder / "manifest.json", json.dumps(manifest, indent=2).encode())
    storage.write_bytes(folder / "sources.json", json.dumps(
        {"root": str(sources.root), "files": [{"path": f.rel, "format": f.format} for f in sources.files]},
        ensure_ascii=False).encode("utf-8"))
    size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    stats["size_bytes"] = size
    state.report(1.0, "Done", force=True)
    return ImportResult(
        kind="sft" if sft else "text", fields=ctx.spec.describe() if ctx.spec else "", formats=sources.formats,
        tokenizer_kind=tokenizer.kind, vocab_size=tokenizer.vocab_size, eos_id=tokenizer.eos_id,
        dtype=tokenizer.dtype.name, documents=len(splits), tokens=int(sum(split_tokens)), size_bytes=size,
        stats=stats,
    )


def _read_context(options: ImportOptions, sources: SourceSet, counts: Counter[str]) -> ReadContext:
    unit = options.text_unit
    if unit == "auto":
        unit = "file" if sources.is_folder else "paragraph"
    return ReadContext(
        decoder=Decoder(options.utf8_errors, counts), counts=counts, unit=unit,
        max_doc_bytes=options.max_document_mb << 20, field=options.field, prompt_field=options.prompt_field,
        response_field=options.response_field, messages_field=options.messages_field,
    )


def _pass1(options, sources, ctx, counts, folder, storage, state, phase_end, on_block, block_bytes, bpe):
    cleaner = Cleaner(counts, options.normalize, options.strip_control, options.min_chars, options.dedup)
    assigner = SplitAssigner(options.split, options.seed)
    total = max(1, sources.total_bytes)
    done = 0
    extra = {"block_bytes": block_bytes} if block_bytes else {}
    writer: DocumentWriter | None = None
    try:
        for source_index, src in enumerate(sources.files):
            message = f"Reading {src.rel}"
            for docs, lines in read_source(src, ctx):
                state.report(phase_end * (done + ctx.bytes_read()) / total, message)
                if writer is None:  # the kind (plain or prompt/response) is known with the first document
                    writer = DocumentWriter(storage, folder, ctx.spec.kind == "sft", on_block=on_block, **extra)
                docs, lines = cleaner.clean_batch(docs, lines)
                splits = assigner.take(len(docs))
                writer.add_batch(docs, splits, source_index, lines)
                if bpe is not None:
                    bpe.feed(docs, splits)
            done += src.size
            ctx.counter = None
            ctx.position["bytes"] = 0
            counts["source_files"] += 1
        if writer is None:
            writer = DocumentWriter(storage, folder, False, on_block=on_block, **extra)
        writer.close()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    return writer


def _nothing_left_message(sources: SourceSet, counts: Counter[str]) -> str:
    where = sources.files[0].path if len(sources.files) == 1 else sources.root
    if counts["empty_files"] == len(sources.files):
        return f"{where} is empty." if len(sources.files) == 1 else f"Every file in {where} is empty."
    reasons = [f"{counts[k]:,} {label}" for k, label in (
        ("empty", "empty"), ("short_dropped", "shorter than the minimum length"),
        ("duplicates_dropped", "duplicates"), ("invalid_utf8_skipped", "skipped for invalid UTF-8"),
    ) if counts[k]]
    return f"No documents left in {where}" + (f" ({', '.join(reasons)})." if reasons else ".")


def _pass2(tokenizer: Tokenizer, storage: PlainStorage, folder: Path, sft: bool, total_chars: int,
           state: TaskState, start: float, workers: int | None = None):
    dtype, eos, vocab = tokenizer.dtype, tokenizer.eos_id, tokenizer.vocab_size
    freq = np.zeros(vocab, dtype=np.int64)
    base = np.zeros(3, dtype=np.int64)
    trainable = np.zeros(3, dtype=np.int64)
    writers = [storage.array_writer(folder / f"{name}.tokens", dtype) for name in SPLITS]
    masks = [storage.array_writer(folder / f"{name}.mask", np.uint8) for name in SPLITS] if sft else None
    positions = storage.array_writer(folder / "docs.tokens", TOKENS_DTYPE)
    all_writers = writers + (masks or []) + [positions]
    total_chars = max(1, total_chars)
    chars_done = 0
    encoder = BlockEncoder(tokenizer, choose_workers(tokenizer, total_chars, workers))
    state.report(start, "Tokenizing", force=True)
    blocks = iter_blocks_in_order(storage, folder, sft)
    jobs = (((first, end, chars, splits), (text, chars) if seg_lens is None else (text, chars, seg_lens, nseg))
            for first, end, text, chars, splits, seg_lens, nseg in blocks)
    try:
        for (first, end, chars, splits), (flat, lengths, mask) in encoder.encode(jobs):
            chars_done += int(chars.sum())
            state.report(start + (1 - start) * chars_done / total_chars, "Tokenizing")
            freq += np.bincount(flat, minlength=vocab)[:vocab]
            doc_ends = np.cumsum(lengths)
            full = np.insert(flat.astype(np.uint32, copy=False), doc_ends, eos)
            doc_len = lengths + 1
            token_split = np.repeat(splits, doc_len)
            if mask is not None:
                mask = np.insert(mask, doc_ends, 1)
            starts_out = np.zeros(end - first, dtype=np.int64)
            for s in range(3):
                chosen = splits == s
                if not chosen.any():
                    continue
                selected = token_split == s
                writers[s].append(full[selected])
                if mask is not None:
                    m = mask[selected]
                    masks[s].append(m)
                    trainable[s] += int(m.sum())
                dl = doc_len[chosen]
                starts_out[chosen] = base[s] + np.cumsum(dl) - dl
                base[s] += int(dl.sum())
            row = np.zeros(end - first, dtype=TOKENS_DTYPE)
            row["start"] = starts_out
            row["count"] = lengths
            positions.append(row)
        for w in all_writers:
            w.close()
    except BaseException:
        for w in all_writers:
            w.abort()
        raise
    finally:
        encoder.close()
        blocks.close()
    if not sft:
        trainable = base.copy()
    return base, trainable, freq
