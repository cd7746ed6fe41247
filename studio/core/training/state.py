"""A training state as bytes, without pickle: one safetensors blob whose tensors are the model weights
("model/<name>"), the optimizer state ("optim/<param>/<key>") and the torch RNG states ("rng/..."), and whose
header metadata holds everything else as JSON under "studio.training_state" (configs, step, counters, the
data sampler's generator, python's and numpy's global RNG states, optimizer groups).

The blob is what the vault encrypts as a checkpoint; `read_state` never executes anything from it.
"""

from __future__ import annotations

import json
import random
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from studio.core.errors import ValidationError

FORMAT = "studio.training_state"
VERSION = 1


@dataclass
class TrainingState:
    meta: dict[str, Any]  # JSON side: format version, configs, counters, sampler, RNGs, optimizer groups
    tensors: dict[str, torch.Tensor]  # tensor side

    def section(self, prefix: str) -> dict[str, torch.Tensor]:
        """Tensors under "<prefix>/", with the prefix removed."""
        cut = len(prefix) + 1
        return {k[cut:]: v for k, v in self.tensors.items() if k.startswith(prefix + "/")}


def write_state(state: TrainingState) -> bytes:
    meta = dict(state.meta, format=FORMAT, version=VERSION)
    return st_save(state.tensors, metadata={FORMAT: json.dumps(meta, allow_nan=False)})


def read_state(blob: bytes) -> TrainingState:
    """Parse a blob made by write_state; anything else is a clear error."""
    try:
        (header_len,) = struct.unpack("<Q", blob[:8])
        header = json.loads(blob[8:8 + header_len])
        meta = json.loads(header["__metadata__"][FORMAT])
        tensors = st_load(blob)
    except (struct.error, KeyError, TypeError, ValueError, SafetensorError) as exc:
        raise ValidationError("This is not a studio training state (or it is damaged).") from exc
    if meta.get("format") != FORMAT or not isinstance(meta.get("version"), int):
        raise ValidationError("This is not a studio training state.")
    if meta["version"] > VERSION:
        raise ValidationError(
            f"This training state was written by a newer Model Studio (format {meta['version']}); update to resume it.")
    return TrainingState(meta, tensors)


# --- random number generators -----------------------------------------------------------------------------

def capture_rng() -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Python's, numpy's (global) and torch's (CPU and every CUDA device's) generator states."""
    version, internal, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    meta = {"python": [version, list(internal), gauss],
            "numpy": [kind, keys.tolist(), int(pos), int(has_gauss), float(cached)]}
    tensors = {"rng/torch_cpu": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng/cuda/{i}"] = s
    return meta, tensors


def restore_rng(meta: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
    try:
        version, internal, gauss = meta["python"]
        random.setstate((version, tuple(internal), gauss))
        kind, keys, pos, has_gauss, cached = meta["numpy"]
        np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
        torch.set_rng_state(tensors["rng/torch_cpu"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(f"The saved random generator states are unreadable: {exc}.") from exc
    cuda = [tensors[k] for k in sorted((k for k in tensors if k.startswith("rng/cuda/")), key=lambda k: int(k.split("/")[-1]))]
    if cuda and torch.cuda.is_available():
        # Resuming on another machine may see fewer devices; restore those that exist.
        for i, s in enumerate(cuda[: torch.cuda.device_count()]):
            torch.cuda.set_rng_state(s, i)
