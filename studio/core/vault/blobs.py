"""Where encrypted files live: <data>/vault/blobs/<artifact id>.<key epoch>.msv.

A file appears only complete (atomic_writer: temp, fsync, rename, fsync folder) and is only ever replaced
by a file with a new name (a rotation raises the epoch), so the database can switch from the old file to
the new one in one transaction: a crash leaves either the old state or the new one readable. Files that
no row names any more (left by a crash between writing and committing, or after a rotation or a delete)
are removed by collect_garbage.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from studio.core.fsutil import fsync_dir, remove_stale_temp_files
from studio.core.safepaths import confined

log = logging.getLogger(__name__)

NAME_RE = re.compile(r"[0-9a-f]{32}\.\d+\.msv")


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
        if min_age_s <= 0:
            remove_stale_temp_files(self.root)
        else:
            for tmp in self.root.glob(".*.tmp"):
                with contextlib.suppress(OSError):
                    if now - tmp.stat().st_mtime >= min_age_s:
                        tmp.unlink()
        if removed:
            log.info("vault: removed %d unreferenced file(s)", len(removed))
        return removed


class NewBlobs:
    """The files one operation wrote: removed again if the operation does not commit."""

    def __init__(self, blobs: BlobStore):
        self.blobs = blobs
        self.names: list[str] = []

    def add(self, name: str) -> Path:
        self.names.append(name)
        return self.blobs.path(name)

    @contextlib.contextmanager
    def guard(self) -> Iterator[NewBlobs]:
        try:
            yield self
        except BaseException:
            self.blobs.remove(self.names)
            raise
