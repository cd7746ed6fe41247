"""Chat requests -> the prompt, through the model's own chat template (the ModelTokenizer of its family:
a Hugging Face version's tokenizer_config.json template, or the native GPT family's, the format the studio
renders chat datasets in), and the strings that end an assistant turn (the tokenizer's stop strings)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from studio.core.errors import ValidationError


def message_text(content: Any) -> str:
    """OpenAI message content: a string, or a list of parts of which only text parts are supported."""
    if isinstance(content, str):
        return content
    if content is None:
        return ""
    if isinstance(content, Sequence):
        texts = []
        for part in content:
            if not isinstance(part, Mapping) or part.get("type") != "text" or not isinstance(part.get("text"), str):
                raise ValidationError("Only text message content is supported (parts of type 'text').",
                                      field="messages")
            texts.append(part["text"])
        return "".join(texts)
    raise ValidationError("A message's content must be a string or a list of text parts.", field="messages")


class ChatTemplate:
    """The model tokenizer's template, as the server uses it."""

    def __init__(self, tokenizer: Any):
        self.tokenizer = tokenizer
        self.stop: tuple[str, ...] = tuple(getattr(tokenizer, "stop_strings", ()) or ())

    @property
    def available(self) -> bool:
        return bool(getattr(self.tokenizer, "has_chat_template", False))

    def render(self, messages: Sequence[Mapping[str, Any]]) -> str:
        if not messages:
            raise ValidationError("Give at least one message.", field="messages")
        chat = []
        for m in messages:
            role = "system" if m.get("role") == "developer" else str(m.get("role"))
            chat.append({"role": role, "content": message_text(m.get("content"))})
        return self.tokenizer.render_chat(chat)

    def encode(self, text: str) -> list[int]:
        """The rendered conversation's ids (the template writes its own special tokens)."""
        return list(self.tokenizer.encode_plain(text))
