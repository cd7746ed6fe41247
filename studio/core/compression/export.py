"""Plaintext export of a model's tensors: one safetensors file, or shards with a Hugging Face style index
(model-00001-of-00003.safetensors + model.safetensors.index.json), optionally zstd-compressed; or a
Hugging Face folder written by the version's model family (any family; a native GPT as GPT-2 when its
layers are uniform and float).

Nothing appears at the destination until everything is written: files go to a temp folder beside it, which
is renamed into place (a single file: a temp file renamed). An existing destination is refused. The
service decides who may export (the export grant) and records it; this module only writes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from studio.core.compression import storage
from studio.core.errors import ConflictError, ValidationError
from studio.core.fsutil import atomic_writer, fsync_dir
from studio.core.models.config import GPTConfig

FORMATS = ("safetensors", "hf")
INDEX_NAME = "model.safetensors.index.json"
_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
ZSTD_LEVEL = 10


@dataclass(frozen=True)
class ExportResult:
    path: Path  # the file or folder written
    files: tuple[str, ...]  # names of the files written (relative to the folder, or the file's own name)
    bytes: int  # total size on disk
    format: str
    shards: int
    compressed: bool


def parse_size(text: str | int) -> int:
    """'2GB', '500MB', '1.5GiB', '1048576' -> bytes (decimal units as Hugging Face uses them)."""
    if isinstance(text, int):
        value = text
    else:
        m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", str(text))
        if not m or m.group(2).upper() not in _UNITS:
            raise ValidationError(f"Cannot read the size {text!r}; write it like 2GB, 500MB or 1.5GiB.", field="shard_size")
        value = int(float(m.group(1)) * _UNITS[m.group(2).upper()])
    if value < 1024:
        raise ValidationError("A shard must hold at least 1 KiB.", field="shard_size")
    return value


def plan_shards(tensors: dict[str, torch.Tensor], shard_size: int) -> list[list[str]]:
    """Tensor names per shard, in name order, starting a new shard when the next tensor would overflow
    (a tensor larger than the shard size gets a shard of its own, as Hugging Face does)."""
    shards: list[list[str]] = [[]]
    filled = 0
    for name in sorted(tensors):
        n = tensors[name].numel() * tensors[name].element_size()
        if shards[-1] and filled + n > shard_size:
            shards.append([])
            filled = 0
        shards[-1].append(name)
        filled += n
    return shards


def _check_out(out: Path) -> Path:
    out = Path(out).expanduser().resolve()
    if out.exists():
        raise ConflictError(f"{out} already exists; choose a new path.")
    if not out.parent.is_dir():
        raise ValidationError(f"The folder {out.parent} does not exist.", field="out")
    return out


def _zstd(data: bytes) -> bytes:
    import zstandard

    return zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_content_size=True).compress(data)


def export_safetensors(out: str | Path, tensors: dict[str, torch.Tensor], description: dict[str, Any] | None, *,
                       shard_size: int | None = None, zstd: bool = False,
                       progress: Callable[[float], None] | None = None,
                       extra_metadata: Mapping[str, str] | None = None) -> ExportResult:
    """Without shard_size: one file at `out` (".zst" is appended to the name when zstd is on and missing).
    With shard_size: a folder `out` holding the shards and the index (shards end in ".zst" when zstd is on;
    the index names the uncompressed shard files, which `zstd -d` restores). `extra_metadata`: more header
    entries (exports/safetensors_file.py: the config, tokenizer and lineage); with shards they go into the
    index's metadata, not into every shard."""
    out = Path(out)
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    if shard_size is None:
        if zstd and out.suffix != ".zst":
            out = out.with_name(out.name + ".zst")
        out = _check_out(out)
        data = storage.to_bytes(tensors, description, extra_metadata)
        if zstd:
            data = _zstd(data)
        with atomic_writer(out) as fh:
            fh.write(data)
        if progress:
            progress(1.0)
        return ExportResult(out, (out.name,), len(data), "safetensors", 1, zstd)
    out = _check_out(out)
    groups = plan_shards(tensors, shard_size)
    n = len(groups)
    names = [f"model-{i + 1:05d}-of-{n:05d}.safetensors" for i in range(n)]
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    written, total = [], 0
    try:
        weight_map: dict[str, str] = {}
        for i, (name, group) in enumerate(zip(names, groups, strict=True)):
            part = {k: tensors[k] for k in group}
            data = storage.to_bytes(part, description)
            weight_map.update({k: name for k in group})
            file = name + (".zst" if zstd else "")
            if zstd:
                data = _zstd(data)
            (tmp / file).write_bytes(data)
            written.append(file)
            total += len(data)
            if progress:
                progress((i + 1) / (n + 1))
        index = {"metadata": {"total_size": sum(t.numel() * t.element_size() for t in tensors.values()),
                              **({storage.META_KEY: description} if description else {}),
                              **dict(extra_metadata or {})},
                 "weight_map": dict(sorted(weight_map.items()))}
        text = json.dumps(index, indent=2).encode()
        (tmp / INDEX_NAME).write_bytes(text)
        written.append(INDEX_NAME)
        total += len(text)
        for file in written:
            with open(tmp / file, "rb") as fh:
                os.fsync(fh.fileno())
        fsync_dir(tmp)
        os.rename(tmp, out)
        fsync_dir(out.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if progress:
        progress(1.0)
    return ExportResult(out, tuple(written), total, "safetensors", n, zstd)


def export_hf_folder(out: str | Path, config: GPTConfig | Mapping[str, Any], tensors: dict[str, torch.Tensor], *,
                     tokenizer_json: str | None = None, files: Mapping[str, bytes | str] | None = None) -> ExportResult:
    """A Hugging Face folder that transformers loads with the same logits (config.json, model.safetensors,
    generation_config.json and the tokenizer as real `tokenizers` files), written by the version's model
    family (models/family.py). `files`: the version's other stored files (tokenizer_config.json, ...).
    Quantized or pruned-in-shape native models cannot be described by the GPT-2 layout, and say so."""
    from studio.core.models.family import write_hf_folder

    stored = config.to_dict() if isinstance(config, GPTConfig) else dict(config)
    files = dict(files or {})
    if tokenizer_json is not None:
        files["tokenizer.json"] = tokenizer_json
    out = _check_out(Path(out))
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        write_hf_folder(tmp, stored, tensors, files)
        written = tuple(sorted(p.name for p in tmp.iterdir()))
        size = sum((tmp / f).stat().st_size for f in written)
        os.rename(tmp, out)
        fsync_dir(out.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ExportResult(out, written, size, "hf", 1, False)


def read_export(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any] | None]:
    """Read back what export_safetensors wrote (a file, a .zst file or a sharded folder): tensors as stored
    and the description. For tests and re-import."""
    path = Path(path)

    def read(file: Path) -> bytes:
        data = file.read_bytes()
        if file.suffix == ".zst":
            import zstandard

            data = zstandard.ZstdDecompressor().decompress(data)
        return data

    if path.is_file():
        return storage.from_bytes(read(path))
    index = json.loads((path / INDEX_NAME).read_text(encoding="utf-8"))
    tensors: dict[str, torch.Tensor] = {}
    description = None
    for shard in sorted(set(index["weight_map"].values())):
        if Path(shard).name != shard:
            raise ValidationError(f"The shard index names a file outside the folder: {shard!r}.")
        file = path / shard
        if not file.exists():
            file = path / (shard + ".zst")
        part, description = storage.from_bytes(read(file))
        tensors.update(part)
    if set(tensors) != set(index["weight_map"]):
        raise ValidationError("The shards do not hold exactly the tensors the index lists.")
    return tensors, description
