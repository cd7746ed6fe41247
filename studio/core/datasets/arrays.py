"""What training reads: the token arrays of a dataset, through the storage seam."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.core.datasets.splits import SPLITS
from studio.core.datasets.storage import PlainStorage
from studio.core.errors import StudioError


@dataclass(frozen=True)
class DatasetArrays:
    """Token ids per split: flat arrays (np.memmap for plaintext storage, in-memory np.ndarray once stored
    encrypted), each document followed by `eos_id`. For prompt/response data `*_mask` are parallel uint8
    arrays (1 = learn this token: responses, assistant turns and every end-of-document token); None for
    plain text."""

    dataset_id: int
    name: str
    kind: str  # text | sft
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    train_mask: np.ndarray | None
    val_mask: np.ndarray | None
    test_mask: np.ndarray | None
    vocab_size: int
    eos_id: int
    tokenizer_json: str
    dtype: np.dtype

    @property
    def has_masks(self) -> bool:
        return self.train_mask is not None

    def split(self, name: str) -> np.ndarray:
        if name not in SPLITS:
            raise ValueError(f"unknown split {name!r}")
        return getattr(self, name)

    def mask(self, name: str) -> np.ndarray | None:
        if name not in SPLITS:
            raise ValueError(f"unknown split {name!r}")
        return getattr(self, f"{name}_mask")


def open_arrays(storage: PlainStorage, folder: Path, dataset_id: int, name: str) -> DatasetArrays:
    folder = Path(folder)
    try:
        manifest = json.loads(storage.read_bytes(folder / "manifest.json"))
        dtype = np.dtype(manifest["dtype"])
        arrays = {s: storage.read_array(folder / f"{s}.tokens", dtype) for s in SPLITS}
        masks = {s: storage.read_array(folder / f"{s}.mask", np.uint8) if manifest["masks"] else None for s in SPLITS}
        tokenizer_json = storage.read_bytes(folder / "tokenizer.json").decode("utf-8")
    except (OSError, KeyError, ValueError) as error:
        raise StudioError(f"The files of dataset {name!r} are missing or damaged ({error}); import it again.") from error
    for s in SPLITS:
        if len(arrays[s]) != manifest["tokens"][s] or (masks[s] is not None and len(masks[s]) != len(arrays[s])):
            raise StudioError(f"The {s} tokens of dataset {name!r} are incomplete; import it again.")
    return DatasetArrays(
        dataset_id=dataset_id, name=name, kind=manifest["kind"],
        train=arrays["train"], val=arrays["val"], test=arrays["test"],
        train_mask=masks["train"], val_mask=masks["val"], test_mask=masks["test"],
        vocab_size=int(manifest["vocab_size"]), eos_id=int(manifest["eos_id"]),
        tokenizer_json=tokenizer_json, dtype=dtype,
    )
