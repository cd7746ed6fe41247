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


def test_a_writer_killed_before_its_flock_leaves_nothing_a_sweep_keeps(tmp_path, monkeypatch):
    """A kill -9 between making the temp file and locking it (test_crash's rotate leftover `.<blob>.new`) left a
    file the open-time sweep kept for a minute: now every unheld temp file goes at once, old `.new` ones too."""
    def die(*_args):
        raise KeyboardInterrupt  # stands for the kill: nothing after this line runs

    monkeypatch.setattr(fsutil.fcntl, "flock", die)
    with pytest.raises(KeyboardInterrupt):
        with atomic_writer(tmp_path / "f.bin"):
            pass
    monkeypatch.undo()
    (tmp_path / ".g.bin.abc.new").write_bytes(b"from an older version")
    assert len(os.listdir(tmp_path)) == 2
    assert remove_stale_temp_files(tmp_path) == 2
    assert os.listdir(tmp_path) == []


def test_a_live_writers_temp_file_is_kept_by_a_sweep(tmp_path):
    with atomic_writer(tmp_path / "f.bin") as fh:
        fh.write(b"half")
        assert remove_stale_temp_files(tmp_path) == 0
        fh.write(b" and the rest")
    assert (tmp_path / "f.bin").read_bytes() == b"half and the rest"
    assert os.listdir(tmp_path) == ["f.bin"]


def test_a_sweep_in_the_instant_before_the_flock_makes_the_writer_take_another_file(tmp_path, monkeypatch):
    real_flock = fsutil.fcntl.flock
    swept = []

    def flock(fd, op):
        if not swept:  # the cleaner runs between mkstemp and the writer's flock
            swept.append(None)
            swept[0] = remove_stale_temp_files(tmp_path)
        return real_flock(fd, op)

    monkeypatch.setattr(fsutil.fcntl, "flock", flock)
    atomic_write_bytes(tmp_path / "f.bin", b"whole")
    assert swept == [1]  # it took the writer's first file ...
    assert (tmp_path / "f.bin").read_bytes() == b"whole"  # ... and the write still went through
    assert os.listdir(tmp_path) == ["f.bin"]
