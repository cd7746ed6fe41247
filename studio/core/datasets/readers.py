"""Stream documents out of source files, one format per reader, in bounded memory.

Each reader yields `(parts, line)`: the document's parts (see fields.py) and the line (or, for Parquet,
the row) where it starts. Every bad input raises a ValidationError that names the file and the line or
byte offset.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np

from studio.core.datasets.fields import PLAIN_TEXT, FieldSpec, extract, resolve_fields
from studio.core.datasets.sources import SourceFile
from studio.core.datasets.textio import CHUNK, Decoder, bad_input, check_not_binary, open_source, where

UTF8_BOM = b"\xef\xbb\xbf"
PARAGRAPH_BREAK = re.compile(rb"\n[ \t\r]*\n(?:[ \t\r]*\n)*")
PARAGRAPH_BREAK_TEXT = re.compile(r"(\n[ \t\r]*\n(?:[ \t\r]*\n)*)")  # capturing: split() keeps the breaks
BATCH_DOCS = 2048
csv.field_size_limit(2**31 - 1)

Batch = tuple[list[list[str]], list[int]]  # the parts of each document, and the line where each starts


@dataclass
class ReadContext:
    decoder: Decoder
    counts: dict[str, int]
    unit: str  # file | paragraph | line (plain text)
    max_doc_bytes: int
    field: str | None = None
    prompt_field: str | None = None
    response_field: str | None = None
    messages_field: str | None = None
    spec: FieldSpec | None = None  # fixed by the first structured file, then the same for all
    chat: Any = None  # a ChatRenderer: structured records rendered with a model's chat template
    position: dict[str, int] = dataclasses.field(default_factory=lambda: {"bytes": 0})  # of the current file, for progress
    counter: Any = None

    def bytes_read(self) -> int:
        return self.counter.count if self.counter is not None else self.position["bytes"]

    def fields_for(self, src: SourceFile, keys: list[str], sample: dict | None, place: str | None = None,
                   header: bool = True) -> FieldSpec:
        """The field spec, fixed by the first structured file. A table's header must have its columns;
        a JSON record is checked by `extract` (which names the line)."""
        if self.spec is None or self.spec is PLAIN_TEXT:
            spec = resolve_fields(src.path, keys, sample, self.field, self.prompt_field,
                                  self.response_field, self.messages_field, place)
            if self.spec is PLAIN_TEXT and spec.kind != "text":
                raise bad_input(src.path, None, "holds prompt/response data, but the files before it are plain "
                                "text; import them separately.")
            self.spec = spec
        elif header:
            missing = [c for c in self.spec.columns if c not in keys and c != self.spec.extra_input]
            if missing:
                raise bad_input(src.path, None, f"has no field {missing[0]!r} like the files before it "
                                f"(its fields: {', '.join(map(str, keys)) or 'none'}).")
        return self.spec


def read_source(src: SourceFile, ctx: ReadContext) -> Iterator[Batch]:
    readers = {"text": read_text, "jsonl": read_jsonl, "csv": read_csv, "parquet": read_parquet}
    yield from readers[src.format](src, ctx)


class _Batcher:
    """Collects documents into batches of about BATCH_DOCS (the pipeline works batch by batch)."""

    def __init__(self) -> None:
        self.docs: list[list[str]] = []
        self.lines: list[int] = []

    def add(self, parts: list[str], line: int) -> None:
        self.docs.append(parts)
        self.lines.append(line)

    def full(self) -> bool:
        return len(self.docs) >= BATCH_DOCS

    def take(self) -> Batch:
        batch = (self.docs, self.lines)
        self.docs, self.lines = [], []
        return batch


# -- plain text --------------------------------------------------------------------------------------------


def _complete_end(buf: bytearray, unit: str, final: bool) -> int:
    """How much of the buffer holds complete documents."""
    if final:
        return len(buf)
    if unit == "line":
        return buf.rfind(b"\n") + 1
    if unit == "paragraph":
        for start in (max(0, len(buf) - (1 << 16)), 0):
            last = 0
            for match in PARAGRAPH_BREAK.finditer(buf, start):
                if match.end() < len(buf):  # a break at the very end may go on in the next chunk
                    last = match.end()
            if last or start == 0:
                return last
    return 0


def read_text(src: SourceFile, ctx: ReadContext) -> Iterator[Batch]:
    if ctx.spec is not None and ctx.spec.kind != "text":
        raise bad_input(src.path, None, "is plain text, but the files before it hold prompt/response data; "
                        "import them separately.")
    if ctx.spec is None:
        ctx.spec = PLAIN_TEXT  # a structured file after this one still chooses its text field
    path, compressed, unit = src.path, src.compressed, ctx.unit
    buf = bytearray()
    base = 0  # offset of buf[0] in the (decompressed) file
    line = 1  # line number of buf[0]
    total = 0

    def region(data: bytes, offset: int, first_line: int) -> Batch:
        """The documents of a run of complete units. Valid UTF-8 is split as one string (fast); otherwise
        unit by unit, so that the decoder can name the line and offset or skip just that document."""
        docs: list[list[str]] = []
        lines: list[int] = []
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return _region_slowly(data, offset, first_line)
        if unit == "file":
            if text:
                docs.append([text])
                lines.append(first_line)
        elif unit == "line":
            for n, piece in enumerate(text.split("\n")):
                piece = piece.strip("\r")
                if piece:
                    docs.append([piece])
                    lines.append(first_line + n)
        else:
            # paragraphs and the breaks between them alternate; C-level maps keep per-document cost small
            pieces = PARAGRAPH_BREAK_TEXT.split(text)
            newlines = np.fromiter(map(str.count, pieces, repeat("\n")), dtype=np.int64, count=len(pieces))
            starts = (first_line + np.cumsum(newlines) - newlines)[0::2].tolist()
            paragraphs = pieces[0::2]
            stripped = list(map(str.strip, paragraphs, repeat("\r\n")))
            for raw, piece, at in zip(paragraphs, stripped, starts, strict=True):
                if piece:
                    if raw[:1] in ("\n", "\r"):  # leading line breaks (start of a file): count them
                        at += raw.count("\n", 0, len(raw) - len(raw.lstrip("\r\n")))
                    docs.append([piece])
                    lines.append(at)
        return docs, lines

    def _region_slowly(data: bytes, offset: int, first_line: int) -> Batch:
        docs: list[list[str]] = []
        lines: list[int] = []

        def emit(piece: bytes, at: int, piece_line: int) -> None:
            text = ctx.decoder.decode(piece, path, piece_line, at, compressed)
            if text is None:
                return
            if unit != "file":
                lead = len(text) - len(text.lstrip("\r\n"))
                piece_line += text.count("\n", 0, lead)
                text = text.strip("\r\n")
                if not text:
                    return
            docs.append([text])
            lines.append(piece_line)

        start, at_line = 0, first_line
        if unit == "line":
            while start < len(data):
                nl = data.find(b"\n", start)
                stop = len(data) if nl < 0 else nl + 1
                emit(data[start:stop], offset + start, at_line)
                at_line += 1
                start = stop
        elif unit == "paragraph":
            for match in PARAGRAPH_BREAK.finditer(data):
                emit(data[start:match.start()], offset + start, at_line)
                at_line += data.count(b"\n", start, match.end())
                start = match.end()
            if start < len(data):
                emit(data[start:], offset + start, at_line)
        elif data:
            emit(data, offset, first_line)
        return docs, lines

    def cut_oversized() -> int:
        """Where to cut a buffer that outgrew the longest document: the last line break, else a character
        boundary."""
        limit = ctx.max_doc_bytes
        cut = buf.rfind(b"\n", 0, limit) + 1
        if cut <= 0:
            cut = limit
            while cut > 0 and (buf[cut] & 0xC0) == 0x80:
                cut -= 1
        ctx.counts["oversized_split"] += 1
        return cut

    with open_source(path) as opened:
        ctx.counter = opened.counter
        first = True
        while True:
            chunk = opened.stream.read(CHUNK)
            final = not chunk
            if chunk:
                check_not_binary(chunk, path, base + len(buf), compressed, first)
                if first and chunk.startswith(UTF8_BOM):
                    chunk = chunk[3:]
                    base += 3
                first = False
                total += len(chunk)
                buf += chunk
            end = _complete_end(buf, unit, final)
            if end:
                data = bytes(buf[:end])
                docs, lines = region(data, base, line)
                if docs:
                    yield docs, lines
                line += data.count(b"\n")
                del buf[:end]
                base += end
            while len(buf) > ctx.max_doc_bytes:
                cut = cut_oversized()
                data = bytes(buf[:cut])
                docs, lines = region(data, base, line)
                if docs:
                    yield docs, lines
                line += data.count(b"\n")
                del buf[:cut]
                base += cut
            if final:
                break
    if total == 0:
        ctx.counts["empty_files"] += 1


# -- JSON Lines --------------------------------------------------------------------------------------------


def _lines(stream: Any, limit: int, path: Any) -> Iterator[bytes]:
    n = 0
    for raw in iter(lambda: stream.readline(limit + 1), b""):
        n += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            raise bad_input(path, where(n), f"is longer than {limit // (1 << 20)} MB; is this really a line-based file?")
        yield raw


def read_jsonl(src: SourceFile, ctx: ReadContext) -> Iterator[Batch]:
    path, compressed = src.path, src.compressed
    batcher = _Batcher()
    offset = 0
    seen = False
    spec: FieldSpec | None = None
    with open_source(path) as opened:
        ctx.counter = opened.counter
        for n, raw in enumerate(_lines(opened.stream, ctx.max_doc_bytes, path), 1):
            line_offset, offset = offset, offset + len(raw)
            check_not_binary(raw, path, line_offset, compressed, n == 1)
            if n == 1 and raw.startswith(UTF8_BOM):
                raw = raw[3:]
            raw = raw.strip()
            if not raw:
                continue
            seen = True
            text = ctx.decoder.decode(raw, path, n, line_offset, compressed)
            if text is None:
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as error:
                hint = (" The file looks like one JSON array; JSON Lines needs one object per line."
                        if n == 1 and text.startswith("[") else "")
                raise bad_input(path, f"line {n}, column {error.colno}", f"is not valid JSON ({error.msg}).{hint}") from None
            if not isinstance(record, dict):
                raise bad_input(path, where(n), f"is {type(record).__name__}, not a JSON object.")
            if spec is None:
                spec = ctx.fields_for(src, list(record.keys()), record, where(n), header=False)
            parts = extract(spec, record, path, where(n), ctx.chat)
            if parts is None:
                ctx.counts["empty"] += 1
                continue
            batcher.add(parts, n)
            if batcher.full():
                yield batcher.take()
    if batcher.docs:
        yield batcher.take()
    if not seen:
        ctx.counts["empty_files"] += 1


# -- CSV / TSV ---------------------------------------------------------------------------------------------


def read_csv(src: SourceFile, ctx: ReadContext) -> Iterator[Batch]:
    path, compressed = src.path, src.compressed
    batcher = _Batcher()
    skipped_line = [False]

    def text_lines(stream: Any) -> Iterator[str]:
        offset = 0
        for n, raw in enumerate(_lines(stream, ctx.max_doc_bytes, path), 1):
            check_not_binary(raw, path, offset, compressed, n == 1)
            if n == 1 and raw.startswith(UTF8_BOM):
                raw = raw[3:]
            text = ctx.decoder.decode(raw, path, n, offset, compressed)
            offset += len(raw)
            if text is None:
                skipped_line[0] = True
                text = raw.decode("utf-8", errors="replace")
            yield text

    tsv = src.delimiter == "\t"
    with open_source(path) as opened:
        ctx.counter = opened.counter
        reader = csv.reader(text_lines(opened.stream), delimiter=src.delimiter,
                            quoting=csv.QUOTE_NONE if tsv else csv.QUOTE_MINIMAL, strict=not tsv)
        try:
            header = next(reader, None)
            if header is None:
                ctx.counts["empty_files"] += 1
                return
            header = [h.strip() for h in header]
            spec = ctx.fields_for(src, header, None)
            previous_end = reader.line_num
            for row in reader:
                start_line, previous_end = previous_end + 1, reader.line_num
                if not row:
                    continue
                if skipped_line[0]:
                    skipped_line[0] = False
                    continue
                if len(row) != len(header):
                    raise bad_input(
                        path, where(reader.line_num),
                        f"has {len(row)} fields but the header has {len(header)}; check the quoting and "
                        f"the delimiter ({'tab' if tsv else 'comma'}).",
                    )
                parts = extract(spec, dict(zip(header, row, strict=True)), path, where(start_line), ctx.chat)
                if parts is None:
                    ctx.counts["empty"] += 1
                    continue
                batcher.add(parts, start_line)
                if batcher.full():
                    yield batcher.take()
            if batcher.docs:
                yield batcher.take()
        except csv.Error as error:
            raise bad_input(path, where(reader.line_num), f"is not valid CSV ({error}).") from None


# -- Parquet -----------------------------------------------------------------------------------------------


def read_parquet(src: SourceFile, ctx: ReadContext) -> Iterator[Batch]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = src.path
    if src.compressed:
        raise bad_input(path, None, "is a compressed Parquet file; Parquet compresses its data already, "
                        "so decompress the file first.")
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as error:
        raise bad_input(path, None, f"is not a readable Parquet file ({error}).") from None
    ctx.counter = None
    names = list(pf.schema_arrow.names)
    sample = {}
    for name in names:
        t = pf.schema_arrow.field(name).type
        sample[name] = [] if (pa.types.is_list(t) or pa.types.is_large_list(t)) else ""
    spec = ctx.fields_for(src, names, sample)
    batcher = _Batcher()
    total_rows = max(1, pf.metadata.num_rows)
    row = 0
    try:
        for batch in pf.iter_batches(batch_size=1024, columns=list(dict.fromkeys(spec.columns))):
            columns = {name: batch.column(name).to_pylist() for name in batch.schema.names}
            for i in range(batch.num_rows):
                row += 1
                record = {}
                for name, values in columns.items():
                    value = values[i]
                    if isinstance(value, bytes):
                        value = ctx.decoder.decode(value, path, row, 0, place=f"row {row}, field {name!r}")
                        if value is None:
                            break
                    record[name] = value
                else:
                    parts = extract(spec, record, path, f"row {row}", ctx.chat)
                    if parts is None:
                        ctx.counts["empty"] += 1
                        continue
                    batcher.add(parts, row)
            ctx.position["bytes"] = int(src.size * row / total_rows)
            if batcher.docs:
                yield batcher.take()
    except pa.ArrowException as error:
        raise bad_input(path, f"row {row + 1}", f"cannot be read ({error}).") from None
    if pf.metadata.num_rows == 0:
        ctx.counts["empty_files"] += 1
