"""File-system helpers that keep the data folder consistent across crashes."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import stat
import tempfile
import time
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
    On any error the temp file is removed and `target` is untouched.

    The temp file is locked by its writer (flock) until after it is renamed over `target`, so a cleaner
    (remove_stale_temp_files) takes exactly the temp files whose writer died (see locked_temp_file)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = locked_temp_file(target.parent, prefix=f".{target.name}.")
    fh = os.fdopen(fd, "wb")
    try:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())
        if not HAVE_FLOCK:  # a file cannot be renamed while open there
            fh.close()
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    finally:
        fh.close()
    fsync_dir(target.parent)


def atomic_write_bytes(target: Path, data: bytes) -> None:
    with atomic_writer(target) as fh:
        fh.write(data)


NEW_SUFFIX = ".new"  # temp files of versions before locked_temp_file: swept like `.tmp` ones
TEMP_GRACE_S = 60.0  # without flock: how long a `.new` file may be someone's write in progress


def locked_temp_file(folder: Path, prefix: str) -> tuple[int, str]:
    """A new `<prefix>*.tmp` file in `folder`, open and locked by this process (without flock: just open).

    A cleaner may take the file in the instant between its creation and the flock (it looked unheld); the
    cleaner unlinks only while it holds the lock itself, so once the flock is ours a file still linked is ours
    for good, and an unlinked one is given up for another."""
    for _ in range(5):
        fd, path = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
        if not HAVE_FLOCK:
            return fd, path
        fcntl.flock(fd, fcntl.LOCK_EX)
        if os.fstat(fd).st_nlink > 0:
            return fd, path
        os.close(fd)
    raise OSError(f"could not make a temp file in {folder}: a cleaner kept taking it")


def _remove_if_unheld(path: Path) -> bool:
    """Unlink `path` if no live process holds its lock, deciding and unlinking under the lock ourselves."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # a live writer holds it
        if os.stat(path).st_ino != os.fstat(fd).st_ino:
            return False  # replaced meanwhile: not the file we judged
        os.unlink(path)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def remove_stale_temp_files(folder: Path, min_age_s: float = 0.0) -> int:
    """Remove temp files left by a crash in the middle of atomic_writer or WriterLock: every `.tmp` (and older
    versions' `.new`) that no live writer holds; without flock, those older than `min_age_s` (`.new`:
    TEMP_GRACE_S). Returns how many."""
    count = 0
    now = time.time()
    if not folder.is_dir():
        return 0
    for tmp in [*folder.rglob(".*.tmp"), *folder.rglob(f".*{NEW_SUFFIX}")]:
        if HAVE_FLOCK:
            count += _remove_if_unheld(tmp)
            continue
        with contextlib.suppress(OSError):
            grace = TEMP_GRACE_S if tmp.suffix == NEW_SUFFIX else min_age_s
            if now - tmp.stat().st_mtime >= grace:
                tmp.unlink()
                count += 1
    return count


