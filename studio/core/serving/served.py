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
    tokenizer: Any
    template: Any
    engine: Engine
    context_length: int
    eos_id: int | None
    created: int = field(default_factory=lambda: int(time.time()))

    def encode(self, text: str) -> list[int]:
        ids = list(self.tokenizer.encode(text)) if text else []
        if not ids and self.eos_id is not None:
            ids = [self.eos_id]  # an empty prompt starts a new document
        return ids
