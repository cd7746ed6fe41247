"""The bundle format (docs/vault-format.md, section 3): one model version, encrypted for one recipient's
public key, to carry to another studio (or another user of this one).

    magic "\\x93MSBUNDL" || format (u16) = 1 || index length (u32) || index (JSON) || entries

Each entry is a vault file (format 1) whose vault id is the bundle's id, with its own fresh data key,
wrapped (HPKE) to the recipient and bound to the bundle id, the entry id and the recipient's public key.
The first entry (role "manifest") holds the model's metadata and the list of the other entries; the
plaintext index only says where the entries are. Everything in the index is checked against the
authenticated manifest before it is believed, and every length and count is bounded before use.
"""

from __future__ import annotations

import io
import json
import re
import struct
from dataclasses import dataclass
from typing import BinaryIO

from studio.core.vault import stream
from studio.core.vault.errors import VaultIntegrityError

MAGIC = b"\x93MSBUNDL"
FORMAT = 1
MAX_INDEX = 16 << 20
MAX_ENTRIES = 100_000
MAX_MANIFEST = 16 << 20
_HEAD = struct.Struct(">8sHI")
_HEX = re.compile(r"[0-9a-f]+")


@dataclass(frozen=True)
class BundleEntry:
    id: bytes  # 16 bytes
    role: str
    version: int
    offset: int  # from the start of the data area
    length: int
    wrapped_key: bytes

    def to_json(self) -> dict:
        return {"id": self.id.hex(), "role": self.role, "version": self.version, "offset": self.offset,
                "length": self.length, "key": self.wrapped_key.hex()}


@dataclass(frozen=True)
class BundleIndex:
    bundle_id: bytes
    recipient: bytes  # raw X25519 public key
    chunk_size: int
    entries: tuple[BundleEntry, ...]

    def to_bytes(self) -> bytes:
        doc = {"format": FORMAT, "bundle_id": self.bundle_id.hex(), "recipient": self.recipient.hex(),
               "chunk_size": self.chunk_size, "entries": [e.to_json() for e in self.entries]}
        body = json.dumps(doc, separators=(",", ":")).encode("utf-8")
        return _HEAD.pack(MAGIC, FORMAT, len(body)) + body


def _bad(message: str) -> VaultIntegrityError:
    return VaultIntegrityError("bad_header", f"This bundle is damaged or not a Model Studio bundle: {message}.")


def _hex(value: object, size: int, what: str) -> bytes:
    if not isinstance(value, str) or len(value) != 2 * size or not _HEX.fullmatch(value):
        raise _bad(f"invalid {what}")
    return bytes.fromhex(value)


def read_index(fh: BinaryIO, file_size: int) -> tuple[BundleIndex, int]:
    """The index and where the data area starts. Every field is bounded before anything uses it."""
    head = fh.read(_HEAD.size)
    if len(head) < _HEAD.size or head[:8] != MAGIC:
        raise VaultIntegrityError("not_vault_file", "This is not a Model Studio bundle.")
    _, fmt, n = _HEAD.unpack(head)
    if fmt != FORMAT:
        raise VaultIntegrityError("unsupported_version",
                                  f"The bundle uses format {fmt}; this version reads format {FORMAT}. Update Model Studio.")
    if n > MAX_INDEX or _HEAD.size + n > file_size:
        raise _bad("its index is too large or runs past the end")
    try:
        doc = json.loads(fh.read(n).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _bad("its index is not valid JSON") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _bad("its index is malformed")
    chunk = doc.get("chunk_size")
    if type(chunk) is not int or not stream.MIN_CHUNK_SIZE <= chunk <= stream.MAX_CHUNK_SIZE:
        raise _bad("its chunk size is out of bounds")
    raw_entries = doc.get("entries")
    if not isinstance(raw_entries, list) or not 1 <= len(raw_entries) <= MAX_ENTRIES:
        raise _bad("its entry list is malformed")
    data_start = _HEAD.size + n
    entries = []
    for e in raw_entries:
        if not isinstance(e, dict):
            raise _bad("an entry is malformed")
        role, version, offset, length = e.get("role"), e.get("version"), e.get("offset"), e.get("length")
        if (not isinstance(role, str) or not stream.ROLE_RE.fullmatch(role.encode("ascii", "replace"))
                or type(version) is not int or not 0 <= version < 1 << 32
                or type(offset) is not int or type(length) is not int or offset < 0 or length < 0
                or data_start + offset + length > file_size):
            raise _bad("an entry is malformed or lies outside the file")
        key = e.get("key")
        if not isinstance(key, str) or len(key) > 1024 or not _HEX.fullmatch(key) or len(key) % 2:
            raise _bad("an entry's key is malformed")
        entries.append(BundleEntry(_hex(e.get("id"), 16, "entry id"), role, version, offset, length, bytes.fromhex(key)))
    # The entries tile the data area exactly: no gap, no overlap, and nothing after the last one (bytes that
    # no tag covers are refused, like trailing data after a stream's final chunk).
    end = 0
    for e in sorted(entries, key=lambda e: e.offset):
        if e.offset != end:
            raise _bad("its entries overlap or leave a gap")
        end += e.length
    if data_start + end != file_size:
        raise VaultIntegrityError("trailing_data", "This bundle has bytes after its last entry (appended data, or "
                                  "a damaged copy); ask its sender for it again.")
    index = BundleIndex(_hex(doc.get("bundle_id"), 16, "bundle id"), _hex(doc.get("recipient"), 32, "recipient"),
                        chunk, tuple(entries))
    return index, data_start


class SliceReader(io.RawIOBase):
    """One entry of a bundle as a file of its own: reads stop at the entry's end."""

    def __init__(self, fh: BinaryIO, start: int, length: int):
        self._fh, self._pos, self._end = fh, start, start + length

    def readable(self) -> bool:
        return True

    def readinto(self, view) -> int:
        n = min(len(view), self._end - self._pos)
        if n <= 0:
            return 0
        self._fh.seek(self._pos)
        got = self._fh.readinto(memoryview(view)[:n])
        self._pos += got
        return got
