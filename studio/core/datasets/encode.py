"""Tokenizing blocks of documents, in this process or in worker processes.

BPE encoding is Python-bound (the GIL), so on a machine with more than one core a big import hands blocks
to worker processes. They are plain child processes (`studio tokenize-worker`, a hidden verb, started by
studio.core.procs like every child of the studio), not multiprocessing:
nothing of the caller's main module is re-imported, so this works the same from the CLI, the GUI's worker
thread or any script. A block goes out as its text and document lengths, ids come back as raw arrays
(a small framed format: an 8-byte header length, a JSON header, the buffers). Results come back in block
order; at most two blocks per worker are in flight, so memory stays bounded. The import can push blocks
while it is still reading (see importer.py), so that tokenizing overlaps reading.
"""

from __future__ import annotations

import json
import os
import queue
import struct
import subprocess
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Iterator
from typing import Any, BinaryIO

import numpy as np

from studio.core import procs
from studio.core.datasets.tokenizers import Tokenizer, load_tokenizer
from studio.core.errors import StudioError
from studio.core.procs import studio_command

PARALLEL_MIN_CHARS = 32 << 20  # below this, starting worker processes costs more than it saves
WORKERS_ENV = "STUDIO_IMPORT_WORKERS"

Encoded = tuple[np.ndarray, np.ndarray, np.ndarray | None]  # ids, ids per document, loss mask


def encode_block(tokenizer: Tokenizer, text: str, chars: np.ndarray, seg_lens: np.ndarray | None = None,
                 nseg: np.ndarray | None = None) -> Encoded:
    """The ids of a block's documents (no end-of-document tokens yet) and how many each has. With parts
    (prompt/response data), also the loss mask: parts at odd positions in their document are learned."""
    if seg_lens is None:
        ends = np.cumsum(chars).tolist()
        flat, lengths = tokenizer.encode_many([text[s:e] for s, e in zip([0] + ends[:-1], ends, strict=True)])
        return flat, lengths, None
    ends = np.cumsum(seg_lens).tolist()
    flat, part_lens = tokenizer.encode_many([text[s:e] for s, e in zip([0] + ends[:-1], ends, strict=True)])
    first_part = np.cumsum(nseg) - nseg
    position = np.arange(len(seg_lens)) - np.repeat(first_part, nseg)
    mask = np.repeat((position % 2 == 1).astype(np.uint8), part_lens)
    doc_of_part = np.repeat(np.arange(len(nseg)), nseg)
    lengths = np.bincount(doc_of_part, weights=part_lens, minlength=len(nseg)).astype(np.int64)
    return flat, lengths, mask


def choose_workers(tokenizer_kind: str, total_chars: int, requested: int | None = None) -> int:
    """How many worker processes to use (1: none, encode here). `tokenizer_kind`: byte, char, bpe, file."""
    if requested is None:
        env = os.environ.get(WORKERS_ENV, "").strip()
        requested = int(env) if env.isdigit() else None
    if requested is not None:
        return max(1, requested)
    if tokenizer_kind in ("byte", "char") or total_chars < PARALLEL_MIN_CHARS:
        return 1  # cheap tokenizers are faster here than the cost of sending text to another process
    return max(1, min(os.cpu_count() or 1, 4))


# -- the framed messages -----------------------------------------------------------------------------------


def write_message(stream: BinaryIO, fields: dict[str, Any]) -> None:
    """Fields are bytes, numpy arrays or None."""
    header: dict[str, Any] = {}
    buffers = []
    for name, value in fields.items():
        if value is None:
            header[name] = None
        elif isinstance(value, bytes):
            header[name] = ["bytes", len(value)]
            buffers.append(value)
        else:
            array = np.ascontiguousarray(value)
            header[name] = [array.dtype.str, array.nbytes]
            buffers.append(array.view(np.uint8).reshape(-1).data)
    encoded = json.dumps(header).encode()
    stream.write(struct.pack("<Q", len(encoded)))
    stream.write(encoded)
    for buffer in buffers:
        stream.write(buffer)
    stream.flush()


def read_message(stream: BinaryIO) -> dict[str, Any] | None:
    """The next message, or None at the end of the stream."""
    size = stream.read(8)
    if len(size) < 8:
        return None
    header = json.loads(stream.read(struct.unpack("<Q", size)[0]))
    fields: dict[str, Any] = {}
    for name, spec in header.items():
        if spec is None:
            fields[name] = None
            continue
        kind, nbytes = spec
        data = stream.read(nbytes)
        if len(data) < nbytes:
            return None
        fields[name] = data if kind == "bytes" else np.frombuffer(data, dtype=np.dtype(kind))
    return fields


