"""Datasets encrypted at rest: the storage seam (storage.py) over the vault's file format.

Every file of an encrypted dataset (token arrays, masks, the document text and index, the tokenizer, the
manifest, the list of sources) is a vault stream (studio/core/vault/stream.py): encrypted chunk by chunk as
it is written, so no plaintext reaches the disk, not even in the staging folder of an import. One 32-byte
data key per dataset (wrapped for its owner, its grantees and the vault's recovery key by the dataset
service, like a model file's key); each file is bound to the vault, the dataset, the key epoch and its own
name through its ArtifactRef, so files cannot be swapped between datasets, epochs or places.

Reading: arrays are decrypted into memory (`read_array` -> np.frombuffer over the decrypted buffer: what
training gets), small files whole, and the document text at random (RandomAccessReader: only the chunks
holding the requested record are decrypted), so the preview stays quick on big datasets.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from studio.core.datasets.storage import ArrayWriter, PlainStorage, RecordReader, RecordWriter
from studio.core.errors import StudioError
from studio.core.vault import files, stream
from studio.core.vault.errors import VaultIntegrityError
from studio.core.vault.stream import ArtifactRef, RandomAccessReader, StreamWriter


@dataclass(frozen=True)
class DatasetKey:
    """What opens one dataset's files: its data key (in memory only, for one operation), the vault's id,
    the dataset's 16-byte id bound into its files, and the key epoch (+1 at every re-encryption)."""

    key: bytes = field(repr=False)
    vault_id: bytes
    uid: bytes
    epoch: int = 0
    chunk_size: int = stream.DEFAULT_CHUNK_SIZE

    def ref(self, path: Path) -> ArtifactRef:
        return ArtifactRef(self.vault_id, self.uid, self.epoch, Path(path).name)


def _damaged(path: Path, error: VaultIntegrityError) -> StudioError:
    return StudioError(f"The dataset file {Path(path).name} is damaged or was replaced ({error}); restore the "
                       "data folder from a backup or import the dataset again.")


class EncryptedArrayWriter(ArrayWriter):
    def __init__(self, path: Path, dtype: np.dtype, key: DatasetKey):
        super().__init__(path, dtype)
        self._stream = StreamWriter(self._fh, key.key, key.ref(self.path), key.chunk_size)
        self._out = self._stream

    def _finish(self) -> None:
        self._stream.close()

    def abort(self) -> None:
        self._stream.abort()
        super().abort()


class EncryptedRecordWriter(RecordWriter):
    def __init__(self, storage: EncryptedStorage, path: Path, key: DatasetKey):
        super().__init__(storage, path)
        self._key = key
        self._stream = StreamWriter(self._fh, key.key, key.ref(self.path), key.chunk_size)
        self._out = self._stream

    def _read_written(self, start: int, end: int) -> bytes:
        """Sealed chunks come back from the file; the tail not sealed yet from the stream's buffer. Once the
        writer is closed, the whole file."""
        complete = self._fh.closed
        sealed = self._stream.plaintext_written if complete else self._stream.sealed_chunks * self._key.chunk_size
        head = b""
        if start < sealed:
            if not complete:
                self._fh.flush()
            with open(self.path, "rb") as fh:
                reader = RandomAccessReader(fh, self._key.key, self._key.ref(self.path),
                                            None if complete else self._stream.sealed_chunks)
                try:
                    head = reader.read(start, min(end, sealed) - start)
                finally:
                    reader.close()
        if end <= sealed:
            return head
        tail = self._stream.unsealed()
        return head + bytes(tail[max(start, sealed) - sealed:end - sealed])

    def _finish(self) -> None:
        self._stream.close()

    def abort(self) -> None:
        self._stream.abort()
        super().abort()


class EncryptedRecordReader(RecordReader):
    def __init__(self, storage: EncryptedStorage, path: Path, key: DatasetKey):
        super().__init__(storage, path)
        try:
            self._reader = RandomAccessReader(self._fh, key.key, key.ref(self.path))
        except VaultIntegrityError as error:
            self._fh.close()
            raise _damaged(self.path, error) from error

    def _read_range(self, start: int, end: int) -> bytes:
        try:
            return self._reader.read(start, end - start)
        except VaultIntegrityError as error:
            raise _damaged(self.path, error) from error

    def close(self) -> None:
        self._reader.close()
        super().close()


class EncryptedStorage(PlainStorage):
    format = "vault-v1"
    encrypted = True

    def __init__(self, key: DatasetKey):
        self.key = key

    def array_writer(self, path: Path, dtype: np.dtype) -> ArrayWriter:
        return EncryptedArrayWriter(path, dtype, self.key)

    def read_array(self, path: Path, dtype: np.dtype) -> np.ndarray:
        """The whole array, decrypted into memory (read-only), returned only when every chunk verified."""
        dtype = np.dtype(dtype)
        try:
            buf = files.decrypt_file_to_buffer(Path(path), self.key.key, self.key.ref(path))
        except VaultIntegrityError as error:
            raise _damaged(path, error) from error
        if len(buf) % dtype.itemsize:
            stream.zero(buf)
            raise StudioError(f"{path} is damaged: its size is not a whole number of {dtype} items.")
        array = np.frombuffer(buf, dtype=dtype)
        array.flags.writeable = False
        return array

    def iter_array(self, path: Path, dtype: np.dtype, chunk_bytes: int = 4 << 20) -> Iterator[np.ndarray]:
        """In chunks of whole items, each chunk verified before it is used (the import's own passes: the
        file was written moments ago; a damaged one still fails at the chunk that is damaged)."""
        dtype = np.dtype(dtype)
        pending = bytearray()
        with open(path, "rb") as fh:
            try:
                for plain in stream.iter_plaintext(fh, self.key.key, self.key.ref(path), mapped=True):
                    pending += plain
                    if len(pending) >= chunk_bytes:
                        whole = len(pending) - len(pending) % dtype.itemsize
                        yield np.frombuffer(bytes(pending[:whole]), dtype=dtype)
                        del pending[:whole]
            except VaultIntegrityError as error:
                raise _damaged(path, error) from error
        if len(pending) % dtype.itemsize:
            raise StudioError(f"{path} is damaged: its size is not a whole number of {dtype} items.")
        if pending:
            yield np.frombuffer(bytes(pending), dtype=dtype)

    def record_writer(self, path: Path) -> RecordWriter:
        return EncryptedRecordWriter(self, path, self.key)

    def record_reader(self, path: Path) -> RecordReader:
        return EncryptedRecordReader(self, path, self.key)

    def write_bytes(self, path: Path, data: bytes) -> None:
        with files.atomic_encrypted_writer(Path(path), self.key.key, self.key.ref(path), self.key.chunk_size) as w:
            w.write(data)

    def read_bytes(self, path: Path) -> bytes:
        try:
            return files.decrypt_file_to_bytes(Path(path), self.key.key, self.key.ref(path))
        except VaultIntegrityError as error:
            raise _damaged(path, error) from error
