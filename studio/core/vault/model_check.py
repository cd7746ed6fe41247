"""What the vault checks of a model folder before it stores a byte: that a model family of the studio runs it
(studio.core.models.family), with no code of its own, with every tensor shaped as its config.json says, and
with a tokenizer that belongs to it. Each refusal says what is wrong; nothing is stored after one.

The shapes come from the safetensors headers (already validated), compared with the model built on the meta
device, so a config that lies about a shape is refused at import, not at the first load.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.core.errors import ValidationError

NO_TOKENIZER = ("{folder} has no tokenizer.json, so the studio could not turn text into tokens for this model. "
                "Add the model's tokenizer files (tokenizer.json, tokenizer_config.json) to the folder and import "
                "it again.")


@dataclass
class ModelCheck:
    metadata: dict[str, Any] = field(default_factory=dict)  # stored with the version (the Vault pane shows it)
    warnings: list[str] = field(default_factory=list)


def check_config(config: Mapping[str, Any]) -> Any:
    """The family and spec of a folder's config.json (refusals before any weight is read)."""
    from studio.core.models.family import family_for_config

    family = family_for_config(config)
    return family, family.check_config(config)


def check_folder(folder: Path, config: Mapping[str, Any], shapes: Mapping[str, tuple[int, ...]],
                 files: Mapping[str, Path | bytes]) -> ModelCheck:
    """`shapes`: every stored tensor's shape by name; `files`: the folder's config and tokenizer files (paths,
    or their bytes when they travel inside a self-contained safetensors file)."""
    files = {name: (f if isinstance(f, bytes) else f.read_bytes()) for name, f in files.items()}
    family, spec = check_config(config)
    tokenizer_config = files.get("tokenizer_config.json")
    if tokenizer_config is not None:
        doc = _json(tokenizer_config, "tokenizer_config.json")
        if doc.get("auto_map"):
            raise ValidationError("This model's tokenizer needs code from its own folder (tokenizer_config.json has "
                                  "\"auto_map\"): the studio never runs a model's own code.")
    if "tokenizer.json" not in files:
        raise ValidationError(NO_TOKENIZER.format(folder=folder.name))
    family.check_tensors(config, shapes)
    tokenizer = family.tokenizer(files, config)
    if tokenizer.vocab_size > spec.vocab_size > 0:
        raise ValidationError(f"The tokenizer has {tokenizer.vocab_size:,} tokens but the model only "
                              f"{spec.vocab_size:,} embeddings: the tokenizer does not belong to this model.")
    check = ModelCheck(warnings=list(spec.notes))
    check.metadata["model"] = {
        "family": spec.family, "model_type": spec.model_type, "architecture": spec.architecture,
        "context_length": spec.context_length, "vocab_size": spec.vocab_size, "layers": spec.layers,
        "hidden_size": spec.hidden_size, "tested": spec.tested, "chat_template": tokenizer.has_chat_template,
        "tokenizer": "huggingface" if tokenizer.hf is not None else getattr(tokenizer.text, "kind", "studio"),
    }
    return check


def _json(data: bytes, name: str) -> dict[str, Any]:
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ValidationError(f"{name} is not valid JSON: {error}.") from None
    if not isinstance(doc, dict):
        raise ValidationError(f"{name} is not a JSON object.")
    return doc
