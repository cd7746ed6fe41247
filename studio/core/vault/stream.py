"""The vault's file format (v1, docs/vault-format.md): streaming AES-256-GCM over chunks, in constant memory.

A file is a header followed by chunks. Every file has its own random 32-byte data key; HKDF-SHA256 derives
from it (with the header's random salt, and the artifact it belongs to) one key for the header's HMAC and one
for the chunks. Chunk i is sealed with nonce = 7-byte random prefix || i (u32, big-endian) || last-chunk flag,
and with the whole header as associated data, so that a chunk cannot move, a file cannot end early or late
without the final flag noticing, and a file copied over another artifact's file does not open.
The design follows age's STREAM (C2SP age.md) and Tink's AES-GCM-HKDF streaming AEAD.

This module needs no database: a worker process that holds a data key and an ArtifactRef can write a vault
file with `encrypt_stream` or `StreamWriter`, and any process can read one back with the same two things.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import math
import mmap
import os
import re
import stat
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from studio.core.vault.errors import VaultIntegrityError

MAGIC = b"\x93MSVAULT"
FORMAT_VERSION = 1
KEY_SIZE = 32
TAG_SIZE = 16
SALT_SIZE = 16
PREFIX_SIZE = 7
ID_SIZE = 16
MAC_SIZE = 32
DEFAULT_CHUNK_SIZE = 1 << 20  # measured in bench/vault.py: 1 MiB is at the raw AES-GCM speed
MIN_CHUNK_SIZE = 16  # tiny chunks only make sense in tests; they are allowed because they are harmless
MAX_CHUNK_SIZE = 16 << 20  # bounds the reader's buffers: a header cannot make us allocate more
MAX_COUNTER = 1 << 32
ROLE_RE = re.compile(rb"[a-z0-9][a-z0-9_.-]{0,31}")

# magic, format version, header length, chunk size, salt, nonce prefix, vault id, artifact id, version, role length
_FIXED = struct.Struct(f">8sHHI{SALT_SIZE}s{PREFIX_SIZE}s{ID_SIZE}s{ID_SIZE}sIB")
MIN_HEADER_SIZE = _FIXED.size + 1 + MAC_SIZE
MAX_HEADER_SIZE = _FIXED.size + 32 + MAC_SIZE

_LABEL = b"model-studio/vault/v1/"


@dataclass(frozen=True)
class ArtifactRef:
    """What a vault file belongs to; bound into its keys, its header MAC and every chunk's associated data."""

    vault_id: bytes  # 16 bytes, one per vault (or per bundle)
    artifact_id: bytes  # 16 bytes, one per stored file
    version: int  # the model version number the file belongs to
    role: str  # weights, optimizer, tokenizer, config, ...

    def __post_init__(self) -> None:
        if len(self.vault_id) != ID_SIZE or len(self.artifact_id) != ID_SIZE:
            raise ValueError("vault_id and artifact_id must be 16 bytes")
        if not 0 <= self.version < 1 << 32:
            raise ValueError("version must fit in 32 bits")
        if not ROLE_RE.fullmatch(self.role.encode("ascii", "replace")):
            raise ValueError(f"invalid role {self.role!r}")

    def encode(self) -> bytes:
        role = self.role.encode("ascii")
        return self.vault_id + self.artifact_id + struct.pack(">IB", self.version, len(role)) + role


@dataclass(frozen=True)
class StreamHeader:
    ref: ArtifactRef
    chunk_size: int
    salt: bytes
    nonce_prefix: bytes
    raw: bytes  # the header as stored, MAC included (every chunk's associated data)

    @property
    def size(self) -> int:
        return len(self.raw)


def encrypted_size(plaintext_size: int, chunk_size: int, role: str) -> int:
    """The exact size of the file `encrypt_stream` writes for `plaintext_size` bytes."""
    chunks = max(1, math.ceil(plaintext_size / chunk_size))
    return _FIXED.size + len(role) + MAC_SIZE + plaintext_size + chunks * TAG_SIZE


def plaintext_size(file_size: int, header: StreamHeader) -> int:
    """The plaintext size implied by a file's size (exact for an intact file; checked while decrypting)."""
    body = file_size - header.size
    chunks = max(1, math.ceil(body / (header.chunk_size + TAG_SIZE)))
    return max(0, body - chunks * TAG_SIZE)


