"""Chat and prompt/response records rendered with a model's own chat template (a dataset imported with
`--tokenizer-of MODEL`), as parts that alternate what the model should not learn from (the template's text,
system and user turns) with what it should (each assistant reply, with the template's end-of-turn text):
the parts that fields.py and the encoder already understand, so the loss mask falls on the replies only.

The template is rendered turn by turn (transformers' sandboxed renderer, through ModelTokenizer): the text
before reply i is the conversation up to it with the generation prompt, the reply is what the conversation
with reply i adds to that. A template that does not render a conversation as a growing prefix (one that
rewrites earlier turns) is refused with a message, never guessed at. Each part is encoded on its own, as
LLaMA-Factory encodes prompts and responses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from studio.core.datasets.textio import bad_input
from studio.core.errors import ValidationError

ROLE_ALIASES = {"human": "user", "gpt": "assistant", "bot": "assistant", "model": "assistant"}


class ChatRenderer:
    """Renders records with a ModelTokenizer's chat template (`render_chat`)."""

    def __init__(self, tokenizer: Any, label: str = "the model"):
        if not tokenizer.has_chat_template:
            raise ValidationError(f"{label} has no chat template, so its chat data cannot be rendered the way it "
                                  "chats; import the data as plain text, or use a model with a chat template.",
                                  field="tokenizer_of")
        self.tokenizer = tokenizer
        self.label = label

    def _render(self, messages: list[dict[str, str]], prompt: bool, path: Path, where: str) -> str:
        try:
            return self.tokenizer.render_chat(messages, add_generation_prompt=prompt)
        except ValidationError as error:
            raise bad_input(path, where, f"cannot be rendered with the chat template of {self.label}: {error}") from None

    def pair(self, prompt: str, response: str, path: Path, where: str) -> list[str] | None:
        return self.chat([{"role": "user", "content": prompt}, {"role": "assistant", "content": response}],
                         path, where)

    def chat(self, messages: Sequence[Any], path: Path, where: str) -> list[str] | None:
        chat = []
        for n, message in enumerate(messages, 1):
            if not isinstance(message, Mapping):
                raise bad_input(path, where, f"message {n} is not an object with role and content.")
            role = message.get("role", message.get("from"))
            content = message.get("content", message.get("value"))
            if not isinstance(role, str) or not isinstance(content, str):
                raise bad_input(path, where, f"message {n} needs a text 'role' and a text 'content'.")
            role = role.strip().lower()
            chat.append({"role": ROLE_ALIASES.get(role, role), "content": content})
        parts, shown, learned = [""], "", False
        for i, message in enumerate(chat):
            if message["role"] != "assistant":
                continue
            before = self._render(chat[:i], True, path, where) if i else self._render([], True, path, where)
            after = self._render(chat[:i + 1], False, path, where)
            if not before.startswith(shown) or not after.startswith(before):
                raise bad_input(path, where, f"the chat template of {self.label} does not write a conversation "
                                "turn after turn (it changes earlier turns), so the replies cannot be told apart "
                                "from the prompts; import this data as plain text instead.")
            parts[-1] += before[len(shown):]
            parts.append(after[len(before):])
            parts.append("")
            shown, learned = after, True
        if not learned:
            return None
        whole = self._render(chat, False, path, where)
        if not whole.startswith(shown):
            raise bad_input(path, where, f"the chat template of {self.label} changes earlier turns of a conversation.")
        parts[-1] += whole[len(shown):]
        return parts
