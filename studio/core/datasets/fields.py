"""Which fields of a record hold the text, and how structured records become a document.

A document is a list of parts. Plain text has one part. Prompt/response and chat data alternate parts
that training should not learn from (prompts, user turns, role headers) with parts it should learn from
(responses, assistant turns), starting with a prompt part:

    prompt/response:  [prompt + "\\n", response]
    chat messages:    ["user: Hi\\nassistant: ", "Hello!\\n", "user: Bye\\nassistant: ", "See you.\\n", ""]

The end-of-document token after the last part is always learned (a model must learn to stop).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core.datasets.textio import bad_input

ROLE_ALIASES = {"human": "user", "gpt": "assistant", "bot": "assistant", "model": "assistant"}
# key pairs recognised without options, in order of preference
PAIR_KEYS = (("prompt", "response"), ("prompt", "completion"), ("instruction", "output"),
             ("question", "answer"), ("input", "output"))
TEXT_KEYS = ("text", "content", "body")
MESSAGE_KEYS = ("messages", "conversations")


@dataclass(frozen=True)
class FieldSpec:
    mode: str  # text | pairs | chat
    text: str | None = None
    prompt: str | None = None
    response: str | None = None
    extra_input: str | None = None  # alpaca's "input", appended to the instruction when present
    messages: str | None = None

    @property
    def kind(self) -> str:
        return "text" if self.mode == "text" else "sft"

    @property
    def columns(self) -> list[str]:
        cols = [self.text, self.prompt, self.response, self.extra_input, self.messages]
        return [c for c in cols if c]

    def describe(self) -> str:
        if self.mode == "text":
            return f"field {self.text!r}" if self.text else "plain text"
        if self.mode == "pairs":
            return f"prompt {self.prompt!r}, response {self.response!r}"
        return f"chat messages {self.messages!r}"


PLAIN_TEXT = FieldSpec("text")


def resolve_fields(path: Path, keys: Sequence[str], sample: Mapping[str, Any] | None, field: str | None,
                   prompt: str | None, response: str | None, messages: str | None,
                   place: str | None = None) -> FieldSpec:
    """The spec from the user's options, or guessed from the first record's keys."""
    keys = list(keys)
    if messages:
        spec = FieldSpec("chat", messages=messages)
    elif prompt and response:
        spec = FieldSpec("pairs", prompt=prompt, response=response)
    elif field:
        spec = FieldSpec("text", text=field)
    else:
        spec = _guess(path, keys, sample)
    missing = [c for c in spec.columns if c not in keys and c != spec.extra_input]
    if missing:
        raise bad_input(path, place, f"has no field {missing[0]!r} (its fields: {', '.join(map(str, keys)) or 'none'}).")
    return spec


def _guess(path: Path, keys: list[str], sample: Mapping[str, Any] | None) -> FieldSpec:
    for key in MESSAGE_KEYS:
        if key in keys and (sample is None or isinstance(sample.get(key), list)):
            return FieldSpec("chat", messages=key)
    for p, r in PAIR_KEYS:
        if p in keys and r in keys:
            extra = "input" if p == "instruction" and "input" in keys else None
            return FieldSpec("pairs", prompt=p, response=r, extra_input=extra)
    for key in TEXT_KEYS:
        if key in keys:
            return FieldSpec("text", text=key)
    if len(keys) == 1:
        return FieldSpec("text", text=keys[0])
    raise bad_input(
        path, None,
        f"cannot tell which field holds the text (fields: {', '.join(map(str, keys)) or 'none'}). Choose one "
        "(--field), or a prompt and a response field, or a messages field.",
    )


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", bool: "true/false", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )


def _text(record: Mapping[str, Any], key: str, path: Path, where: str, keys_hint: bool = True) -> str | None:
    if key not in record:
        fields = ", ".join(map(str, record.keys()))
        raise bad_input(path, where, f"has no field {key!r} (its fields: {fields or 'none'}).")
    value = record[key]
    if value is None or isinstance(value, str):
        return value
    raise bad_input(path, where, f"field {key!r} is {_type_name(value)}, not text.")


def extract(spec: FieldSpec, record: Mapping[str, Any], path: Path, where: str, chat: Any = None) -> list[str] | None:
    """The parts of one record's document, or None when it holds no text (null or empty). `chat`: a
    ChatRenderer (datasets/chat_template.py) that renders prompt/response and chat records with a model's
    chat template instead of the studio's own "user: ... assistant: ..." format."""
    if spec.mode == "text":
        text = _text(record, spec.text or "", path, where)
        return [text] if text else None
    if spec.mode == "pairs":
        prompt = _text(record, spec.prompt or "", path, where)
        response = _text(record, spec.response or "", path, where)
        if spec.extra_input and record.get(spec.extra_input):
            extra = _text(record, spec.extra_input, path, where)
            prompt = f"{prompt or ''}\n{extra}"
        if not response:
            return None
        if chat is not None:
            return chat.pair(prompt or "", response, path, where)
        return [f"{prompt or ''}\n", response]
    messages = record.get(spec.messages or "")
    if spec.messages not in record:
        _text(record, spec.messages or "", path, where)  # raises: no such field
    if messages is None:
        return None
    if not isinstance(messages, list):
        raise bad_input(path, where, f"field {spec.messages!r} is {_type_name(messages)}, not a list of messages.")
    if chat is not None:
        return chat.chat(messages, path, where)
    return render_chat(messages, path, where)


def render_chat(messages: list[Any], path: Path, where: str) -> list[str] | None:
    parts = [""]
    learned = False
    for n, message in enumerate(messages, 1):
        if not isinstance(message, Mapping):
            raise bad_input(path, where, f"message {n} is {_type_name(message)}, not an object with role and content.")
        role = message.get("role", message.get("from"))
        content = message.get("content", message.get("value"))
        if not isinstance(role, str) or not isinstance(content, str):
            raise bad_input(path, where, f"message {n} needs a text 'role' and a text 'content'.")
        role = ROLE_ALIASES.get(role.strip().lower(), role.strip().lower())
        if role == "assistant":
            parts[-1] += "assistant: "
            parts.append(content + "\n")
            parts.append("")
            learned = True
        else:
            parts[-1] += f"{role}: {content}\n"
    return parts if learned else None
