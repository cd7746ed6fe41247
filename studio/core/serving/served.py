"""A model as the server holds it: decrypted in memory, with its tokenizer, chat template and engine."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from studio.core.serving.engine import Engine


@dataclass
class ServedModel:
    id: str  # the name clients use: "NAME:VERSION"
    name: str
    model_id: int
    version: int
    label: str  # "GPT 6L/384d, 10.8M parameters"
    tokenizer: Any  # the family's ModelTokenizer
    template: Any  # chat.ChatTemplate over it
    engine: Engine
    context_length: int
    stop_ids: frozenset[int]
    created: int = field(default_factory=lambda: int(time.time()))

    def encode(self, text: str) -> list[int]:
        """A completion prompt's ids, as the model's tokenizer gives them (BOS where it adds one)."""
        ids = list(self.tokenizer.encode(text)) if text else []
        if not ids:
            start = getattr(self.tokenizer, "start_id", None)
            if start is None:
                start = next(iter(self.stop_ids), None)
            if start is not None:
                ids = [start]  # an empty prompt starts a new document
        return ids
