"""File-system helpers that keep the data folder consistent across crashes."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in `path` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_writer(target: Path) -> Iterator[BinaryIO]:
    """Write `target` all or nothing: a temp file in the same folder, fsync, rename over, fsync the folder.
    On any error the temp file is removed and `target` is untouched."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(target.parent)


def atomic_write_bytes(target: Path, data: bytes) -> None:
    with atomic_writer(target) as fh:
        fh.write(data)


def remove_stale_temp_files(folder: Path) -> int:
    """Remove temp files left by a crash in the middle of atomic_writer; returns how many."""
    count = 0
    if folder.is_dir():
        for tmp in folder.rglob(".*.tmp"):
            with contextlib.suppress(OSError):
                tmp.unlink()
                count += 1
    return count