def new_data_key() -> bytes:
    return os.urandom(KEY_SIZE)


def _derive(key: bytes, salt: bytes, purpose: bytes, ref: ArtifactRef) -> bytes:
    if len(key) != KEY_SIZE:
        raise ValueError("a data key is 32 bytes")
    info = _LABEL + purpose + b"/" + ref.encode()
    return HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=salt, info=info).derive(key)


def _mac(key: bytes, salt: bytes, ref: ArtifactRef, data: bytes) -> bytes:
    h = hmac.HMAC(_derive(key, salt, b"header", ref), hashes.SHA256())
    h.update(data)
    return h.finalize()


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", counter, 1 if last else 0)


def _read_bytes(src: BinaryIO, n: int) -> bytes:
    buf = bytearray(n)
    return bytes(buf[:_read_full(src, memoryview(buf))])


def _read_full(src: BinaryIO, view: memoryview) -> int:
    """Fill `view` from `src` (pipes and sockets may return short reads); return the bytes read."""
    total = 0
    while total < len(view):
        n = src.readinto(view[total:])
        if not n:
            break
        total += n
    return total


# ---------------------------------------------------------------------------------------------------------
# Writing


def _new_header(key: bytes, ref: ArtifactRef, chunk_size: int) -> StreamHeader:
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk size must be between {MIN_CHUNK_SIZE} and {MAX_CHUNK_SIZE}")
    salt, prefix = os.urandom(SALT_SIZE), os.urandom(PREFIX_SIZE)
    role = ref.role.encode("ascii")
    size = _FIXED.size + len(role) + MAC_SIZE
    body = _FIXED.pack(MAGIC, FORMAT_VERSION, size, chunk_size, salt, prefix, ref.vault_id, ref.artifact_id,
                       ref.version, len(role)) + role
    return StreamHeader(ref, chunk_size, salt, prefix, body + _mac(key, salt, ref, body))


class StreamWriter:
    """Encrypts everything written to it into `dst`, one chunk at a time (at most two chunks in memory).

    `close()` writes the final chunk. Leaving a `with` block by an exception does not: the file then fails
    to decrypt as truncated, so a half-written stream can never pass for a whole one.
    """

    def __init__(self, dst: BinaryIO, key: bytes, ref: ArtifactRef, chunk_size: int = DEFAULT_CHUNK_SIZE):
        self.header = _new_header(key, ref, chunk_size)
        self._dst = dst
        self._aead = AESGCM(_derive(key, self.header.salt, b"payload", ref))
        self._chunk = chunk_size
        self._pending = bytearray(chunk_size)
        self._fill = 0
        self._out = bytearray(chunk_size + TAG_SIZE)
        self._counter = 0
        self._written = 0
        self._state = "open"
        dst.write(self.header.raw)

    @property
    def plaintext_written(self) -> int:
        return self._written

    @property
    def sealed_chunks(self) -> int:
        """Chunks already encrypted and written (none of them the last while the stream is open): a
        RandomAccessReader(..., sealed_chunks=n) reads them back from the file while writing goes on."""
        return self._counter

    def unsealed(self) -> memoryview:
        """The plaintext written after the last sealed chunk (still in memory, not yet in the file)."""
        return memoryview(self._pending)[:self._fill]

    def writable(self) -> bool:
        return self._state == "open"

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._state != "open":
            raise ValueError("write to a closed vault stream")
        view = memoryview(data).cast("B")
        total = len(view)
        while view:
            if self._fill == self._chunk:
                # a full chunk with more data behind it: it is not the last one
                self._seal(memoryview(self._pending), last=False)
                self._fill = 0
            take = min(len(view), self._chunk - self._fill)
            self._pending[self._fill:self._fill + take] = view[:take]
            self._fill += take
            view = view[take:]
        self._written += total
        return total

    def _seal(self, chunk: memoryview, last: bool) -> None:
        if self._counter >= MAX_COUNTER:
            raise ValueError("too many chunks for one vault file")
        n = len(chunk)
        out = memoryview(self._out)[:n + TAG_SIZE]
        self._aead.encrypt_into(_nonce(self.header.nonce_prefix, self._counter, last), chunk, self.header.raw, out)
        self._dst.write(out)
        self._counter += 1

    def close(self) -> None:
        """Write the final chunk. Closing twice is a no-op; closing an aborted writer is refused."""
        if self._state == "closed":
            return
        if self._state == "aborted":
            raise ValueError("this vault stream was aborted")
        self._seal(memoryview(self._pending)[:self._fill], last=True)
        self._state = "closed"

    def abort(self) -> None:
        self._state = "aborted"

    def __enter__(self) -> StreamWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def encrypt_stream(
    src: BinaryIO, dst: BinaryIO, key: bytes, ref: ArtifactRef, chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Callable[[int], None] | None = None,
) -> StreamHeader:
    """Encrypt everything `src` yields into `dst`. Reads ahead one chunk to know which chunk is the last.
    `progress(plaintext_bytes_so_far)` is called after every chunk (and may raise to stop)."""
    header = _new_header(key, ref, chunk_size)
    aead = AESGCM(_derive(key, header.salt, b"payload", ref))
    dst.write(header.raw)
    cur, nxt = bytearray(chunk_size), bytearray(chunk_size)
    out = bytearray(chunk_size + TAG_SIZE)
    n = _read_full(src, memoryview(cur))
    counter, done = 0, 0
    while True:
        m = _read_full(src, memoryview(nxt)) if n == chunk_size else 0
        last = m == 0
        view = memoryview(out)[:n + TAG_SIZE]
        aead.encrypt_into(_nonce(header.nonce_prefix, counter, last), memoryview(cur)[:n], header.raw, view)
        dst.write(view)
        done += n
        if progress is not None:
            progress(done)
        if last:
            return header
        counter += 1
        if counter >= MAX_COUNTER:
            raise ValueError("too many chunks for one vault file")
        cur, nxt, n = nxt, cur, m


