"""A model's chat template: messages -> the prompt text, plus the strings that end an assistant turn.

The native GPT's template is the one the studio renders chat datasets with (datasets/fields.py
`render_chat`: "role: content" lines, then "assistant: "), so a model fine-tuned on a chat dataset is
prompted exactly as it was trained. A model family that carries its own template (a Hugging Face
tokenizer_config.json's `chat_template`) gives it through `template_for(model_or_tokenizer)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from studio.core.datasets.fields import ROLE_ALIASES
from studio.core.errors import ValidationError

ROLES = ("system", "user", "assistant", "developer", "tool")


def message_text(content: Any) -> str:
    """OpenAI message content: a string, or a list of parts of which only text parts are supported."""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        texts = []
        for part in content:
            if not isinstance(part, Mapping) or part.get("type") != "text" or not isinstance(part.get("text"), str):
                raise ValidationError("Only text message content is supported (parts of type 'text').",
                                      field="messages")
            texts.append(part["text"])
        return "".join(texts)
    if content is None:
        return ""
    raise ValidationError("A message's content must be a string or a list of text parts.", field="messages")


@dataclass(frozen=True)
class StudioChatTemplate:
    """The studio's own chat format (what its chat datasets are rendered with)."""

    stop: tuple[str, ...] = ("\nuser: ",)
    name: str = "studio"

    def render(self, messages: Sequence[Mapping[str, Any]]) -> str:
        if not messages:
            raise ValidationError("Give at least one message.", field="messages")
        lines = []
        for message in messages:
            role = ROLE_ALIASES.get(str(message.get("role", "")).lower(), str(message.get("role", "")).lower())
            if role == "developer":
                role = "system"
            lines.append(f"{role}: {message_text(message.get('content'))}\n")
        return "".join(lines) + "assistant: "


def template_for(model: Any, tokenizer: Any = None) -> Any:
    """The chat template of a loaded model: its family's, else the studio's own."""
    for source in (model, tokenizer):
        make = getattr(source, "chat_template", None)
        if make is not None and hasattr(make, "render"):
            return make
    return StudioChatTemplate()
