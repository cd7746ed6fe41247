"""safetensors without trust: validate a header before anything is stored, write tensors as a stream, and
read tensors out of a decrypted buffer without copying them.

Validation follows the format's own rules (huggingface/safetensors README): an 8-byte little-endian header
size, a JSON header of at most 100 MB that starts with "{", no duplicate names, a known dtype, offsets that
lie inside the data, and a data area that the tensors cover exactly: no overlap and no holes, each tensor
exactly as long as its dtype and shape say.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from studio.core.errors import ValidationError

if TYPE_CHECKING:
    import torch

MAX_HEADER = 100_000_000
DTYPE_SIZES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
    "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4,
    "I64": 8, "U64": 8, "F64": 8,
}
DTYPE_NAMES = {
    "BOOL": "bool", "U8": "uint8", "I8": "int8", "F8_E5M2": "float8_e5m2", "F8_E4M3": "float8_e4m3fn",
    "I16": "int16", "U16": "uint16", "F16": "float16", "BF16": "bfloat16",
    "I32": "int32", "U32": "uint32", "F32": "float32", "I64": "int64", "U64": "uint64", "F64": "float64",
}


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: str  # safetensors code, e.g. "F32"
    shape: tuple[int, ...]
    begin: int  # offsets in the data area (after the header)
    end: int

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class Layout:
    header_size: int  # N: the JSON header's length (the data area starts at 8 + N)
    tensors: tuple[TensorEntry, ...]  # in the header's order
    metadata: dict[str, str]
    data_size: int

    @property
    def data_start(self) -> int:
        return 8 + self.header_size

    @property
    def parameter_count(self) -> int:
        return sum(t.numel for t in self.tensors)

    def dtype_summary(self) -> str:
        """The dtype that holds most of the bytes, in torch's words (e.g. "bfloat16")."""
        by_bytes: dict[str, int] = {}
        for t in self.tensors:
            by_bytes[t.dtype] = by_bytes.get(t.dtype, 0) + t.end - t.begin
        if not by_bytes:
            return ""
        return DTYPE_NAMES[max(by_bytes, key=lambda k: (by_bytes[k], k))]


def _bad(what: str, source: str) -> ValidationError:
    return ValidationError(f"{source} is not a valid safetensors file: {what}.")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate name {key!r}")
        seen[key] = value
    return seen


