"""In-memory stand-ins for the vault and the datasets service, with the calls CompressionService makes
(studio/core/services/compression/sources.py). They keep what the real ones keep: tensors by version,
config, metadata with the compression description, lineage."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from studio.core.errors import NotFoundError
from studio.core.services.compression.sources import (
    EvalData,
    ModelSummary,
    SourceModel,
    StoredModel,
    StoredVersion,
    VersionSummary,
    source_config,
)


@dataclass
class _Version:
    id: int
    number: int
    kind: str
    config: dict[str, Any]
    blob: bytes  # the tensors as safetensors bytes, as the vault stores them (encrypted there)
    metadata: dict[str, Any] = field(default_factory=dict)
    lineage: list[tuple[str, str, str]] = field(default_factory=list)
    tokenizer_json: str | None = None


class MemoryModels:
    def __init__(self):
        self.models: dict[int, tuple[str, list[_Version]]] = {}
        self.next_version_id = 100
        self.calls: list[tuple[str, Any]] = []

    def add_model(self, name: str, config: dict[str, Any], tensors: dict, tokenizer_json: str | None = None) -> int:
        from safetensors.torch import save

        model_id = len(self.models) + 1
        self.next_version_id += 1
        self.models[model_id] = (name, [_Version(self.next_version_id, 1, "trained", config,
                                                 save({k: v.contiguous() for k, v in tensors.items()}),
                                                 tokenizer_json=tokenizer_json)])
        return model_id

    def resolve(self, actor, model) -> int:
        for model_id, (name, _) in self.models.items():
            if model == model_id or str(model) == str(model_id) or model == name:
                return model_id
        raise NotFoundError(f"There is no model {model!r} in the vault.")

    def list_models(self, actor) -> list[ModelSummary]:
        return [ModelSummary(i, name, versions[-1].number) for i, (name, versions) in self.models.items()]

    def versions(self, actor, model) -> list[VersionSummary]:
        _, versions = self.models[self.resolve(actor, model)]
        out = []
        for v in versions:
            desc = v.metadata.get("compression")
            out.append(VersionSummary(v.number, v.kind, desc["label"] if desc else "GPT", len(v.blob), desc is not None))
        return out

    def load(self, actor, model, version, state=None) -> SourceModel:
        from safetensors.torch import load

        model_id = self.resolve(actor, model)
        name, versions = self.models[model_id]
        v = versions[-1] if version is None else next((v for v in versions if v.number == version), None)
        if v is None:
            raise NotFoundError(f"Model {name!r} has no version {version}.")
        self.calls.append(("load", (model_id, v.number)))
        config, tensors = source_config(v.config, load(v.blob))
        return SourceModel(model_id, name, v.number, v.id, config, tensors, v.metadata.get("compression"),
                           v.tokenizer_json)

    def load_stored(self, actor, model, version, state=None) -> StoredModel:
        from safetensors.torch import load

        model_id = self.resolve(actor, model)
        name, versions = self.models[model_id]
        v = versions[-1] if version is None else next((v for v in versions if v.number == version), None)
        if v is None:
            raise NotFoundError(f"Model {name!r} has no version {version}.")
        self.calls.append(("load", (model_id, v.number)))
        files = {"tokenizer.json": v.tokenizer_json.encode()} if v.tokenizer_json else {}
        return StoredModel(model_id, name, v.number, v.config, load(v.blob), files)

    def add_version(self, actor, source, *, tensors, config, description, name, state=None) -> StoredVersion:
        from safetensors.torch import save

        if name:
            try:
                model_id = self.resolve(actor, name)
            except NotFoundError:
                model_id = len(self.models) + 1
                self.models[model_id] = (name, [])
        else:
            model_id = source.model_id
        model_name, versions = self.models[model_id]
        self.next_version_id += 1
        v = _Version(self.next_version_id, len(versions) + 1, "compressed", dict(config),
                     save({k: t.contiguous() for k, t in tensors.items()}), {"compression": description},
                     [("source_version", str(source.version_id), f"{source.model_name} v{source.version}"),
                      ("recipe", "", json.dumps(description["recipe"], sort_keys=True))], source.tokenizer_json)
        versions.append(v)
        self.calls.append(("add_version", (model_id, v.number)))
        return StoredVersion(model_id, model_name, v.number, v.id)


class MemoryDatasets:
    def __init__(self):
        self.sets: dict[str, EvalData] = {}

    def add(self, data: EvalData) -> None:
        self.sets[data.name] = data

    def list(self, actor) -> list[tuple[int, str]]:
        return [(i + 1, name) for i, name in enumerate(self.sets)]

    def open(self, actor, dataset) -> EvalData:
        if dataset not in self.sets:
            raise NotFoundError(f"There is no dataset {dataset!r}.")
        return self.sets[dataset]
