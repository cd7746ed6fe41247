"""Chat with a model: the conversation rendered with the model's own chat template (tokenizer_config.json's
or chat_template.jinja, or the studio's chat format for native models), the reply streamed as it is made,
ending at the model's end-of-turn ids and stop strings.

    chat = studio.runs.open_chat(actor, "qwen:2", system="Answer briefly.")   # loads once (audited read)
    for piece in chat.reply("What is the capital of France?", SamplingConfig(max_new_tokens=100)):
        print(piece, end="", flush=True)
    chat.messages        # [system, user, assistant] so far; a stopped reply is kept as far as it got

    for piece in studio.runs.chat(actor, "qwen:2", messages, config):   # stateless: one reply to `messages`
        ...

What the GUI's chat mode and the server call. A conversation longer than the context loses its oldest turns
(the system message stays); one turn that alone does not fit is refused with a message that says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from studio.core.errors import ValidationError

if TYPE_CHECKING:
    from studio.core.models.generate import SamplingConfig
    from studio.core.services.runs.sampling import Loaded

ROLES = ("system", "user", "assistant")


def _check(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    out = []
    for n, m in enumerate(messages, 1):
        role, content = m.get("role"), m.get("content")
        if role not in ROLES or not isinstance(content, str):
            raise ValidationError(f"Message {n} needs a role (system, user or assistant) and a text content.",
                                  field="messages")
        out.append({"role": role, "content": content})
    if not out or out[-1]["role"] != "user":
        raise ValidationError("A chat reply answers a user message: end the conversation with one.", field="messages")
    return out


def sampling_for(tokenizer: Any, *, max_new_tokens: int = 512, temperature: float | None = None,
                 top_k: int | None = None, top_p: float | None = None, greedy: bool = False,
                 seed: int | None = None) -> SamplingConfig:
    """Sampling settings: what is given, else the model's generation_config.json (temperature, top_k, top_p,
    do_sample), else a temperature of 0.7."""
    from studio.core.models.generate import SamplingConfig

    gen = getattr(tokenizer, "generation_config", {}) or {}

    def number(key: str) -> Any:
        value = gen.get(key)
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None

    if temperature is None and gen.get("do_sample") is False:
        greedy = True
    temperature = temperature if temperature is not None else (number("temperature") or 0.7)
    top_k = top_k if top_k is not None else (int(number("top_k")) if number("top_k") else None)
    top_p = top_p if top_p is not None else number("top_p")
    return SamplingConfig(max_new_tokens=max_new_tokens, temperature=float(temperature), top_k=top_k or None,
                          top_p=top_p if top_p and top_p < 1.0 else None, greedy=greedy, seed=seed).validate()


def prompt_ids(loaded: Loaded, messages: Sequence[Mapping[str, Any]], max_new_tokens: int) -> tuple[list[int], int]:
    """The template's ids for `messages` with the assistant's turn opened, after dropping the oldest turns
    until the prompt and the reply fit the context; also how many messages were dropped."""
    chat = _check(messages)
    context = loaded.family.context_length(loaded.model)
    dropped = 0
    while True:
        ids = loaded.tokenizer.encode_chat(chat, add_generation_prompt=True)
        if len(ids) + max_new_tokens <= context:
            return ids, dropped
        first = 1 if chat[0]["role"] == "system" else 0
        if len(chat) - first <= 1:
            if len(ids) < context:  # the reply gets what room is left
                return ids, dropped
            raise ValidationError(f"The message is {len(ids):,} tokens long; the model reads at most {context:,}. "
                                  "Shorten it (or the system prompt).", field="messages")
        del chat[first]
        dropped += 1


def stream_chat(loaded: Loaded, messages: Sequence[Mapping[str, Any]], config: SamplingConfig,
                should_stop: Callable[[], bool] | None = None) -> Iterator[str]:
    """Pieces of the assistant's reply to `messages` (a user message last)."""
    from studio.core.services.runs.sampling import stream_ids

    ids, _ = prompt_ids(loaded, messages, config.validate().max_new_tokens)
    return stream_ids(loaded.model, loaded.tokenizer, ids, config, should_stop)


class ChatSession:
    """A conversation with one loaded model (not thread-safe: one reply at a time)."""

    def __init__(self, loaded: Loaded, system: str | None = None):
        if not loaded.tokenizer.has_chat_template:
            raise ValidationError(f"{loaded.label} has no chat template (its tokenizer_config.json names none), so "
                                  "it cannot chat; generate from a raw prompt instead (studio sample).")
        self.loaded = loaded
        self.system = system or None
        self.messages: list[dict[str, str]] = []
        self.reset()

    @property
    def label(self) -> str:
        return self.loaded.label

    def reset(self) -> None:
        """Forget the turns (the system prompt stays)."""
        self.messages = [{"role": "system", "content": self.system}] if self.system else []

    def reply(self, text: str, config: SamplingConfig, should_stop: Callable[[], bool] | None = None) -> Iterator[str]:
        """Add the user's message and stream the model's reply; the reply joins the conversation when the
        stream ends, also when it is stopped early (closed, Ctrl+C, should_stop): as far as it got."""
        self.messages.append({"role": "user", "content": text})
        try:
            stream = stream_chat(self.loaded, self.messages, config, should_stop)
        except BaseException:
            self.messages.pop()
            raise
        return self._recorded(stream)

    def _recorded(self, stream: Iterator[str]) -> Iterator[str]:
        pieces: list[str] = []
        try:
            for piece in stream:
                pieces.append(piece)
                yield piece
        finally:
            self.messages.append({"role": "assistant", "content": "".join(pieces)})


class ChatMixin:
    """`studio.runs.open_chat(...)` and `studio.runs.chat(...)` (RunService)."""

    def open_chat(self, actor: Any, source: str | int, *, system: str | None = None,
                  checkpoint: int | str | None = None, device: str = "cpu") -> ChatSession:
        """Load a vault model (MODEL[:VERSION]) or a run's checkpoint for a conversation (off the GUI thread:
        decrypting takes a while for big models)."""
        return ChatSession(self.load_model(actor, source, checkpoint=checkpoint, device=device), system)  # type: ignore[attr-defined]

    def chat(self, actor: Any, source: str | int, messages: Sequence[Mapping[str, Any]], config: SamplingConfig, *,
             checkpoint: int | str | None = None, should_stop: Callable[[], bool] | None = None,
             device: str = "cpu") -> Iterator[str]:
        """Load the model and stream one reply to `messages` (stateless; each call loads the model)."""
        loaded = self.load_model(actor, source, checkpoint=checkpoint, device=device)  # type: ignore[attr-defined]
        if not loaded.tokenizer.has_chat_template:
            raise ValidationError(f"{loaded.label} has no chat template, so it cannot chat.")
        return stream_chat(loaded, messages, config, should_stop)
