"""A vault version as the server runs it: decrypted into memory (the vault's `load`, audited as
model.read), built through the one loader of stored tensors (float, quantized or pruned), with its
tokenizer and chat template. Nothing is written to disk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from studio.core.errors import ValidationError


@dataclass
class LoadedForServing:
    model: Any
    tokenizer: Any
    template: Any
    model_id: int
    name: str
    version: int
    label: str
    eos_id: int | None


def load_for_serving(vault: Any, actor: Any, ref: str, device: str = "cpu") -> LoadedForServing:
    from studio.core.compression.load import load_model
    from studio.core.services.runs.sampling import tokenizer_from_json
    from studio.core.services.runs.sources import config_of, parse_ref, studio_tensors
    from studio.core.serving.chat import template_for

    model_ref, version = parse_ref(ref)
    loaded = vault.load(actor, model_ref, version)
    try:
        config, is_hf = config_of(loaded.config)
    except ValidationError as error:
        raise ValidationError(f"{loaded.version.model_name}:{loaded.version.number} cannot be served: {error}") from None
    model = load_model(config, studio_tensors(loaded.tensors, config, is_hf), device=device).eval()
    tokenizer = tokenizer_from_json(loaded.tokenizer)
    info = loaded.version
    label = info.architecture or f"GPT {config.n_layer}L/{config.n_embd}d"
    return LoadedForServing(model, tokenizer, template_for(model, tokenizer), info.model_id, info.model_name,
                            info.number, label, getattr(tokenizer, "eos_id", None))