def worker_main() -> None:
    """A worker process: the tokenizer JSON first, then blocks in, ids out, until stdin closes."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    first = read_message(stdin)
    if first is None:
        return
    tokenizer = load_tokenizer(first["tokenizer"].decode("utf-8"))
    while (job := read_message(stdin)) is not None:
        flat, lengths, mask = encode_block(tokenizer, job["text"].decode("utf-8"), job["chars"], job["seg_lens"],
                                           job["nseg"])
        write_message(stdout, {"flat": flat.astype(tokenizer.dtype), "lengths": lengths, "mask": mask})


def worker_command() -> list[str]:
    """The hidden verb `tokenize-worker` (cheap to start: `python -m studio` runs hidden verbs without the CLI)."""
    return studio_command("tokenize-worker")


class _Worker:
    def __init__(self, tokenizer_json: str):
        self.errors = tempfile.TemporaryFile()
        root = str(procs.install_dir())  # the child imports this studio, installed or not
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
        self.proc = procs.popen(worker_command(), env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=self.errors)
        self.jobs: queue.Queue = queue.Queue()
        self.jobs.put({"tokenizer": tokenizer_json.encode("utf-8")})
        self.results: queue.Queue = queue.Queue()
        # a thread feeds stdin and one reads stdout, so that neither side blocks the other on a full pipe
        self.feeder = threading.Thread(target=self._feed, name="tokenizer-feeder", daemon=True)
        self.reader = threading.Thread(target=self._read, name="tokenizer-reader", daemon=True)
        self.feeder.start()
        self.reader.start()

    def _feed(self) -> None:
        try:
            while (fields := self.jobs.get()) is not None:
                write_message(self.proc.stdin, fields)
        except (BrokenPipeError, OSError):
            pass  # the worker died; the reader reports it
        finally:
            try:
                self.proc.stdin.close()
            except OSError:
                pass

    def _read(self) -> None:
        try:
            while (fields := read_message(self.proc.stdout)) is not None:
                self.results.put((fields["flat"], fields["lengths"].astype(np.int64), fields["mask"]))
        except (OSError, ValueError):
            pass
        self.results.put(None)  # the end: a result expected after this means the worker died

    def submit(self, args: tuple) -> None:
        text, chars, *parts = args
        seg_lens, nseg = parts if parts else (None, None)
        self.jobs.put({"text": text.encode("utf-8"), "chars": np.asarray(chars, np.int64),
                       "seg_lens": None if seg_lens is None else np.asarray(seg_lens, np.int64),
                       "nseg": None if nseg is None else np.asarray(nseg, np.int64)})

    def has_result(self) -> bool:
        return not self.results.empty()

    def result(self) -> Encoded:
        item = self.results.get()
        if item is None:
            self.results.put(None)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            self.errors.seek(0)
            detail = self.errors.read().decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
            raise StudioError(f"A tokenizing worker process stopped (exit {self.proc.returncode}): {detail[0]}")
        return item

    def close(self, kill: bool) -> None:
        self.jobs.put(None)
        if kill:
            self.proc.kill()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.feeder.join(timeout=5)
        self.reader.join(timeout=5)
        self.proc.stdout.close()
        self.errors.close()


class BlockEncoder:
    """Encodes blocks here or in worker processes, answering in submission order.

    Push: `submit(key, args)`, then `next_result(wait)` gives (key, Encoded) for the oldest block (None when
    it is not ready and wait is False). Pull: `encode(jobs)` yields (key, Encoded) for (key, args) jobs."""

    def __init__(self, tokenizer: Tokenizer, workers: int = 1):
        self.tokenizer = tokenizer
        self.workers: list[_Worker] = []
        if workers > 1:
            text = tokenizer.to_json()
            self.workers = [_Worker(text) for _ in range(workers)]
        self._pending: deque = deque()  # (key, worker) in submission order
        self._done: deque = deque()  # results computed here
        self._submitted = 0
        self._clean = False

    @property
    def in_flight(self) -> int:
        return len(self._pending) + len(self._done)

    @property
    def capacity(self) -> int:
        """How many blocks may be in flight: two per worker keeps each busy while bounding memory."""
        return 2 * max(1, len(self.workers))

    def submit(self, key: Any, args: tuple) -> None:
        if not self.workers:
            self._done.append((key, encode_block(self.tokenizer, *args)))
            return
        worker = self.workers[self._submitted % len(self.workers)]  # round robin; each answers in order
        self._submitted += 1
        worker.submit(args)
        self._pending.append((key, worker))

    def next_result(self, wait: bool = True) -> tuple[Any, Encoded] | None:
        if self._done:
            return self._done.popleft()
        if not self._pending:
            return None
        key, worker = self._pending[0]
        if not wait and not worker.has_result():
            return None
        self._pending.popleft()
        return key, worker.result()

    def encode(self, jobs: Iterator[tuple[Any, tuple]]) -> Iterator[tuple[Any, Encoded]]:
        for key, args in jobs:
            self.submit(key, args)
            while self.in_flight > self.capacity:
                yield self.next_result()
        while self.in_flight:
            yield self.next_result()
        self.finished()

    def finished(self) -> None:
        """Every result was taken: close() may let the workers end on their own."""
        self._clean = True

    def close(self) -> None:
        """Stop the workers (killed at once if the work did not finish: cancel or failure)."""
        for worker in self.workers:
            worker.close(kill=not self._clean)
        self.workers = []