# ---------------------------------------------------------------------------------------------------------
# Reading


def read_header(src: BinaryIO) -> StreamHeader:
    """Parse and bound a header WITHOUT authenticating it (see open_stream). Every field is checked before
    anything is derived or allocated from it."""
    head = _read_bytes(src, _FIXED.size)
    if len(head) < len(MAGIC) or head[: len(MAGIC)] != MAGIC:
        if MAGIC.startswith(head):
            raise VaultIntegrityError("truncated", "The file is cut short inside its header.")
        raise VaultIntegrityError("not_vault_file", "This is not a Model Studio vault file.")
    if len(head) < _FIXED.size:
        raise VaultIntegrityError("truncated", "The file is cut short inside its header.")
    magic, fmt, size, chunk_size, salt, prefix, vault_id, artifact_id, version, role_len = _FIXED.unpack(head)
    if fmt != FORMAT_VERSION:
        raise VaultIntegrityError(
            "unsupported_version",
            f"The file uses vault format {fmt}; this version of Model Studio reads format {FORMAT_VERSION}. "
            "Update Model Studio.",
        )
    if not (MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE and 1 <= role_len <= 32
            and size == _FIXED.size + role_len + MAC_SIZE):
        raise VaultIntegrityError("bad_header", "The file's header holds values out of bounds: it is damaged.")
    rest = _read_bytes(src, role_len + MAC_SIZE)
    if len(rest) < role_len + MAC_SIZE:
        raise VaultIntegrityError("truncated", "The file is cut short inside its header.")
    role = rest[:role_len]
    if not ROLE_RE.fullmatch(role):
        raise VaultIntegrityError("bad_header", "The file's header names an invalid role: it is damaged.")
    ref = ArtifactRef(vault_id, artifact_id, version, role.decode("ascii"))
    return StreamHeader(ref, chunk_size, salt, prefix, head + rest)


def _describe(ref: ArtifactRef) -> str:
    return f"artifact {ref.artifact_id.hex()[:8]} version {ref.version} ({ref.role})"


def open_stream(src: BinaryIO, key: bytes, expected: ArtifactRef) -> StreamHeader:
    """Read a header and check that it belongs to `expected` and verifies under `key`."""
    header = read_header(src)
    if header.ref != expected:
        raise VaultIntegrityError(
            "wrong_artifact",
            f"This file belongs to {_describe(header.ref)}, not to {_describe(expected)}: "
            "vault files were swapped or moved. Restore the right file from a backup.",
        )
    body, tag = header.raw[:-MAC_SIZE], header.raw[-MAC_SIZE:]
    h = hmac.HMAC(_derive(key, header.salt, b"header", expected), hashes.SHA256())
    h.update(body)
    try:
        h.verify(tag)
    except InvalidSignature:
        raise VaultIntegrityError(
            "header_auth", "The file's header does not verify: the file is damaged, or this is not its key."
        ) from None
    return header


