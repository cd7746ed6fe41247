"""What a stored version is, as a person asks it in the Vault: its model family, context length, tokenizer,
whether it can chat (a chat template), and for a LoRA adapter the base it was trained on. Read from what the
vault keeps in the clear (the version's metadata and its file names), so nothing is decrypted to list models.

An imported Hugging Face folder carries all of it (vault/model_check.py: metadata["model"]); a version the
studio wrote (trained, merged, compressed) carries its config summary, which the family describes; a run's
adapter checkpoint names its base (training/vault_checkpoints.py: metadata["lora"], metadata["base"]).
What cannot be told so is None: the GUI says "unknown" rather than guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from studio.core.errors import StudioError

TOKENIZER_ROLE = "tokenizer"
HF_TOKENIZER_CONFIG = "tokenizer_config.json"
ADAPTER_FILE = "adapter_config.json"  # studio.core.models.lora.ADAPTER_FILE (not imported: that module needs torch)


@dataclass(frozen=True)
class VersionFacts:
    family: str | None  # the family's label for people ("Hugging Face transformers", "Studio GPT")
    model_type: str | None  # "llama", "qwen2", "gpt"
    context_length: int | None
    tokenizer: str | None  # "huggingface", "byte", "char", "bpe", "stored" (a tokenizer.json); "": none
    chat_template: bool | None  # None: not known without decrypting
    adapter: bool = False  # a LoRA adapter (the adapter alone; merge it into its base for a full model)
    lora_rank: int | None = None
    base_model_id: int | None = None  # an adapter's base
    base_version: int | None = None
    base_label: str = ""  # "llama:1"

    def is_adapter_of(self, model_id: int) -> bool:
        return self.adapter and self.base_model_id == model_id


def version_facts(version: Any) -> VersionFacts:
    """The facts of a VersionInfo (studio.core.stores.vault), or of None (nothing known)."""
    if version is None:
        return VersionFacts(None, None, None, None, None)
    meta: Mapping[str, Any] = version.metadata or {}
    names = {a.name for a in version.artifacts}
    roles = {a.role for a in version.artifacts}
    model = meta.get("model") if isinstance(meta.get("model"), Mapping) else {}
    family, model_type, context = _described(meta.get("config")) if not model else (None, None, None)
    family_name = model.get("family")
    if isinstance(family_name, str):
        family = _family_label(family_name) or family
    model_type = _text(model.get("model_type")) or model_type
    context = _int(model.get("context_length")) or context
    tokenizer = _text(model.get("tokenizer"))
    if tokenizer is None and roles:
        tokenizer = ("huggingface" if HF_TOKENIZER_CONFIG in names else "stored") if TOKENIZER_ROLE in roles else ""
    chat = model.get("chat_template") if isinstance(model.get("chat_template"), bool) else None
    lora = meta.get("lora") if isinstance(meta.get("lora"), Mapping) else None
    base = meta.get("base") if isinstance(meta.get("base"), Mapping) else {}
    adapter = lora is not None or ADAPTER_FILE in names
    return VersionFacts(family, model_type, context, tokenizer, chat, adapter,
                        _int(lora.get("rank")) if lora else None, _int(base.get("model_id")), _int(base.get("version")),
                        _text(base.get("label")) or "")


def _described(config: Any) -> tuple[str | None, str | None, int | None]:
    """Family label, model type and context length from a stored config summary, when the family can tell."""
    if not isinstance(config, Mapping) or not config:
        return None, None, None
    from studio.core.models.family import family_for_config

    try:
        family = family_for_config(dict(config))
    except (StudioError, KeyError, TypeError, ValueError):
        return None, _text(config.get("model_type")), None
    stated = _int(config.get("block_size")) or _int(config.get("max_position_embeddings"))
    try:
        spec = family.describe(dict(config))
    except (StudioError, KeyError, TypeError, ValueError):
        # a summary too short to build from (no vocabulary size, say) still tells whose it is and its context
        return family.label or family.name, _text(config.get("model_type")) or family.name, stated
    # a summary without max_position_embeddings is described with the family's default: not the model's
    return family.label or family.name, spec.model_type, spec.context_length if stated else None


def _family_label(name: str) -> str | None:
    from studio.core.models.family import family_named

    try:
        family = family_named(name)
    except StudioError:
        return None
    return family.label or family.name


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
