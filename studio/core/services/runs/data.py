"""A run's dataset as the run service sees it: its description for plans, its tokenizer, and what a worker
needs to read it (for an encrypted dataset, its data key, opened with the user's session and handed to the
worker in the launch message: the worker holds no user key, and SYSTEM cannot open an encrypted dataset).

The policy is asked first (`dataset.read`, not recorded for plans); the start of a run is the audited read
(its `run.start` entry names the dataset).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from studio.core.errors import StudioError


@dataclass(frozen=True)
class DatasetHandle:
    id: int
    name: str
    vocab_size: int
    eos_id: int
    encrypted: bool
    storage_format: str
    folder: Path
    train_tokens: int
    val_tokens: int
    key: Any = None  # DatasetKey of an encrypted dataset, in memory only
    tokenizer_label: str = ""  # "the tokenizer of model tl:1", "bpe (8,192 tokens)"

    def storage(self) -> Any:
        from studio.core.datasets.storage import storage_for

        return storage_for(self.storage_format, self.key)

    def tokenizer_json(self) -> str:
        try:
            return self.storage().read_bytes(self.folder / "tokenizer.json").decode("utf-8")
        except OSError as error:
            raise StudioError(f"The tokenizer of dataset {self.name!r} cannot be read ({error}).") from error

    def worker_spec(self) -> dict[str, Any]:
        """What the worker opens (goes through the launch message only: it may hold the data key)."""
        spec: dict[str, Any] = {"kind": "dataset", "id": self.id, "name": self.name, "folder": str(self.folder),
                                "format": self.storage_format, "key": None}
        if self.key is not None:
            k = self.key
            spec["key"] = {"key": base64.b64encode(k.key).decode(), "vault_id": k.vault_id.hex(),
                           "uid": k.uid.hex(), "epoch": k.epoch, "chunk_size": k.chunk_size}
        return spec


def _datasets(studio: Any) -> Any:
    service = getattr(studio, "datasets", None)
    if service is None:
        raise StudioError("This installation has no datasets service.")
    return service


def resolve(studio: Any, actor: Any, ref: int | str) -> int:
    """The dataset's id, by id or by name among those the actor can see (DatasetService.resolve)."""
    return _datasets(studio).resolve(actor, ref)


def dataset_handle(studio: Any, session: Session, actor: Any, dataset_id: int, *, with_key: bool) -> DatasetHandle:
    """The dataset's description (and, `with_key`, its data key for the actor: owner, grantee or an
    administrator through the recovery key). Call after the policy allowed dataset.read."""
    service = _datasets(studio)
    info = service.store.get(session, dataset_id)
    key = None
    if with_key and info.encrypted:
        key = service.open_key(session, actor, service.store.row(session, dataset_id))
    splits = {s.name: int(s.tokens) for s in getattr(info.stats, "splits", ())}
    source = (info.options or {}).get("tokenizer_of")
    label = (f"the tokenizer of model {source}" if source
             else f"{'a BPE trained on the data' if info.tokenizer == 'bpe' else info.tokenizer} "
                  f"({int(info.vocab_size):,} tokens)")
    return DatasetHandle(info.id, info.name, int(info.vocab_size), int(info.eos_id), bool(info.encrypted),
                         info.storage_format, service.dataset_folder(info.storage_key), splits.get("train", info.tokens),
                         splits.get("val", 0), key, label)