class _ReadSource:
    """Chunks read with readinto into two alternating buffers (a view stays valid until the call after
    next: the reader holds one chunk while it reads ahead the next)."""

    def __init__(self, src: BinaryIO, size: int):
        self._src = src
        self._bufs = (bytearray(size), bytearray(size))
        self._turn = 0

    def next(self, n: int) -> memoryview:
        view = memoryview(self._bufs[self._turn])[:n]
        self._turn ^= 1
        return view[:_read_full(self._src, view)]

    def close(self) -> None:
        pass


class _MappedSource:
    """Chunks as views into read-only mappings of a regular file: no copy before AES-GCM reads them (on
    CPUs where AES-GCM runs at memcpy speed, reading into a buffer would halve the throughput). The file is
    mapped in windows of WINDOW bytes, so a 10 GB file never needs a 10 GB mapping. (MAP_POPULATE was
    measured: half the speed of plain faults with MADV_SEQUENTIAL.) Used for vault files only: they are
    replaced by rename, never truncated in place, which a mapping would not survive."""

    WINDOW = 256 << 20

    def __init__(self, src: BinaryIO):
        self._fd = src.fileno()
        self._pos = src.tell()
        self._end = os.fstat(self._fd).st_size
        self._maps: list[tuple[int, mmap.mmap, memoryview]] = []  # (offset, map, view): at most the last two

    @staticmethod
    def usable(src: BinaryIO) -> bool:
        try:
            st = os.fstat(src.fileno())
            return stat.S_ISREG(st.st_mode) and st.st_size > src.tell()
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
            return False

    def _window_for(self, start: int, stop: int) -> tuple[int, memoryview]:
        if self._maps:
            offset, _, view = self._maps[-1]
            if offset <= start and stop <= offset + len(view):
                return offset, view
        offset = start - start % mmap.ALLOCATIONGRANULARITY
        length = max(self.WINDOW, stop - offset)
        length = min(length, self._end - offset)
        mapping = mmap.mmap(self._fd, length, access=mmap.ACCESS_READ, offset=offset)
        with contextlib.suppress(AttributeError, OSError):
            mapping.madvise(mmap.MADV_SEQUENTIAL)
        self._maps.append((offset, mapping, memoryview(mapping)))
        if len(self._maps) > 2:  # the reader holds at most the previous chunk
            self._release(self._maps.pop(0))
        return offset, self._maps[-1][2]

    def next(self, n: int) -> memoryview:
        start = self._pos
        stop = min(self._end, start + n)
        self._pos = stop
        if stop == start:
            return memoryview(b"")
        offset, view = self._window_for(start, stop)
        return view[start - offset:stop - offset]

    @staticmethod
    def _release(entry: tuple[int, mmap.mmap, memoryview]) -> None:
        _, mapping, view = entry
        view.release()
        with contextlib.suppress(BufferError):  # a chunk view still alive: the mapping goes with it
            mapping.close()

    def close(self) -> None:
        while self._maps:
            self._release(self._maps.pop())


def _chunks_of(src: BinaryIO, size: int, mapped: bool) -> _ReadSource | _MappedSource:
    return _MappedSource(src) if mapped and _MappedSource.usable(src) else _ReadSource(src, size)


