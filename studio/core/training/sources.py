"""Where a run's tokens come from: `run.options["data"]`.

- {"kind": "dataset", "id", "name", "folder", "format", "key"}: a dataset of the studio, as the run service
  hands it to the worker in the launch message (the folder and storage format, and for an encrypted dataset
  its data key, opened with the user's session: the worker holds no user key). The arrays are read through
  the datasets domain's storage seam (decrypted into memory when encrypted). {"kind": "dataset", "id"}
  alone (the run's stored options) is read through the datasets service as `actor`.
- {"kind": "arrays", "folder": PATH}: token files in a folder, `train.npy` and optionally `val.npy`,
  `train_mask.npy`, `val_mask.npy`, `tokenizer.json` and `meta.json` ({"vocab_size", "eos_id"}). For tests
  and benchmarks; the CLI and GUI only start runs on datasets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from studio.core.errors import StudioError, ValidationError
from studio.core.training.data import TokenSplit, TrainData

if TYPE_CHECKING:
    from studio.core.services.studio import Studio


@dataclass(frozen=True)
class RunData:
    data: TrainData
    vocab_size: int
    eos_id: int | None
    tokenizer_json: str | None
    name: str


def _npy(path: Path, mmap: bool = True) -> np.ndarray | None:
    return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False) if path.exists() else None


def open_arrays_folder(folder: str | Path) -> RunData:
    folder = Path(folder)
    train = _npy(folder / "train.npy")
    if train is None:
        raise ValidationError(f"{folder} has no train.npy.")
    val = _npy(folder / "val.npy")
    meta = json.loads((folder / "meta.json").read_text()) if (folder / "meta.json").exists() else {}
    tok = (folder / "tokenizer.json").read_text() if (folder / "tokenizer.json").exists() else None
    data = TrainData(TokenSplit(train, _npy(folder / "train_mask.npy")),
                     TokenSplit(val, _npy(folder / "val_mask.npy")) if val is not None and len(val) else None)
    vocab = int(meta.get("vocab_size") or data.train.max_token() + 1)
    return RunData(data, vocab, meta.get("eos_id"), tok, folder.name)


def key_from_spec(spec: dict[str, Any] | None) -> Any:
    """A dataset's data key from the launch message (None for a plaintext dataset)."""
    if not spec:
        return None
    import base64

    from studio.core.datasets.encrypted import DatasetKey

    return DatasetKey(base64.b64decode(spec["key"]), bytes.fromhex(spec["vault_id"]), bytes.fromhex(spec["uid"]),
                      int(spec["epoch"]), int(spec["chunk_size"]))


def open_dataset(studio: Studio, actor: Any, spec: dict[str, Any]) -> RunData:
    if "folder" in spec:
        from studio.core.datasets.arrays import open_arrays
        from studio.core.datasets.storage import storage_for

        storage = storage_for(spec["format"], key_from_spec(spec.get("key")))
        arrays = open_arrays(storage, Path(spec["folder"]), int(spec["id"]), str(spec["name"]))
    else:
        datasets = getattr(studio, "datasets", None)
        if datasets is None:
            raise StudioError("This installation has no datasets service.")
        arrays = datasets.open_arrays(actor, int(spec["id"]))
    val = TokenSplit(arrays.val, arrays.val_mask) if len(arrays.val) else None
    return RunData(TrainData(TokenSplit(arrays.train, arrays.train_mask), val), int(arrays.vocab_size),
                   int(arrays.eos_id), arrays.tokenizer_json, arrays.name)


def open_run_data(studio: Studio, actor: Any, spec: dict[str, Any], seq_len: int | None = None) -> RunData:
    """The run's data; a validation split shorter than one window of `seq_len` + 1 is left out."""
    kind = spec.get("kind")
    if kind == "dataset":
        found = open_dataset(studio, actor, spec)
    elif kind == "arrays":
        found = open_arrays_folder(spec["folder"])
    else:
        raise ValidationError(f"Unknown kind of training data {kind!r}.")
    val = found.data.val
    if seq_len is not None and val is not None and len(val) < seq_len + 1:
        found = replace(found, data=TrainData(found.data.train, None))
    return found
