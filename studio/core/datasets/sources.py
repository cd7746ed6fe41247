"""Which files an import reads, in which format, in a fixed order (the same inputs give the same dataset)."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

from studio.core.datasets.textio import bad_input, base_suffix, compression_of
from studio.core.errors import ValidationError
from studio.core.messages import msg

EXTENSIONS = {
    ".txt": "text", ".text": "text", ".md": "text", ".markdown": "text", ".rst": "text",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
    ".csv": "csv", ".tsv": "csv",
    ".parquet": "parquet", ".pq": "parquet",
}


@dataclass(frozen=True)
class SourceFile:
    path: Path
    rel: str  # the name shown to the user: relative to the folder imported, or the file name
    format: str  # text | jsonl | csv | parquet
    size: int

    @property
    def compressed(self) -> bool:
        return compression_of(self.path) is not None

    @property
    def delimiter(self) -> str:
        return "\t" if base_suffix(self.path) == ".tsv" else ","


@dataclass(frozen=True)
class SourceSet:
    root: Path
    is_folder: bool
    files: tuple[SourceFile, ...]

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def formats(self) -> tuple[str, ...]:
        return tuple(sorted({f.format for f in self.files}))


def detect_format(path: Path, forced: str) -> str | None:
    if forced != "auto":
        return forced
    return EXTENSIONS.get(base_suffix(path))


def _matches(rel: str, patterns: tuple[str, ...]) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(name, p) for p in patterns)


def discover(path: str | Path, forced_format: str = "auto", include: tuple[str, ...] = (),
             exclude: tuple[str, ...] = ()) -> SourceSet:
    """The files to read. A folder is walked recursively in sorted order; hidden files and folders are
    skipped; `include` globs (default: every known extension) and `exclude` globs filter by relative path
    or file name."""
    root = Path(path).expanduser()
    if not root.exists():
        raise ValidationError(msg("{root} does not exist.", root=root), "path")
    root = root.resolve()
    if root.is_file():
        fmt = detect_format(root, forced_format)
        if fmt is None:
            raise bad_input(root, None, msg("has an extension the studio does not know; choose its format (text, jsonl, csv or parquet)."))
        return SourceSet(root, False, (SourceFile(root, root.name, fmt, root.stat().st_size),))
    if not root.is_dir():
        raise ValidationError(msg("{root} is neither a file nor a folder.", root=root), "path")
    files = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if any(part.startswith(".") for part in rel.split("/")) or not p.is_file():
            continue
        if include and not _matches(rel, include):
            continue
        if exclude and _matches(rel, exclude):
            continue
        known = EXTENSIONS.get(base_suffix(p))
        if include:  # the user asked for these files explicitly
            fmt = known if forced_format == "auto" else forced_format
            if fmt is None:
                raise bad_input(p, None, msg("has an extension the studio does not know; choose its format."))
        elif known is None or forced_format not in ("auto", known):
            continue
        else:
            fmt = known
        files.append(SourceFile(p, rel, fmt, p.stat().st_size))
    if not files:
        what = f" matching {', '.join(include)}" if include else " of a known format (.txt, .md, .jsonl, .csv, .tsv, .parquet)"
        raise ValidationError(msg("The folder {root} has no files{what}.", root=root, what=what), "path")
    return SourceSet(root, True, tuple(files))


def remove_source_files(paths: tuple[str, ...] | list[str], root: str, is_folder: bool) -> list[str]:
    """Delete the files an import read (the user's "remove the source after import"), then, for a folder,
    the folders this left empty (the folder itself too when nothing else is in it). Files shipped with the
    studio (the samples) are never removed. A plain unlink: the disk may keep the old blocks (see
    docs/vault.md on secure erasure). Returns what was removed; what cannot be removed is logged."""
    import logging

    from studio.core.resources import resource_path

    log = logging.getLogger(__name__)
    shipped = resource_path("datasets").resolve()
    removed: list[str] = []
    for name in paths:
        path = Path(name)
        if shipped == path.resolve().parent or shipped in path.resolve().parents:
            log.info("not removing %s: it ships with the studio", path)
            continue
        try:
            path.unlink()
            removed.append(str(path))
        except FileNotFoundError:
            pass
        except OSError as error:
            log.warning("could not remove the source file %s: %s", path, error)
    if is_folder and removed:
        top = Path(root)
        for folder in sorted({p for r in removed for p in Path(r).parents if p == top or top in p.parents},
                             key=lambda p: len(p.parts), reverse=True):
            try:
                folder.rmdir()  # only when empty
                removed.append(str(folder))
            except OSError:
                pass
    return removed
