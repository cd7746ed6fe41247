"""Where encrypted files live: <data>/vault/blobs/<artifact id>.<key epoch>.msv.

A file appears only complete (atomic_writer: temp, fsync, rename, fsync folder) and is only ever replaced
by a file with a new name (a rotation raises the epoch), so the database can switch from the old file to
the new one in one transaction: a crash leaves either the old state or the new one readable. Files that
no row names any more (left by a crash between writing and committing, or after a rotation or a delete)
are garbage.

Who still writes: every operation that writes files (NewBlobs: an import, a rotation, an unbundle) holds a
writer lock, `.writer-<random>.lock`, listing each name before the file is made; every temp file is locked by
its writer while written (fsutil.atomic_writer). `sweep` (at every open of the studio) removes unreferenced
files and temp files that no live writer holds, at once: a killed import's gigabytes do not wait for a day.
Where flock does not exist, `collect_garbage` removes them by age.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from studio.core.fsutil import (
    HAVE_FLOCK,
    WriterLock,
    fsync_dir,
    lock_held,
    remove_stale_temp_files,
)
from studio.core.safepaths import confined

log = logging.getLogger(__name__)

NAME_RE = re.compile(r"[0-9a-f]{32}\.\d+\.msv")
WRITER_GLOB = ".writer-*.lock"


class BlobStore:
    def __init__(self, vault_dir: Path):
        self.root = Path(vault_dir) / "blobs"

    def ensure(self) -> BlobStore:
        self.root.mkdir(parents=True, exist_ok=True)
        return self

    @staticmethod
    def name_for(uid: bytes, epoch: int) -> str:
        return f"{uid.hex()}.{epoch}.msv"

    def path(self, name: str) -> Path:
        # the database names files; never let it name a path elsewhere (studio.core.safepaths)
        return confined(self.root, name, what="vault file", pattern=NAME_RE)

    def remove(self, names: Iterable[str]) -> None:
        """Best effort: a file that stays behind is only garbage (its keys are gone or it is superseded)."""
        removed = False
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                self.path(name).unlink()
                removed = True
        if removed:
            fsync_dir(self.root)

    def collect_garbage(self, referenced: set[str], min_age_s: float = 3600.0) -> list[str]:
        """Remove blob files no row references, and stale temp files, older than `min_age_s` (younger ones
        may belong to a write in progress in another process: a worker's checkpoint, an import)."""
        removed: list[str] = []
        if not self.root.is_dir():
            return removed
        now = time.time()
        for entry in os.scandir(self.root):
            if not entry.is_file() or now - entry.stat().st_mtime < min_age_s:
                continue
            if NAME_RE.fullmatch(entry.name) and entry.name not in referenced:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                    removed.append(entry.name)
        remove_stale_temp_files(self.root, min_age_s)
        if removed:
            log.info("vault: removed %d unreferenced file(s)", len(removed))
        return removed


    def sweep(self, referenced: Callable[[], set[str]]) -> list[str]:
        """Remove, now, every file no row references and no live writer holds, every temp file no live
        writer holds (and older than the grace of its first instant), and the locks of dead writers. In this
        order, so that a write that starts or commits meanwhile is never taken for garbage: list the folder,
        then read the live writers' lists, then ask the database (`referenced`)."""
        if not HAVE_FLOCK or not self.root.is_dir():
            return []
        listed = [e.name for e in os.scandir(self.root) if e.is_file()]
        live: set[str] = set()
        dead = []
        for lock in self.root.glob(WRITER_GLOB):
            try:
                names = lock.read_text(encoding="utf-8").split()
            except OSError:
                continue
            if lock_held(lock):
                live.update(names)
            else:
                dead.append(lock)
        known = referenced()
        garbage = [n for n in listed if NAME_RE.fullmatch(n) and n not in known and n not in live]
        self.remove(garbage)
        temps = remove_stale_temp_files(self.root)
        for lock in dead:
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()
        if garbage or temps:
            log.info("vault: removed %d file(s) and %d temp file(s) left by writers that died", len(garbage), temps)
        return garbage


class NewBlobs:
    """The files one operation writes: listed in its writer lock before each is made (so that no sweep takes
    them for garbage while the operation lives), removed again if the operation does not commit."""

    def __init__(self, blobs: BlobStore):
        self.blobs = blobs
        self.names: list[str] = []
        self.lock: WriterLock | None = None

    def add(self, name: str) -> Path:
        if self.lock is None:
            self.blobs.ensure()
            self.lock = WriterLock(self.blobs.root / f".writer-{os.urandom(8).hex()}.lock")
        self.lock.note(name)
        self.names.append(name)
        return self.blobs.path(name)

    def release(self) -> None:
        """The operation has ended (committed, or its files are removed): its files are no longer in writing."""
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    @contextlib.contextmanager
    def guard(self, release: bool = True) -> Iterator[NewBlobs]:
        """Remove the files if the block fails; `release`: the block's end is the operation's end (else call
        release() when its transaction ends)."""
        try:
            yield self
        except BaseException:
            self.blobs.remove(self.names)
            self.release()
            raise
        if release:
            self.release()
