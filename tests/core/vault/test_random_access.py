"""RandomAccessReader: any byte range of a vault file, each chunk verified before it is used; a file cut
short, chunks moved or removed, and a file of another artifact are refused at the chunk that shows it."""

from __future__ import annotations

import io
import os

import pytest

from studio.core.vault import stream
from studio.core.vault.errors import VaultIntegrityError
from studio.core.vault.stream import ArtifactRef, RandomAccessReader

CS = 32
REF = ArtifactRef(b"V" * 16, b"D" * 16, 0, "docs.text")


@pytest.fixture
def key():
    return stream.new_data_key()


def write(tmp_path, data: bytes, key: bytes, name="f.msv"):
    path = tmp_path / name
    with open(path, "wb") as fh:
        stream.encrypt_stream(io.BytesIO(data), fh, key, REF, CS)
    return path


def chunks_of(blob: bytes) -> tuple[bytes, list[bytes]]:
    header = stream.read_header(io.BytesIO(blob))
    body = blob[header.size:]
    stride = CS + stream.TAG_SIZE
    return blob[:header.size], [body[i:i + stride] for i in range(0, len(body), stride)]


@pytest.mark.parametrize("size", [0, 1, CS - 1, CS, CS + 1, 5 * CS, 5 * CS + 7])
def test_every_range_reads_back(tmp_path, key, size):
    data = os.urandom(size)
    with open(write(tmp_path, data, key), "rb") as fh:
        reader = RandomAccessReader(fh, key, REF)
        assert reader.size == size
        for start in range(0, size + 1, 5):
            for n in (0, 1, 7, CS, 2 * CS + 3):
                if start + n <= size:
                    assert reader.read(start, n) == data[start:start + n]
        with pytest.raises(VaultIntegrityError, match="beyond"):
            reader.read(max(0, size - 1), 2)
        reader.close()


def test_a_cut_short_file_is_refused_where_it_shows(tmp_path, key):
    data = os.urandom(4 * CS + 10)
    blob = write(tmp_path, data, key).read_bytes()
    head, chunks = chunks_of(blob)
    cut = tmp_path / "cut.msv"
    cut.write_bytes(head + b"".join(chunks[:-1]))  # whole chunks removed at the end
    with open(cut, "rb") as fh:
        reader = RandomAccessReader(fh, key, REF)
        assert reader.read(0, 10) == data[:10]  # earlier chunks are still authentic
        with pytest.raises(VaultIntegrityError) as info:
            reader.read(reader.size - 1, 1)  # the chunk now last was not sealed as the last
        assert info.value.reason == "truncated"


@pytest.mark.parametrize("edit", ["swap", "duplicate"])
def test_moved_chunks_are_refused(tmp_path, key, edit):
    blob = write(tmp_path, os.urandom(4 * CS + 10), key).read_bytes()
    head, chunks = chunks_of(blob)
    if edit == "swap":
        chunks[0], chunks[1] = chunks[1], chunks[0]
    else:
        chunks[1] = chunks[0]
    bad = tmp_path / "bad.msv"
    bad.write_bytes(head + b"".join(chunks))
    with open(bad, "rb") as fh:
        reader = RandomAccessReader(fh, key, REF)
        with pytest.raises(VaultIntegrityError) as info:
            reader.read(CS + 1, 2)
        assert info.value.reason == "chunk_damaged"


def test_another_artifacts_file_does_not_open(tmp_path, key):
    path = write(tmp_path, b"x" * 100, key)
    with open(path, "rb") as fh, pytest.raises(VaultIntegrityError) as info:
        RandomAccessReader(fh, key, ArtifactRef(b"V" * 16, b"D" * 16, 1, "docs.text"))  # another key epoch
    assert info.value.reason == "wrong_artifact"


def test_reading_back_while_writing(tmp_path, key):
    data = os.urandom(3 * CS + 5)
    path = tmp_path / "w.msv"
    with open(path, "wb") as fh:
        writer = stream.StreamWriter(fh, key, REF, CS)
        writer.write(data)
        fh.flush()
        assert writer.sealed_chunks == 3 and bytes(writer.unsealed()) == data[3 * CS:]
        with open(path, "rb") as rd:
            reader = RandomAccessReader(rd, key, REF, sealed_chunks=writer.sealed_chunks)
            assert reader.size == 3 * CS and reader.read(CS - 2, CS + 4) == data[CS - 2:2 * CS + 2]
        writer.close()
    with open(path, "rb") as fh:
        assert RandomAccessReader(fh, key, REF).read(0, len(data)) == data