def parse_layout(prefix8: bytes, header: bytes, total_size: int, source: str = "The file") -> Layout:
    """Validate a safetensors header against the size of the whole file (or buffer)."""
    if len(prefix8) < 8:
        raise _bad("it is shorter than 8 bytes", source)
    (n,) = struct.unpack("<Q", prefix8[:8])
    if n > MAX_HEADER:
        raise _bad(f"its header claims {n} bytes (more than the 100 MB the format allows)", source)
    if 8 + n > total_size or len(header) != n:
        raise _bad("its header runs past the end of the file", source)
    if not header.startswith(b"{"):
        raise _bad("its header does not start with '{'", source)
    try:
        doc = json.loads(header.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except UnicodeDecodeError:
        raise _bad("its header is not UTF-8", source) from None
    except ValueError as error:  # JSONDecodeError or a duplicate name
        raise _bad(f"its header is not valid JSON ({error})", source) from None
    if not isinstance(doc, dict):
        raise _bad("its header is not a JSON object", source)
    metadata = doc.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise _bad("its __metadata__ is not a map of strings", source)
    data_size = total_size - 8 - n
    entries = []
    for name, info in doc.items():
        if not name or not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise _bad(f"the entry {name!r} is malformed", source)
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in DTYPE_SIZES:
            raise _bad(f"the tensor {name!r} has an unknown dtype {dtype!r}", source)
        if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
            raise _bad(f"the tensor {name!r} has an invalid shape", source)
        if (not isinstance(offsets, list) or len(offsets) != 2 or not all(type(o) is int for o in offsets)
                or not 0 <= offsets[0] <= offsets[1] <= data_size):
            raise _bad(f"the tensor {name!r} has offsets outside the file", source)
        if offsets[1] - offsets[0] != math.prod(shape) * DTYPE_SIZES[dtype]:
            raise _bad(f"the tensor {name!r} is {offsets[1] - offsets[0]} bytes long, but its dtype and shape "
                       f"need {math.prod(shape) * DTYPE_SIZES[dtype]}", source)
        entries.append(TensorEntry(name, dtype, tuple(shape), offsets[0], offsets[1]))
    pos = 0
    for e in sorted(entries, key=lambda e: (e.begin, e.end)):
        if e.begin < pos:
            raise _bad(f"the tensor {e.name!r} overlaps another tensor", source)
        if e.begin > pos:
            raise _bad(f"there is a hole of {e.begin - pos} bytes before the tensor {e.name!r}", source)
        pos = e.end
    if pos != data_size:
        raise _bad(f"{data_size - pos} bytes at the end belong to no tensor", source)
    return Layout(n, tuple(entries), dict(metadata), data_size)


def read_layout(fh: BinaryIO, total_size: int, source: str = "The file") -> Layout:
    prefix = fh.read(8)
    if len(prefix) == 8:
        (n,) = struct.unpack("<Q", prefix)
        if n <= MAX_HEADER and 8 + n <= total_size:
            return parse_layout(prefix, fh.read(n), total_size, source)
    return parse_layout(prefix, b"", total_size, source)


def validate_file(path: Path) -> Layout:
    path = Path(path)
    with open(path, "rb") as fh:
        return read_layout(fh, path.stat().st_size, path.name)


def layout_of_buffer(buf: bytes | bytearray | memoryview, source: str = "The model") -> Layout:
    view = memoryview(buf)
    n = struct.unpack("<Q", view[:8])[0] if len(view) >= 8 else 0
    return parse_layout(bytes(view[:8]), bytes(view[8:8 + n]) if n <= MAX_HEADER else b"", len(view), source)


# --- tensors out of a buffer, without copies ---------------------------------------------------------------


def _torch_dtype(code: str) -> torch.dtype:
    import torch

    return getattr(torch, DTYPE_NAMES[code])


def tensors_from_buffer(buf: bytearray, layout: Layout | None = None) -> dict[str, torch.Tensor]:
    """Tensors that view `buf` directly (it stays alive as long as they do). A tensor whose offset is not
    a multiple of its element size is copied instead, so that no kernel sees an unaligned pointer."""
    import torch

    layout = layout or layout_of_buffer(buf)
    out: dict[str, torch.Tensor] = {}
    for e in layout.tensors:
        dtype = _torch_dtype(e.dtype)
        start = layout.data_start + e.begin
        if e.numel == 0:
            out[e.name] = torch.empty(e.shape, dtype=dtype)
        elif start % DTYPE_SIZES[e.dtype] == 0:
            out[e.name] = torch.frombuffer(buf, dtype=dtype, count=e.numel, offset=start).reshape(e.shape)
        else:
            raw = torch.frombuffer(buf, dtype=torch.uint8, count=e.end - e.begin, offset=start).clone()
            out[e.name] = raw.view(dtype).reshape(e.shape)
    return out


# --- tensors into a stream ----------------------------------------------------------------------------------


_CODES = {v: k for k, v in DTYPE_NAMES.items()}


def _code_of(t: torch.Tensor) -> str:
    name = str(t.dtype).removeprefix("torch.")
    if name not in _CODES:
        raise ValidationError(f"Tensors of dtype {name} cannot be stored as safetensors.")
    return _CODES[name]


def plan_tensors(tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, str] | None = None) -> tuple[bytes, list[str]]:
    """The padded header (with its 8-byte size) and the order the tensors are written in: largest element
    size first, so that every tensor starts aligned to its element size."""
    order = sorted(tensors, key=lambda k: (-tensors[k].element_size(), k))
    doc: dict[str, Any] = {}
    if metadata:
        doc["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    pos = 0
    for name in order:
        t = tensors[name]
        size = t.numel() * t.element_size()
        doc[name] = {"dtype": _code_of(t), "shape": list(t.shape), "data_offsets": [pos, pos + size]}
        pos += size
    header = json.dumps(doc, separators=(",", ":")).encode("utf-8")
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header, order


def serialized_size(tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, str] | None = None) -> int:
    head, _ = plan_tensors(tensors, metadata)
    return len(head) + sum(t.numel() * t.element_size() for t in tensors.values())


def write_tensors(dst: BinaryIO, tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, str] | None = None,
                  progress=None) -> int:
    """Write `tensors` as a safetensors file into `dst`, one tensor at a time (no copy of the whole model).
    Returns the bytes written. `progress(bytes_so_far)` may raise to stop."""
    import torch

    head, order = plan_tensors(tensors, metadata)
    dst.write(head)
    written = len(head)
    for name in order:
        t = tensors[name].detach()
        if t.device.type != "cpu":
            t = t.cpu()
        if t.numel():
            data = t.contiguous().reshape(-1).view(torch.uint8).numpy()
            dst.write(memoryview(data))
            written += data.nbytes
        if progress is not None:
            progress(written)
    return written
