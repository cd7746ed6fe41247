"""A stored version's labels in the interface language, wherever a pane shows them (Vault, Serving).

The studio stores what it generates in notation or as facts, the same in every language; words are put in the
shown language here, at display time. Names and labels a user typed are shown as typed.
"""

from __future__ import annotations

from typing import Any

from studio.gui.recipe_words import shown_label


def architecture_text(v: Any) -> str:
    """A version's architecture in the shown language. The studio writes it in notation ("GPT 4L/128d",
    "LlamaForCausalLM"); a compressed version's is followed by its recipe's short label, stored so in every
    language (studio.core.services.compression.sources.architecture_label) and kept beside it in the metadata:
    that part's words are translated here, as the Compression pane shows them (recipe_words). A name a user gave stays as it is."""
    if v is None:
        return ""
    text = v.architecture or ""
    compression = (v.metadata or {}).get("compression")
    label = compression.get("label") if isinstance(compression, dict) else None
    if isinstance(label, str) and label and text.endswith(label):
        return text[: len(text) - len(label)] + variant_text(label)
    return text


def variant_text(label: str) -> str:
    """A compression recipe's label ("prune 50% + int8") in the shown language."""
    return shown_label(label)