def iter_plaintext(
    src: BinaryIO, key: bytes, expected: ArtifactRef, progress: Callable[[int], None] | None = None,
    into: bytearray | None = None, mapped: bool = False,
) -> Iterator[memoryview]:
    """Yield the plaintext chunk by chunk, each only after its tag verified.

    The views are reused (copy what you keep), unless `into` is given: then chunk i is decrypted straight
    into its place in `into`, which must be exactly the plaintext size (see plaintext_size). A consumer
    that stops early, or sees an exception, has seen an unverified *file* (each chunk was authentic, the
    whole was not): write what you receive to a temp file and discard it on error, or use decrypt_file /
    decrypt_file_to_buffer, which release nothing until the end verified. `mapped=True` reads a regular
    file through a memory map (vault files only, see _MappedSource)."""
    header = open_stream(src, key, expected)
    cs = header.chunk_size
    aead = AESGCM(_derive(key, header.salt, b"payload", expected))
    out = bytearray(cs) if into is None else None
    source = _chunks_of(src, cs + TAG_SIZE, mapped)
    try:
        cur = source.next(cs + TAG_SIZE)
        counter, done = 0, 0
        while True:
            n = len(cur)
            nxt = source.next(cs + TAG_SIZE) if n == cs + TAG_SIZE else memoryview(b"")
            last = len(nxt) == 0
            if n < TAG_SIZE:
                raise VaultIntegrityError("truncated", f"The file ends early: chunk {counter} is missing or cut short.")
            if out is not None:
                plain = memoryview(out)[:n - TAG_SIZE]
            elif done + n - TAG_SIZE <= len(into):
                plain = memoryview(into)[done:done + n - TAG_SIZE]
            else:
                raise VaultIntegrityError("trailing_data", "The file is longer than its size allows: data was appended.")
            try:
                aead.decrypt_into(_nonce(header.nonce_prefix, counter, last), cur, header.raw, plain)
            except InvalidTag:
                raise _diagnose(aead, header, counter, last, cur) from None
            if last and counter > 0 and n == TAG_SIZE:
                # the writer never ends a non-empty file with an empty chunk: refuse the non-canonical form
                raise VaultIntegrityError("chunk_damaged", f"Chunk {counter} is an empty final chunk: the file is damaged.")
            done += len(plain)
            if progress is not None:
                progress(done)
            yield plain
            if last:
                if into is not None and done != len(into):
                    raise VaultIntegrityError("truncated", "The file is shorter than its size says.")
                return
            counter += 1
            if counter >= MAX_COUNTER:
                raise VaultIntegrityError("chunk_damaged", "The file has more chunks than the format allows.")
            cur = nxt
    finally:
        cur = nxt = plain = None  # release views of the mapping before closing it
        source.close()


def _diagnose(aead: AESGCM, header: StreamHeader, counter: int, last: bool, sealed: memoryview) -> VaultIntegrityError:
    """Name the failure precisely: the same chunk sealed with the other last-chunk flag tells a cut-short
    file (a middle chunk now at the end) and data after the final chunk apart from damage."""
    scratch = bytearray(len(sealed) - TAG_SIZE)
    try:
        aead.decrypt_into(_nonce(header.nonce_prefix, counter, not last), sealed, header.raw, scratch)
    except InvalidTag:
        if last and len(sealed) < header.chunk_size + TAG_SIZE:
            return VaultIntegrityError(
                "chunk_damaged",
                f"Chunk {counter} (the last) does not verify: the file is damaged, cut short or appended to.",
            )
        return VaultIntegrityError(
            "chunk_damaged", f"Chunk {counter} does not verify: it is damaged, missing, duplicated or out of order."
        )
    finally:
        zero(scratch)
    if last:
        return VaultIntegrityError("truncated", f"The file ends early, after chunk {counter}: its final chunk is missing.")
    return VaultIntegrityError("trailing_data", f"Data follows the final chunk (chunk {counter}): the file was appended to.")


