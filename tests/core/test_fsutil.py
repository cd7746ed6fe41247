import os

import pytest

from studio.core import fsutil
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


def test_a_writer_killed_before_its_lock_is_renamed_leaves_nothing_a_sweep_keeps(tmp_path, monkeypatch):
    """WriterLock makes and locks a temp file, then renames it: a writer that dies in between left a
    `.lock-*` file no cleaner removed (seen in test_crash's kill -9 runs)."""
    held = []
    real_flock = fsutil.fcntl.flock

    def flock(fd, op):
        held.append(fd)
        return real_flock(fd, op)

    def die(*_args):
        raise KeyboardInterrupt  # stands for the kill: nothing after this line runs

    monkeypatch.setattr(fsutil.fcntl, "flock", flock)
    monkeypatch.setattr(fsutil.os, "replace", die)
    with pytest.raises(KeyboardInterrupt):
        fsutil.WriterLock(tmp_path / ".writer-x.lock")
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()][0].startswith(".lock-")
    assert fsutil.remove_stale_temp_files(tmp_path) == 0  # its writer still lives (holds the lock): kept
    os.close(held[0])  # the process ends: the operating system drops the lock
    assert fsutil.remove_stale_temp_files(tmp_path) == 1
    assert list(tmp_path.iterdir()) == []
    lock = fsutil.WriterLock(tmp_path / ".writer-x.lock")  # and the real thing still works
    assert [p.name for p in tmp_path.iterdir()] == [".writer-x.lock"] and fsutil.lock_held(lock.path)
    lock.release()
