"""File-system helpers that keep the data folder consistent across crashes."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

STAGING_SUFFIX = ".partial"


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


class StagedOutput:
    """What an export writes before its audit entry commits: `path` lies inside a hidden folder beside the
    destination (`.<name>.<random>.partial`, mode 0700); `publish()` renames what was written there to the
    destination. See `staged_output`."""

    def __init__(self, target: Path, replace: bool = False, parents: bool = False):
        self.target = Path(target).expanduser().resolve()
        self.replace = replace
        if parents:
            self.target.parent.mkdir(parents=True, exist_ok=True)
        if not self.target.parent.is_dir():
            from studio.core.errors import ValidationError

            raise ValidationError(f"The folder {self.target.parent} does not exist.", field="out")
        self.folder = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.", suffix=STAGING_SUFFIX,
                                            dir=self.target.parent)).resolve()
        self.path = self.folder / self.target.name
        self.published: list[Path] = []

    def final(self, staged: Path) -> Path:
        """Where `staged` (a path inside the hidden folder, e.g. the writer's result) is once published."""
        return self.target.parent / Path(staged).relative_to(self.folder)

    def publish(self) -> list[Path]:
        """Move everything written into the hidden folder to the destination folder (each name must still be
        free there, unless replacing), make it durable, and remove the hidden folder. Returns the published
        paths."""
        items = sorted(self.folder.iterdir())
        taken = [] if self.replace else [p.name for p in items if os.path.lexists(self.target.parent / p.name)]
        if taken:
            from studio.core.errors import ConflictError

            raise ConflictError(f"{self.target.parent / taken[0]} appeared meanwhile; nothing was exported there. "
                                "Choose a new path.")
        for item in items:
            _fsync_tree(item)
        for item in items:
            os.replace(item, self.target.parent / item.name)
            self.published.append(self.target.parent / item.name)
        fsync_dir(self.target.parent)
        self.discard()
        return self.published

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _fsync_tree(path: Path) -> None:
    if path.is_dir():
        for child in path.iterdir():
            _fsync_tree(child)
        fsync_dir(path)
        return
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


@contextlib.contextmanager
def staged_output(target: Path, *, replace: bool = False, parents: bool = False) -> Iterator[StagedOutput]:
    """Plaintext that leaves the studio (an export, a bundle, the audit log as CSV) becomes visible at its
    destination only after the audit entry that records it has committed: the log fails closed, and a
    reader of the destination folder never sees a file that the log does not know about.

        with staged_output(out) as staged:
            with self.operation(...):          # the entry commits when this block ends
                write(staged.path)             # a file or a folder, as if it were `out`
            staged.publish()                   # only now does `out` appear

    Leaving the block without `publish()` (an error, the entry refused) removes everything written. A kill
    between the commit and the rename leaves the hidden folder (the entry then says more than happened,
    never less). `replace`: a file already at `target` is replaced (the audit log's CSV; exports of models
    refuse an existing path). `parents`: make missing folders above `target` (else a missing folder is a
    ValidationError)."""
    staged = StagedOutput(target, replace, parents)
    try:
        yield staged
    finally:
        if not staged.published:
            staged.discard()


# --- a private data folder ------------------------------------------------------------------------------

PRIVATE_UMASK = 0o077  # folders 0700, files 0600: password hashes, wrapped keys and the audit log are the owner's


def use_private_umask() -> None:
    """Everything this process creates from now on is readable by its owner only (SQLite's own files, its WAL
    and SHM included: SQLite gives them the database file's mode; exports too). Process-wide, on purpose: the
    studio writes through many libraries (SQLite, numpy, safetensors), and only the umask reaches them all."""
    if os.name == "posix":
        os.umask(PRIVATE_UMASK)


def make_private(root: Path) -> tuple[int, int]:
    """Take group and other permissions off every folder and file under `root` (links are not followed);
    returns (folders, files) changed. Quick when `root` is already private: its folder's own mode is what keeps
    other accounts out, so a private root with private top-level files is taken as done."""
    root = Path(root)
    if os.name != "posix" or not root.is_dir():
        return 0, 0
    top = [root, *(p for p in root.iterdir() if not p.is_symlink())]
    if all(p.lstat().st_mode & 0o077 == 0 for p in top):
        return 0, 0
    folders = files = 0
    for here, _dirs, names in os.walk(root, followlinks=False):
        for path, is_dir in [(Path(here), True)] + [(Path(here) / n, False) for n in names]:
            try:
                mode = path.lstat().st_mode
            except FileNotFoundError:
                continue
            if stat.S_ISLNK(mode) or not mode & 0o077:
                continue
            with contextlib.suppress(OSError):
                os.chmod(path, stat.S_IMODE(mode) & ~0o077)
                folders, files = (folders + 1, files) if is_dir else (folders, files + 1)
    return folders, files
