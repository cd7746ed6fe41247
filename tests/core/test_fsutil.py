import os

import pytest

from studio.core.fsutil import atomic_write_bytes, atomic_writer, remove_stale_temp_files


def test_atomic_write_replaces_the_whole_file(tmp_path):
    target = tmp_path / "f.bin"
    atomic_write_bytes(target, b"old")
    atomic_write_bytes(target, b"new content")
    assert target.read_bytes() == b"new content"
    assert os.listdir(tmp_path) == ["f.bin"]


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    target = tmp_path / "f.bin"
    atomic_write_bytes(target, b"old")
    with pytest.raises(RuntimeError):
        with atomic_writer(target) as fh:
            fh.write(b"half")
            raise RuntimeError("disk on fire")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["f.bin"]


def test_stale_temp_files_are_cleaned(tmp_path):
    (tmp_path / ".f.bin.abc.tmp").write_bytes(b"x")
    (tmp_path / "keep.bin").write_bytes(b"y")
    assert remove_stale_temp_files(tmp_path) == 1
    assert os.listdir(tmp_path) == ["keep.bin"]
