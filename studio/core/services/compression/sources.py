"""Where compression gets models and data from, and where results go: two small seams.

- ModelRepository: load a version's tensors and config, store a result as a new version with its lineage.
  `VaultModels` is the real one, over `studio.vault` (VaultService: load / add_version / list_models /
  versions); tests use an in-memory repository with the same calls.
- DatasetProvider: a dataset's token splits and tokenizer. `DatasetsProvider` is the real one, over
  `studio.datasets` (DatasetService.open_arrays, datasets.tokenizers.load_tokenizer).

Each real call is its own service operation (audited by the vault or the datasets service); the
compression service never runs them inside an operation of its own (operations do not nest).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from studio.core.errors import StudioError, ValidationError

if TYPE_CHECKING:
    import torch

    from studio.core.compression.evaluate import TextCodec
    from studio.core.tasks import TaskState
    from studio.core.training.data import TokenSplit

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class VersionSummary:
    number: int
    kind: str  # trained | checkpoint | compressed | import ...
    label: str  # what it is, in a few words (the compression label for compressed versions)
    size_bytes: int = 0
    compressed: bool = False


@dataclass(frozen=True)
class ModelSummary:
    id: int
    name: str
    latest: int | None  # latest version number


@dataclass(frozen=True)
class SourceModel:
    model_id: int
    model_name: str
    version: int  # the version number
    version_id: int  # the vault's id of the version (for lineage)
    config: dict[str, Any]  # the version's config.json (any model family)
    tensors: dict[str, torch.Tensor]  # as stored: float, or quantized / sparse for a compressed version
    description: dict[str, Any] | None = None  # the compression description of a compressed version
    tokenizer_json: str | None = None
    eos_id: int | None = None


@dataclass(frozen=True)
class StoredModel:
    """A version as the vault stores it, for writers over the model-family interface (any family)."""

    model_id: int
    model_name: str
    version: int
    config: dict[str, Any] | None  # config.json as stored
    tensors: dict[str, torch.Tensor]
    files: dict[str, bytes]  # the other stored files by name (tokenizer.json, tokenizer_config.json, ...)


@dataclass(frozen=True)
class StoredVersion:
    model_id: int
    model_name: str
    version: int
    version_id: int


@dataclass(frozen=True)
class EvalData:
    name: str
    splits: dict[str, TokenSplit]
    codec: TextCodec | None
    vocab_size: int
    eos_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    tokenizer_json: str | None = None

    def split(self, name: str) -> TokenSplit:
        if name not in self.splits or len(self.splits[name]) == 0:
            have = [k for k, v in self.splits.items() if len(v)]
            raise ValidationError(f"The dataset {self.name!r} has no {name} split (it has {', '.join(have) or 'none'}).",
                                  field="split")
        return self.splits[name]


class ModelRepository(Protocol):
    def resolve(self, actor: Any, model: int | str) -> int: ...

    def list_models(self, actor: Any) -> list[ModelSummary]: ...

    def versions(self, actor: Any, model: int | str) -> list[VersionSummary]: ...

    def load(self, actor: Any, model: int | str, version: int | None, state: TaskState | None = None) -> SourceModel: ...

    def load_stored(self, actor: Any, model: int | str, version: int | None,
                    state: TaskState | None = None) -> StoredModel: ...

    def add_version(self, actor: Any, source: SourceModel, *, tensors: dict[str, torch.Tensor], config: dict[str, Any],
                    description: dict[str, Any], name: str | None, state: TaskState | None = None) -> StoredVersion: ...


class DatasetProvider(Protocol):
    def list(self, actor: Any) -> list[tuple[int, str]]: ...

    def open(self, actor: Any, dataset: int | str) -> EvalData: ...


class Unavailable:
    """Stands in for a part of the studio this build does not have yet (it says so when used)."""

    def __init__(self, what: str):
        self.what = what

    def __getattr__(self, name: str) -> Any:
        raise StudioError(f"{self.what} is not available in this build of Model Studio.")


# --- model configs as the vault stores them ------------------------------------------------------------


def source_config(config: dict[str, Any] | None, tensors: dict[str, torch.Tensor]
                  ) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """A stored version's config.json, checked to name a model family the studio runs (models/family.py),
    and its tensors as stored (the family reads its own layouts, e.g. a GPT-2 folder's Conv1D weights)."""
    from studio.core.models.family import family_for_config

    if config is None:
        raise ValidationError("This version has no config.json, so its architecture is unknown; the studio cannot "
                              "compress it.", field="model")
    try:
        family_for_config(config).check_config(config)
    except ValidationError as exc:
        raise ValidationError(str(exc), field="model") from exc
    return dict(config), tensors


def model_spec(config: dict[str, Any]) -> Any:
    """The ModelSpec (vocab_size, context_length, architecture, ...) of a config.json."""
    from studio.core.models.family import describe

    return describe(config)


def architecture_label(config: dict[str, Any], description: dict[str, Any] | None) -> str:
    base = model_spec(config).architecture
    return f"{base} {description['label']}" if description else base


# --- the real vault and datasets ------------------------------------------------------------------------


class VaultModels:
    """ModelRepository over the encrypted vault (studio.vault)."""

    ROLES = frozenset({"weights", "config", "tokenizer", "index"})

    def __init__(self, vault: Any):
        self.vault = vault

    def resolve(self, actor: Any, model: int | str) -> int:
        return int(self.vault.model_id(model, actor))

    def list_models(self, actor: Any) -> list[ModelSummary]:
        return [ModelSummary(m.id, m.name, m.latest.number if m.latest else None) for m in self.vault.list_models(actor)]

    def versions(self, actor: Any, model: int | str) -> list[VersionSummary]:
        out = []
        for v in self.vault.versions(actor, model):
            desc = (v.metadata or {}).get("compression")
            label = desc["label"] if isinstance(desc, dict) and "label" in desc else (v.architecture or v.kind)
            out.append(VersionSummary(v.number, v.kind, label, v.size_bytes, isinstance(desc, dict)))
        return out

    def load(self, actor: Any, model: int | str, version: int | None, state: TaskState | None = None) -> SourceModel:
        loaded = self.vault.load(actor, model, version, roles=self.ROLES, state=state)
        info = loaded.version
        config, tensors = source_config(loaded.config, loaded.tensors)
        desc = (info.metadata or {}).get("compression")
        eos = (loaded.config or {}).get("eos_token_id")
        return SourceModel(info.model_id, info.model_name, info.number, info.id, config, tensors,
                           desc if isinstance(desc, dict) else None, loaded.tokenizer,
                           int(eos) if isinstance(eos, int) else None)

    def load_stored(self, actor: Any, model: int | str, version: int | None,
                    state: TaskState | None = None) -> StoredModel:
        loaded = self.vault.load(actor, model, version, roles=self.ROLES, state=state)
        info = loaded.version
        return StoredModel(info.model_id, info.model_name, info.number, loaded.config, loaded.tensors, loaded.files)

    def add_version(self, actor: Any, source: SourceModel, *, tensors: dict[str, torch.Tensor], config: dict[str, Any],
                    description: dict[str, Any], name: str | None, state: TaskState | None = None) -> StoredVersion:
        from studio.core.stores.vault import LineageEdge

        lineage = [LineageEdge("source_version", str(source.version_id), f"{source.model_name} v{source.version}"),
                   LineageEdge("recipe", "", json.dumps(description.get("recipe", {}), sort_keys=True))]
        info = self.vault.add_version(
            actor, None if name else source.model_id, tensors, name=name, config=config,
            tokenizer=source.tokenizer_json, kind="compressed", architecture=architecture_label(config, description),
            lineage=lineage, metadata={"compression": description}, state=state)
        return StoredVersion(info.model_id, info.model_name, info.number, info.id)


class _Codec:
    def __init__(self, tokenizer: Any):
        self.tokenizer = tokenizer

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text))

    def decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(list(ids))


def codec_from_json(tokenizer_json: str | None) -> TextCodec | None:
    """A codec from a tokenizer's JSON (the datasets' load_tokenizer), or None without one."""
    if not tokenizer_json:
        return None
    try:
        from studio.core.datasets.tokenizers import load_tokenizer  # the datasets branch
    except ImportError:
        return None
    return _Codec(load_tokenizer(tokenizer_json))


class DatasetsProvider:
    """DatasetProvider over the datasets service (studio.datasets)."""

    def __init__(self, datasets: Any):
        self.datasets = datasets

    def list(self, actor: Any) -> list[tuple[int, str]]:
        return [(d.id, d.name) for d in self.datasets.list(actor)]

    def open(self, actor: Any, dataset: int | str) -> EvalData:
        from studio.core.training.data import TokenSplit

        arrays = self.datasets.open_arrays(actor, dataset)
        splits = {s: TokenSplit(arrays.split(s), arrays.mask(s)) for s in SPLITS}
        return EvalData(arrays.name, splits, codec_from_json(arrays.tokenizer_json), arrays.vocab_size, arrays.eos_id,
                        tokenizer_json=arrays.tokenizer_json)
