"""Vault files on disk: encrypt a file, decrypt one to a file or into memory, write one atomically.

Whatever fails, nothing is left behind: outputs appear by rename only after the whole input verified,
temp files are removed, and partial plaintext in memory is overwritten.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from studio.core.fsutil import atomic_writer
from studio.core.vault.errors import VaultIntegrityError
from studio.core.vault.stream import (
    DEFAULT_CHUNK_SIZE,
    ArtifactRef,
    StreamHeader,
    StreamWriter,
    decrypt_stream,
    encrypt_stream,
    iter_plaintext,
    plaintext_size,
    read_header,
    verify_stream,
    zero,
)

Progress = Callable[[int], None] | None


def encrypt_file(src_path: Path, dst_path: Path, key: bytes, ref: ArtifactRef,
                 chunk_size: int = DEFAULT_CHUNK_SIZE, progress: Progress = None) -> StreamHeader:
    """Encrypt a file into `dst_path` atomically (temp, fsync, rename, fsync folder)."""
    with open(src_path, "rb") as src, atomic_writer(Path(dst_path)) as dst:
        return encrypt_stream(src, dst, key, ref, chunk_size, progress)


def decrypt_file(src_path: Path, dst_path: Path, key: bytes, expected: ArtifactRef, progress: Progress = None) -> int:
    """Decrypt a vault file into `dst_path`, which appears only when the whole file verified; on any
    failure no temp file remains and `dst_path` is untouched."""
    with open(src_path, "rb") as src, atomic_writer(Path(dst_path)) as dst:
        return decrypt_stream(src, dst, key, expected, progress, mapped=True)


def verify_file(path: Path, key: bytes, expected: ArtifactRef, progress: Progress = None) -> int:
    with open(path, "rb") as src:
        return verify_stream(src, key, expected, progress, mapped=True)


def decrypt_file_to_buffer(path: Path, key: bytes, expected: ArtifactRef, progress: Progress = None,
                           expected_size: int | None = None) -> bytearray:
    """The plaintext of a vault file, decrypted chunk by chunk straight into one buffer and returned only
    when every chunk and the end verified. On failure the buffer is overwritten and nothing is returned.
    `expected_size` (what the database recorded) is checked before the buffer is allocated, so that a
    file grown on disk cannot make the reader allocate more than the model's size."""
    with open(path, "rb") as src:
        header = read_header(src)
        size = plaintext_size(os.fstat(src.fileno()).st_size, header)
        if expected_size is not None and size != expected_size:
            reason = "trailing_data" if size > expected_size else "truncated"
            raise VaultIntegrityError(reason, f"The file holds {size} bytes, not the {expected_size} recorded: "
                                              "it was cut short or appended to.")
        buf = bytearray(size)
        src.seek(0)
        try:
            for _ in iter_plaintext(src, key, expected, progress, into=buf, mapped=True):
                pass
        except BaseException:
            zero(buf)
            raise
        return buf


def decrypt_file_to_bytes(path: Path, key: bytes, expected: ArtifactRef, progress: Progress = None) -> bytes:
    buf = decrypt_file_to_buffer(path, key, expected, progress)
    try:
        return bytes(buf)
    finally:
        zero(buf)


@contextlib.contextmanager
def atomic_encrypted_writer(path: Path, key: bytes, ref: ArtifactRef,
                            chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[StreamWriter]:
    """A StreamWriter into `path` that appears (complete, final chunk written, fsynced) only when the block
    succeeds; on any error the temp file is removed and `path` is untouched."""
    with atomic_writer(Path(path)) as fh:
        writer = StreamWriter(fh, key, ref, chunk_size)
        try:
            yield writer
        except BaseException:
            writer.abort()
            raise
        writer.close()
