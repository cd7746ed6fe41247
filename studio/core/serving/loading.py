"""A vault version as the server runs it: decrypted into memory (the vault's `load`, audited as
model.read), built by its model family (float, quantized or pruned native GPTs, transformers models), with
the family's tokenizer and chat template. Nothing is written to disk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RUN_ROLES = frozenset({"weights", "index", "config", "tokenizer"})


@dataclass
class LoadedForServing:
    model: Any
    tokenizer: Any  # a studio.core.models.tokenizer.ModelTokenizer
    model_id: int
    name: str
    version: int
    label: str


def load_for_serving(vault: Any, actor: Any, ref: str, device: str = "cpu") -> LoadedForServing:
    from studio.core.models.family import family_for_config
    from studio.core.services.runs.sources import parse_ref

    model_ref, version = parse_ref(ref)
    loaded = vault.load(actor, model_ref, version, roles=RUN_ROLES)
    family = family_for_config(loaded.config)
    tokenizer = family.tokenizer(loaded.files, loaded.config)  # before the weights: a clear error first
    model = family.build(loaded.config, loaded.tensors, device=device)
    info = loaded.version
    label = info.architecture or family.describe(loaded.config).architecture
    return LoadedForServing(model, tokenizer, info.model_id, info.model_name, info.number, label)
