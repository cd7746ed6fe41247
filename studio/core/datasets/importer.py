"""The import pipeline: sources -> documents -> tokenizer -> token arrays -> statistics, into one folder.

    pass 1  read every source (streaming), clean, de-duplicate, assign splits, store the documents
            (docs.*), count characters (for a character tokenizer)
    build   the tokenizer: byte, character (from the counts), BPE (trained in a thread on the first
            documents of the train split, up to bpe_sample_mb, while pass 1 goes on: bpe_sample.py), or the
            user's tokenizer.json
    pass 2  tokenize block by block (in worker processes for BPE on big inputs: encode.py) into one flat
            array per split, each document followed by the end-of-document token, with a loss mask for
            prompt/response data. With workers it starts while pass 1 still reads (pass2.py).

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
from studio.core.datasets.docstore import DocumentWriter
from studio.core.datasets.encode import choose_workers
from studio.core.datasets.options import ImportOptions
from studio.core.datasets.pass2 import EarlyTokenizing, tokenize_stored
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
    source_paths: tuple[str, ...] = ()  # every file read
    source_root: str = ""
    source_is_folder: bool = False


def tokenizer_kind(option: str) -> str:
    return option if option in ("byte", "char", "bpe") else "file"


@dataclass(frozen=True)
class ModelTokenizing:
    """A vault model's tokenizer for an import (`ImportOptions.tokenizer_of`): the ModelTokenizer, the exact
    tokenizer.json the version stores (kept with the dataset, so a fine-tuning run can tell it is the
    model's), and the model's name:version for messages."""

    tokenizer: Any
    tokenizer_json: str
    label: str


def run_import(options: ImportOptions, folder: Path, storage: PlainStorage, state: TaskState,
               block_bytes: int | None = None, workers: int | None = None,
               model: ModelTokenizing | None = None) -> ImportResult:
    """Import into `folder`. `workers`: processes that tokenize (None: as many as useful, see encode.py).
    `model`: tokenize with a vault model's tokenizer, and render chat and prompt/response records with its
    chat template (when it has one)."""
    started = time.monotonic()
    folder = Path(folder)
    kind_of_tokenizer = tokenizer_kind(options.tokenizer) if model is None else "file"
    if model is not None:
        user_tokenizer = model.tokenizer.dataset_tokenizer()
    else:
        user_tokenizer = load_tokenizer_file(options.tokenizer) if kind_of_tokenizer == "file" else None
    sources = discover(options.path, options.format, options.include, options.exclude)
    state.report(0.0, "Reading", force=True)

    counts: Counter[str] = Counter()
    char_counts = np.zeros(0x110000, dtype=np.int64) if kind_of_tokenizer == "char" else None

    def count_chars(text: str) -> None:
        char_counts[:] += np.bincount(np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32), minlength=0x110000)

    ctx = _read_context(options, sources, counts)
    if model is not None and model.tokenizer.has_chat_template:
        from studio.core.datasets.chat_template import ChatRenderer

        ctx.chat = ChatRenderer(model.tokenizer, f"the model {model.label}")
    bpe = BackgroundBpe(options.vocab_size, options.bpe_sample_mb << 20) if kind_of_tokenizer == "bpe" else None
    try:
        return _finish(options, folder, storage, state, block_bytes, workers, started, sources, counts, ctx,
                       bpe, user_tokenizer, char_counts, count_chars if char_counts is not None else None,
                       kind_of_tokenizer, model.tokenizer_json if model is not None else None)
    finally:
        if bpe is not None:
            bpe.cancel()  # stops a training thread that an error or a cancel left running


def _finish(options, folder, storage, state, block_bytes, workers, started, sources, counts, ctx, bpe,
            user_tokenizer, char_counts, count_chars, kind_of_tokenizer, tokenizer_json=None) -> ImportResult:
    read_end, build_end = _PHASES[kind_of_tokenizer]
    n_workers = choose_workers(kind_of_tokenizer, sources.total_bytes, workers)
    early = EarlyTokenizing(storage, folder, False, n_workers) if n_workers > 1 else None

    def on_block(info) -> None:
        if count_chars is not None:
            count_chars(info.text)
        if early is not None:
            early.block_closed(info)

    def after_batch() -> None:  # the tokenizer may have become ready: start tokenizing what was read
        if early is not None and not early.started:
            ready = user_tokenizer if kind_of_tokenizer == "file" else bpe.ready() if bpe is not None else None
            if ready is not None:
                early.tokenizer_ready(ready)

    try:
        writer = _pass1(options, sources, ctx, counts, folder, storage, state, read_end,
                        on_block if count_chars is not None or early is not None else None, block_bytes,
                        bpe, early, after_batch)
        if writer.count == 0:
            raise ValidationError(_nothing_left_message(sources, counts), "path")
        splits = writer.splits
        moved = fill_empty_splits(splits, options.split)
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
        storage.write_bytes(folder / "tokenizer.json", (tokenizer_json or tokenizer.to_json()).encode("utf-8"))
        if early is not None and not moved and early.sft == sft:
            split_tokens, trainable, freq = early.finish(tokenizer, state, build_end)
        else:
            if early is not None:  # the splits changed after the fact: tokenize again from the stored blocks
                early.abort()
            split_tokens, trainable, freq = tokenize_stored(tokenizer, storage, folder, sft, state, build_end,
                                                            n_workers, documents=len(splits))
    except BaseException:
        if early is not None:
            early.abort()
        raise
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
        stats=stats, source_paths=tuple(str(f.path) for f in sources.files), source_root=str(sources.root),
        source_is_folder=sources.is_folder,
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


def _pass1(options, sources, ctx, counts, folder, storage, state, phase_end, on_block, block_bytes, bpe, early,
           after_batch):
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
                    sft = ctx.spec.kind == "sft"
                    writer = DocumentWriter(storage, folder, sft, on_block=on_block, **extra)
                    if early is not None:
                        early.writer, early.sft = writer, sft
                docs, lines = cleaner.clean_batch(docs, lines)
                splits = assigner.take(len(docs))
                writer.add_batch(docs, splits, source_index, lines)
                if bpe is not None:
                    bpe.feed(docs, splits)
                after_batch()
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
