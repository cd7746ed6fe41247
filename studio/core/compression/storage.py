"""How a compressed model lies in a safetensors file (or in the vault, which stores the same tensors).

Names are the model's own (model_tensors): a float layer keeps `<layer>.weight`; a quantized one has
`<layer>.qweight` (int8, or uint8 holding two int4 values per byte), `<layer>.scales` and, for int4,
`<layer>.mins`, and for AWQ `<layer>.in_scales` (format version 2), next to its float `<layer>.bias`. A pruned matrix whose sparse form is smaller is stored as
`<name>.nzmask` (one bit per element), `<name>.nzvalues` (the non-zeros) and `<name>.nzshape`; reading
restores the dense tensor. So the tensors describe themselves; the header metadata adds the description:

    __metadata__ = {"format": "pt", "studio.compression": "<JSON: format, version, config, recipe, ...>"}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load, save

from studio.core.compression.packing import decode_sparse, encode_sparse, sparse_bytes
from studio.core.errors import ValidationError
from studio.core.fsutil import atomic_write_bytes

META_KEY = "studio.compression"
FORMAT = "studio.compressed"
VERSION = 2  # the newest this code reads; 2 added AWQ's in_scales
SPARSE_SUFFIXES = (".nzmask", ".nzvalues", ".nzshape")
SPARSE_MIN_ZEROS = 0.15  # below this share of zeros the bitmap cannot pay for itself (int8: 1/8 = 0.125)


def version_for(tensors: dict[str, torch.Tensor]) -> int:
    """The oldest format version that describes these tensors (so older studios still read what they can)."""
    return 2 if any(name.endswith(".in_scales") for name in tensors) else 1


def encode_sparse_tensors(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Matrices with enough zeros (pruned) in sparse form when that is smaller; everything else as is."""
    out: dict[str, torch.Tensor] = {}
    for name, t in tensors.items():
        if t.ndim == 2 and t.numel() >= 64 and name.endswith(("weight", "qweight")) and t.dtype != torch.uint8:
            zeros = t.numel() - int(torch.count_nonzero(t))
            if zeros >= SPARSE_MIN_ZEROS * t.numel() and sparse_bytes(t) < t.numel() * t.element_size():
                bits, values = encode_sparse(t)
                out[name + ".nzmask"] = bits
                out[name + ".nzvalues"] = values
                out[name + ".nzshape"] = torch.tensor(list(t.shape), dtype=torch.int64)
                continue
        out[name] = t
    return out


def decode_tensors(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The dense tensors: sparse triples (name.nzmask/.nzvalues/.nzshape) rebuilt, the rest unchanged."""
    out: dict[str, torch.Tensor] = {}
    sparse: dict[str, dict[str, torch.Tensor]] = {}
    for name, t in tensors.items():
        for suffix in SPARSE_SUFFIXES:
            if name.endswith(suffix):
                sparse.setdefault(name[: -len(suffix)], {})[suffix] = t
                break
        else:
            out[name] = t
    for name, parts in sparse.items():
        if len(parts) != 3:
            raise ValidationError(f"The sparse tensor {name} is incomplete (it needs .nzmask, .nzvalues and .nzshape).")
        if name in out:
            raise ValidationError(f"The tensor {name} is stored both dense and sparse.")
        shape = tuple(int(v) for v in parts[".nzshape"].tolist())
        out[name] = decode_sparse(parts[".nzmask"], parts[".nzvalues"], shape)
    return out


def description_of(metadata: dict[str, str] | None) -> dict[str, Any] | None:
    """The compression description in a safetensors header's metadata, or None when there is none."""
    if not metadata or META_KEY not in metadata:
        return None
    try:
        desc = json.loads(metadata[META_KEY])
    except ValueError as exc:
        raise ValidationError(f"The file's compression description is not valid JSON: {exc}.") from exc
    if not isinstance(desc, dict) or desc.get("format") != FORMAT:
        raise ValidationError("The file's compression description is not a Model Studio description.")
    if int(desc.get("version", 0)) > VERSION:
        raise ValidationError(
            f"This compressed model was written by a newer Model Studio (format version {desc.get('version')}); "
            "update the studio to read it.")
    return desc


def header_metadata(description: dict[str, Any] | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    meta = {"format": "pt"}
    if description is not None:
        meta[META_KEY] = json.dumps(description, sort_keys=True, separators=(",", ":"))
    meta.update(extra or {})
    return meta


def to_bytes(tensors: dict[str, torch.Tensor], description: dict[str, Any] | None,
             extra: dict[str, str] | None = None) -> bytes:
    return save({k: v.contiguous() for k, v in tensors.items()}, metadata=header_metadata(description, extra))


def from_bytes(data: bytes) -> tuple[dict[str, torch.Tensor], dict[str, Any] | None]:
    """Tensors (as stored: possibly sparse; see decode_tensors) and the description of a safetensors blob."""
    try:
        tensors = load(data)
        header_len = int.from_bytes(data[:8], "little")
        header = json.loads(data[8:8 + header_len])
    except (SafetensorError, ValueError) as exc:
        raise ValidationError(f"This is not a readable safetensors file: {exc}.") from exc
    return tensors, description_of(header.get("__metadata__"))


def save_file(path: str | Path, tensors: dict[str, torch.Tensor], description: dict[str, Any] | None) -> int:
    """Write atomically; returns the file size."""
    data = to_bytes(tensors, description)
    atomic_write_bytes(Path(path), data)
    return len(data)


def load_file(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any] | None]:
    return from_bytes(Path(path).read_bytes())


_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
           torch.int8: "I8", torch.uint8: "U8", torch.int16: "I16", torch.int32: "I32", torch.int64: "I64",
           torch.bool: "BOOL"}


def serialized_size(tensors: dict[str, torch.Tensor], description: dict[str, Any] | None = None) -> int:
    """Exactly len(to_bytes(tensors, description)), computed from the header alone (no copy of the data)."""
    header: dict[str, Any] = {}
    offset = 0
    for name, t in sorted(tensors.items(), key=lambda kv: (-_alignment(kv[1]), kv[0])):
        n = t.numel() * t.element_size()
        header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + n]}
        offset += n
    header["__metadata__"] = header_metadata(description)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    padded = len(text) + (-len(text)) % 8
    return 8 + padded + offset


def _alignment(t: torch.Tensor) -> int:
    return t.element_size()