class RandomAccessReader:
    """Any byte range of a vault file, decrypting only the chunks that hold it: STREAM seals each chunk
    under its own nonce (prefix, index, last-chunk flag), so chunk i opens on its own, and it still cannot
    move, and the file still cannot end early or late without the final flag noticing whenever the last
    chunk is read. Each chunk is verified before a byte of it is returned. For datasets (random access to
    stored documents).

    A complete file: `sealed_chunks=None`. A file still being written by a StreamWriter (flushed): give
    `writer.sealed_chunks`; those chunks are all non-final and only they can be read."""

    def __init__(self, src: BinaryIO, key: bytes, expected: ArtifactRef, sealed_chunks: int | None = None):
        self._src = src
        self.header = open_stream(src, key, expected)
        cs = self.header.chunk_size
        self._stride = cs + TAG_SIZE
        self._aead = AESGCM(_derive(key, self.header.salt, b"payload", expected))
        self._body = os.fstat(src.fileno()).st_size - self.header.size
        self._complete = sealed_chunks is None
        if sealed_chunks is None:
            self.chunks = max(1, math.ceil(self._body / self._stride))
            if self._body - (self.chunks - 1) * self._stride < TAG_SIZE:
                raise VaultIntegrityError("truncated", f"The file ends early: chunk {self.chunks - 1} is cut short.")
            self.size = self._body - self.chunks * TAG_SIZE
        else:
            if self._body < sealed_chunks * self._stride:
                raise VaultIntegrityError("truncated", "The file is shorter than the chunks written to it.")
            self.chunks, self.size = sealed_chunks, sealed_chunks * cs
        self._sealed = bytearray(self._stride)
        self._plain = bytearray(cs)
        self._cached: tuple[int, int] | None = None  # (chunk index, plaintext length) held in _plain

    def read(self, offset: int, n: int) -> bytes:
        """Bytes [offset, offset + n) of the plaintext."""
        if offset < 0 or n < 0 or offset + n > self.size:
            raise VaultIntegrityError("truncated", f"Bytes {offset}-{offset + n} lie beyond the file's "
                                                   f"{self.size} bytes: it was cut short or its index is damaged.")
        out = bytearray(n)
        cs, done = self.header.chunk_size, 0
        while done < n:
            index, within = divmod(offset + done, cs)
            plain = self._chunk(index)
            take = min(len(plain) - within, n - done)
            out[done:done + take] = plain[within:within + take]
            done += take
        return bytes(out)

    def _chunk(self, index: int) -> memoryview:
        if self._cached is not None and self._cached[0] == index:
            return memoryview(self._plain)[:self._cached[1]]
        last = self._complete and index == self.chunks - 1
        length = min(self._stride, self._body - index * self._stride)
        sealed = memoryview(self._sealed)[:length]
        self._src.seek(self.header.size + index * self._stride)
        if _read_full(self._src, sealed) < length:
            raise VaultIntegrityError("truncated", f"The file ends early: chunk {index} is cut short.")
        plain = memoryview(self._plain)[:length - TAG_SIZE]
        self._cached = None
        try:
            self._aead.decrypt_into(_nonce(self.header.nonce_prefix, index, last), sealed, self.header.raw, plain)
        except InvalidTag:
            raise _diagnose(self._aead, self.header, index, last, sealed) from None
        if last and index > 0 and length == TAG_SIZE:
            raise VaultIntegrityError("chunk_damaged", f"Chunk {index} is an empty final chunk: the file is damaged.")
        self._cached = (index, len(plain))
        return plain

    def close(self) -> None:
        """Overwrite the plaintext held (the caller closes the file)."""
        zero(self._plain)
        self._cached = None


def decrypt_stream(
    src: BinaryIO, dst: BinaryIO, key: bytes, expected: ArtifactRef, progress: Callable[[int], None] | None = None,
    mapped: bool = False,
) -> int:
    """Decrypt into `dst` chunk by chunk. `dst` receives verified chunks before the end is verified: make it
    a temp file you discard on error (decrypt_file does)."""
    total = 0
    for chunk in iter_plaintext(src, key, expected, progress, mapped=mapped):
        dst.write(chunk)
        total += len(chunk)
    return total


def verify_stream(src: BinaryIO, key: bytes, expected: ArtifactRef, progress: Callable[[int], None] | None = None,
                  mapped: bool = False) -> int:
    """Check every chunk; return the plaintext size. Raises VaultIntegrityError on the first failure."""
    total = 0
    for chunk in iter_plaintext(src, key, expected, progress, mapped=mapped):
        total += len(chunk)
    return total


def zero(buf: bytearray | memoryview) -> None:
    """Overwrite a plaintext buffer (best effort: Python may have copied it elsewhere)."""
    view = memoryview(buf).cast("B")
    if len(view):
        ctypes.memset(ctypes.addressof(ctypes.c_char.from_buffer(view)), 0, len(view))


def decrypt_to_bytes(src: BinaryIO, key: bytes, expected: ArtifactRef,
                     progress: Callable[[int], None] | None = None) -> bytes:
    """The whole plaintext of a stream, returned only when every chunk and the end verified; on failure the
    partial plaintext is overwritten and nothing is returned. For files use files.decrypt_file_to_buffer,
    which decrypts in place without the extra copies."""
    buf = bytearray()
    try:
        for chunk in iter_plaintext(src, key, expected, progress):
            buf += chunk
        return bytes(buf)
    finally:
        zero(buf)
