"""Reading source files as bytes: transparent .gz/.zst, a count of bytes read from disk (for progress),
and UTF-8 decoding that names the file, line and byte offset of a bad sequence."""

from __future__ import annotations

import contextlib
import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from studio.core.errors import ValidationError
from studio.core.messages import Message, msg

COMPRESSIONS = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd"}
CHUNK = 1 << 20


def compression_of(path: Path) -> str | None:
    return COMPRESSIONS.get(path.suffix.lower())


def base_suffix(path: Path) -> str:
    """The extension that says the format: data.jsonl.gz -> .jsonl"""
    p = path.with_suffix("") if compression_of(path) else path
    return p.suffix.lower()


def bad_input(path: Path, where: str | None, message: str | Message) -> ValidationError:
    """An error that names the file and, where known, the line or byte offset."""
    return ValidationError(msg("{path}{where}: {message}", path=path, where=f", {where}" if where else "",
                               message=message), field="path")


class CountingReader(io.RawIOBase):
    """A raw file that counts the bytes read from disk (compressed bytes for compressed files)."""

    def __init__(self, raw: BinaryIO):
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001 - memoryview
        n = self._raw.readinto(buffer)
        self.count += n or 0
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


class _ZstdReader(io.RawIOBase):
    def __init__(self, source: BinaryIO):
        import zstandard

        self._reader = zstandard.ZstdDecompressor().stream_reader(source, read_across_frames=True)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001
        data = self._reader.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._reader.close()
        super().close()


@dataclass
class OpenedSource:
    stream: BinaryIO  # decompressed bytes
    counter: CountingReader  # bytes read from disk so far
    size: int  # bytes on disk


@contextlib.contextmanager
def open_source(path: Path) -> Iterator[OpenedSource]:
    """Open a source file for streaming; decompression errors become messages that name the file."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed through the counter below
    except OSError as error:
        raise bad_input(path, None, msg("cannot be opened ({value}).", value=error.strerror or error)) from error
    counter = CountingReader(raw)
    kind = compression_of(path)
    if kind == "gzip":
        stream: BinaryIO = gzip.GzipFile(fileobj=io.BufferedReader(counter, CHUNK), mode="rb")
    elif kind == "zstd":
        stream = io.BufferedReader(_ZstdReader(io.BufferedReader(counter, CHUNK)), CHUNK)
    else:
        stream = io.BufferedReader(counter, CHUNK)
    try:
        yield OpenedSource(stream, counter, path.stat().st_size)
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise bad_input(path, None, msg("is not a readable gzip file ({error}).", error=error)) from error
    except Exception as error:
        if type(error).__module__.startswith("zstandard") or type(error).__name__ == "ZstdError":
            raise bad_input(path, None, msg("is not a readable zstd file ({error}).", error=error)) from error
        raise
    finally:
        stream.close()
        counter.close()


def where(line: int | None = None, offset: int | None = None, compressed: bool = False) -> str:
    parts = []
    if line is not None:
        parts.append(f"line {line}")
    if offset is not None:
        parts.append(f"byte offset {offset}" + (" of the decompressed data" if compressed else ""))
    return ", ".join(parts)


class Decoder:
    """UTF-8 decoding under the user's policy: fail (with file, line and offset), replace (counted), or skip
    the document (counted)."""

    def __init__(self, policy: str, counts: dict[str, int]):
        self.policy = policy
        self.counts = counts

    def decode(self, data: bytes, path: Path, line: int, offset: int, compressed: bool = False,
               place: str | None = None) -> str | None:
        """`place` replaces "line N, byte offset M" where lines mean nothing (a Parquet row)."""
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            if self.policy == "fail":
                bad_line = line + data.count(b"\n", 0, error.start)
                raise bad_input(
                    path, place or where(bad_line, offset + error.start, compressed),
                    msg("invalid UTF-8 (byte 0x{value:02X}). Choose 'replace' or 'skip' for invalid UTF-8 to import it anyway, or convert the file to UTF-8.", value=data[error.start]),
                ) from error
            if self.policy == "skip":
                self.counts["invalid_utf8_skipped"] += 1
                return None
            text = data.decode("utf-8", errors="replace")
            self.counts["replaced_chars"] += text.count("\ufffd") - data.count("\ufffd".encode())
            return text


def check_not_binary(chunk: bytes, path: Path, offset: int, compressed: bool, first: bool) -> None:
    if first and (chunk.startswith(b"\xff\xfe") or chunk.startswith(b"\xfe\xff")):
        raise bad_input(path, None, msg("is UTF-16 text; convert it to UTF-8 first."))
    nul = chunk.find(b"\x00")
    if nul >= 0:
        raise bad_input(
            path, where(None, offset + nul, compressed),
            msg("looks like a binary file (a NUL byte); only text files can be imported."),
        )
