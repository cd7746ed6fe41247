"""Paths made from what the database says, kept inside the folder they belong to.

The database is data, and anyone who can write the data folder can write it: a dataset's `storage_key`, a
vault file's name or a run's id must never name a path outside its folder, whatever they contain. Every path
derived from database content goes through `confined(root, name)` before anything is read or deleted:

- `name` is relative and plain: not empty, no NUL, not absolute (POSIX or Windows, drive or UNC), no `..`
  or `.` component, no backslash, and (with `single=True`, the default) one component only;
- it may match a required pattern (`pattern=`, a compiled regular expression, full match);
- the result, resolved, lies strictly inside `root` resolved, and the final component is not a symbolic
  link (a link inside the folder could point anywhere; shutil.rmtree refuses links too, silently when
  errors are ignored, which would leave a delete half done).

A refusal raises UnsafePathError, which names the folder and the value, so that the user learns that the
database was altered; nothing has been touched when it is raised.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath, PureWindowsPath

from studio.core.errors import IntegrityError


class UnsafePathError(IntegrityError):
    """A path taken from the database would leave its folder (the database was altered)."""


def confined(root: Path, name: object, *, what: str = "file", single: bool = True,
             pattern: re.Pattern[str] | None = None) -> Path:
    """`root / name`, checked as the module says; `what` names the kind of entry for the message."""
    root = Path(root)
    text = name if isinstance(name, str) else None
    problem = _problem(text, single, pattern)
    path = None
    if problem is None:
        path = root / text
        base = root.resolve()
        resolved = path.resolve()
        if resolved == base or not resolved.is_relative_to(base):
            problem = "it leads outside the folder"
        elif path.is_symlink():
            problem = "it is a symbolic link"
        elif any(p.is_symlink() for p in list(path.parents)[: len(PurePosixPath(text).parts) - 1]):
            problem = "it passes through a symbolic link"
    if problem is not None:
        raise UnsafePathError(
            f"The database names the {what} {name!r} in {root}, which is refused: {problem}. The database was "
            "altered (or damaged); nothing was read or deleted. Restore studio.db from a backup you trust."
        )
    return path


def _problem(text: str | None, single: bool, pattern: re.Pattern[str] | None) -> str | None:
    if text is None:
        return "it is not a name"
    if not text or "\x00" in text:
        return "it is empty or holds a NUL character"
    if "\\" in text or PureWindowsPath(text).drive or PurePosixPath(text).is_absolute():
        return "it is an absolute path"
    parts = PurePosixPath(text).parts
    if any(p in ("..", ".") for p in text.split("/")) or not parts:
        return "it climbs out of the folder"
    if single and len(parts) != 1:
        return "it is not a single name"
    if pattern is not None and not pattern.fullmatch(text):
        return "it is not a name the studio makes"
    return None