class StagedOutput:
    """What an export writes before its audit entry commits: `path` lies inside a hidden folder beside the
    destination (`.<name>.<random>.partial`, mode 0700); `publish()` renames what was written there to the
    destination. See `staged_output`."""

    def __init__(self, target: Path, replace: bool = False, parents: bool = False, journal: Path | None = None):
        self.target = Path(target).expanduser().resolve()
        self.replace = replace
        if parents:
            self.target.parent.mkdir(parents=True, exist_ok=True)
        if not self.target.parent.is_dir():
            from studio.core.errors import ValidationError

            raise ValidationError(f"The folder {self.target.parent} does not exist.", field="out")
        self._lock: WriterLock | None = None
        if journal is not None:  # named in the journal before it exists: a kill at any moment leaves a note
            journal.mkdir(parents=True, exist_ok=True)
            self._lock = WriterLock(journal / f"{secrets.token_hex(8)}.lock")
        try:
            self.folder = self._make_folder()
        except BaseException:
            self.release()
            raise
        self.path = self.folder / self.target.name
        self.published: list[Path] = []

    def _make_folder(self) -> Path:
        for _ in range(100):
            folder = self.target.parent / f".{self.target.name}.{secrets.token_hex(6)}{STAGING_SUFFIX}"
            if self._lock is not None:
                self._lock.note(str(folder))
            try:
                os.mkdir(folder, 0o700)
            except FileExistsError:
                continue
            return folder.resolve()
        raise FileExistsError(f"no free staging name beside {self.target}")

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

    def release(self) -> None:
        """The journal's note goes (the hidden folder is published or removed)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None


STAGING_GRACE_S = 24 * 3600.0  # without flock: how old a journal note must be before its writer counts as gone


def sweep_staged_outputs(journal: Path) -> list[Path]:
    """Remove the hidden folders of exports that a killed process left beside their destinations (plaintext
    whose audit entry never committed, or committed just before the kill and was never published): every
    note of the journal that no live writer holds names them. Only a hidden `*.partial` folder of this
    account is removed, whatever a note says. Returns the folders removed."""
    removed: list[Path] = []
    if not journal.is_dir():
        return removed
    for note in sorted(journal.glob("*.lock")):
        with contextlib.suppress(OSError):
            held = lock_held(note)
            if held or (held is None and time.time() - note.stat().st_mtime < STAGING_GRACE_S):
                continue
            for line in note.read_text("utf-8", errors="replace").splitlines():
                folder = Path(line.strip())
                if not folder.is_absolute() or not folder.name.startswith(".") \
                        or not folder.name.endswith(STAGING_SUFFIX):
                    continue
                with contextlib.suppress(OSError):
                    info = folder.lstat()
                    if stat.S_ISDIR(info.st_mode) and (not hasattr(os, "getuid") or info.st_uid == os.getuid()):
                        shutil.rmtree(folder)
                        removed.append(folder)
            note.unlink()
    return removed


def _fsync_tree(path: Path) -> None:
    if path.is_dir():
        for child in path.iterdir():
            _fsync_tree(child)
        fsync_dir(path)
        return
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


@contextlib.contextmanager
def staged_output(target: Path, *, replace: bool = False, parents: bool = False,
                  journal: Path | None = None) -> Iterator[StagedOutput]:
    """Plaintext that leaves the studio (an export, a bundle, the audit log as CSV) becomes visible at its
    destination only after the audit entry that records it has committed: the log fails closed, and a
    reader of the destination folder never sees a file that the log does not know about.

        with staged_output(out) as staged:
            with self.operation(...):          # the entry commits when this block ends
                write(staged.path)             # a file or a folder, as if it were `out`
            staged.publish()                   # only now does `out` appear

    Leaving the block without `publish()` (an error, the entry refused) removes everything written. A kill
    between the commit and the rename leaves the hidden folder (the entry then says more than happened,
    never less); so does a kill while writing (no entry at all): `journal` (the data folder's staging notes)
    names the folder, under a lock held while it lives, and the next open removes it
    (sweep_staged_outputs). `replace`: a file already at `target` is replaced (the audit log's CSV; exports
    of models refuse an existing path). `parents`: make missing folders above `target` (else a missing
    folder is a ValidationError)."""
    staged = StagedOutput(target, replace, parents, journal)
    try:
        yield staged
    finally:
        if not staged.published:
            staged.discard()
        staged.release()


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


# --- "a writer lives": held lock files -------------------------------------------------------------------
# A process that leaves files behind if it dies (an import, a rotation, a checkpoint write) holds an exclusive
# flock on a lock file for as long as it works; the operating system drops it when the process ends, kill -9
# included. Whoever cleans up (at open) removes only what no live writer holds: no age to wait out, nothing
# in progress ever touched. Where flock does not exist (Windows), callers fall back to ages.

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

HAVE_FLOCK = fcntl is not None


class WriterLock:
    """An exclusive lock held on `path` until `release()` (or the process's end). The file appears under its
    name already locked (made and locked under a temp name, then renamed), so a cleaner never sees it free
    while its writer starts. `note(line)` appends a line (what the writer is about to create)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.fd: int | None = None
        if not HAVE_FLOCK:
            self.path.touch()
            return
        # Made locked under a temp name a cleaner takes once no one holds it: a writer killed before the
        # rename leaves nothing.
        fd, tmp = locked_temp_file(self.path.parent, prefix=".lock-")
        os.replace(tmp, self.path)
        self.fd = fd

    def note(self, line: str) -> None:
        data = (line.rstrip("\n") + "\n").encode("utf-8")
        if self.fd is not None:
            os.write(self.fd, data)
        else:
            with open(self.path, "ab") as fh:
                fh.write(data)

    def touch(self) -> None:
        """For platforms without flock: a fresh mtime says the writer still lives."""
        with contextlib.suppress(OSError):
            os.utime(self.path)

    def release(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def lock_held(path: Path) -> bool | None:
    """Whether a live process holds the lock file `path` (False when there is none); None without flock."""
    if not HAVE_FLOCK:
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False
