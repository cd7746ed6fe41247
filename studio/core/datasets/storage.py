"""The one place where a dataset's bytes are written and read: the seam for encryption at rest.

Everything of a dataset goes through a Storage object:

    storage.array_writer(path, dtype)  -> append numpy chunks (token arrays, masks, the document index)
    storage.read_array(path, dtype)    -> np.ndarray (a read-only memory map here)
    storage.iter_array(path, dtype)    -> the same in chunks (one pass over a big file in little memory)
    storage.record_writer(path)        -> append records (blocks of document text), random access later
    storage.record_reader(path)        -> read(i) -> bytes
    storage.write_bytes / read_bytes   -> small files (tokenizer.json, manifest.json, sources.json)

PlainStorage ("plain-v1") keeps plaintext: arrays as raw little-endian files (nanoGPT's .bin layout),
text records compressed with zstd. EncryptedStorage ("vault-v1", studio/core/datasets/encrypted.py) writes
every one of these files in the vault's streaming format instead (encrypted as it is written, decrypted into
memory by read_array, records read back at random through the format's independent chunks); the importer,
the statistics, the preview and training do not change. The dataset row records which storage wrote it
(`storage_format`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from studio.core.errors import StudioError
from studio.core.fsutil import atomic_write_bytes


class ArrayWriter:
    """Appends arrays of one dtype to a file; `close()` makes it durable, `abort()` removes it."""

    def __init__(self, path: Path, dtype: np.dtype):
        self.path = Path(path)
        self.dtype = np.dtype(dtype)
        self.count = 0
        self._fh = open(self.path, "wb")  # noqa: SIM115 - closed in close()/abort()
        self._out = self._fh  # where the bytes go (an encrypting stream in EncryptedStorage)

    def append(self, array: np.ndarray) -> None:
        data = np.ascontiguousarray(array, dtype=self.dtype)
        if data.dtype.byteorder == ">":
            data = data.astype(self.dtype.newbyteorder("<"))
        self._out.write(data.reshape(-1).view(np.uint8).data)
        self.count += len(data)

    def _finish(self) -> None:
        """Write what the format needs at the end (the final encrypted chunk)."""

    def close(self) -> None:
        if not self._fh.closed:
            self._finish()
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()

    def abort(self) -> None:
        self._fh.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> ArrayWriter:
        return self

    def __exit__(self, exc_type, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class RecordWriter:
    """Records (zstd-compressed) one after another in `path`; their offsets in `path` + ".offsets"."""

    def __init__(self, storage: PlainStorage, path: Path, level: int = 1):
        import zstandard

        self.storage = storage
        self.path = Path(path)
        self._compress = zstandard.ZstdCompressor(level=level).compress
        self._fh = open(self.path, "wb")  # noqa: SIM115
        self._out = self._fh
        self._offsets = [0]

    def append(self, data: bytes) -> int:
        packed = self._compress(data)
        self._out.write(packed)
        self._offsets.append(self._offsets[-1] + len(packed))
        return len(self._offsets) - 2

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def abort(self) -> None:
        self._fh.close()
        self.path.unlink(missing_ok=True)

    def read_back(self, index: int) -> bytes:
        """A record already written (while writing goes on)."""
        import zstandard

        return zstandard.ZstdDecompressor().decompress(self._read_written(self._offsets[index], self._offsets[index + 1]))

    def _read_written(self, start: int, end: int) -> bytes:
        if not self._fh.closed:
            self._fh.flush()
        with open(self.path, "rb") as fh:
            fh.seek(start)
            return fh.read(end - start)

    def _finish(self) -> None:
        """Write what the format needs at the end (the final encrypted chunk)."""

    def close(self) -> None:
        if self._fh.closed:
            return
        self._finish()
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        self.storage.write_bytes(offsets_path(self.path), np.asarray(self._offsets, dtype="<u8").tobytes())


def offsets_path(path: Path) -> Path:
    return Path(str(path) + ".offsets")


class RecordReader:
    def __init__(self, storage: PlainStorage, path: Path):
        import zstandard

        self.path = Path(path)
        self._offsets = storage.read_array(offsets_path(self.path), np.dtype("<u8"))
        self._decompress = zstandard.ZstdDecompressor().decompress
        self._fh = open(self.path, "rb")  # noqa: SIM115 - closed in close()

    def __len__(self) -> int:
        return max(0, len(self._offsets) - 1)

    def read(self, index: int) -> bytes:
        start, end = int(self._offsets[index]), int(self._offsets[index + 1])
        return self._decompress(self._read_range(start, end))

    def _read_range(self, start: int, end: int) -> bytes:
        self._fh.seek(start)
        return self._fh.read(end - start)

    def close(self) -> None:
        self._fh.close()


class PlainStorage:
    format = "plain-v1"
    encrypted = False

    def array_writer(self, path: Path, dtype: np.dtype) -> ArrayWriter:
        return ArrayWriter(path, dtype)

    def read_array(self, path: Path, dtype: np.dtype) -> np.ndarray:
        dtype = np.dtype(dtype)
        size = Path(path).stat().st_size
        if size % dtype.itemsize:
            raise StudioError(f"{path} is damaged: its size is not a whole number of {dtype} items.")
        if size == 0:
            return np.zeros(0, dtype=dtype)
        return np.memmap(path, dtype=dtype, mode="r")

    def iter_array(self, path: Path, dtype: np.dtype, chunk_bytes: int = 4 << 20) -> Iterator[np.ndarray]:
        """An array in chunks of about chunk_bytes, read (not mapped): a whole pass over a big file keeps
        memory small, where touching every page of a memory map would keep them all resident."""
        dtype = np.dtype(dtype)
        count = max(1, chunk_bytes // dtype.itemsize)
        with open(path, "rb") as fh:
            while True:
                chunk = np.fromfile(fh, dtype=dtype, count=count)
                if len(chunk) == 0:
                    return
                yield chunk

    def record_writer(self, path: Path) -> RecordWriter:
        return RecordWriter(self, path)

    def record_reader(self, path: Path) -> RecordReader:
        return RecordReader(self, path)

    def write_bytes(self, path: Path, data: bytes) -> None:
        atomic_write_bytes(path, data)

    def read_bytes(self, path: Path) -> bytes:
        return Path(path).read_bytes()


def storage_for(storage_format: str, key: object = None) -> PlainStorage:
    """The storage that reads a dataset stored as `storage_format`; an encrypted one needs the dataset's
    key (studio.core.datasets.encrypted.DatasetKey), which the dataset service opens for the actor."""
    if storage_format == PlainStorage.format:
        return PlainStorage()
    from studio.core.datasets.encrypted import EncryptedStorage

    if storage_format == EncryptedStorage.format:
        if key is None:
            raise StudioError("This dataset is encrypted: it opens only with its key.")
        return EncryptedStorage(key)  # type: ignore[arg-type]
    raise StudioError(
        f"This dataset is stored as {storage_format!r}, which this version of Model Studio cannot read."
    )
