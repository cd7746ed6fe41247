"""A batch runner over any model family's forward step (family.forward with family.new_cache): each row has
its own cache and is stepped on its own. It makes every family servable through the same engine, queue,
audit and API, but rows do not share a forward pass: it is the family interface's default runner
(ModelFamily.batch_runner), for a family or model without a batched one (the native GPT's GPTRunner and the
transformers family's PaddedRunner batch rows; a transformers model with recurrent layers comes here)."""

from __future__ import annotations

from typing import Any

import torch

from studio.core.errors import ValidationError


def admit(n: int, context_length: int, rows: int, max_rows: int) -> None:
    """A new row's prompt of `n` tokens: within the context and a row free (shared by the batch runners)."""
    if not 0 < n <= context_length:
        raise ValidationError(f"The prompt has {n} tokens; this model takes 1 to {context_length}.")
    if rows >= max_rows:
        raise RuntimeError("no free row")


class FamilyRunner:
    def __init__(self, model: Any, max_rows: int):
        from studio.core.models.family import family_of

        self.model = model
        self.family = family_of(model)
        self.vocab_size = self.family.vocab_size(model)
        self.context_length = self.family.context_length(model)
        self.max_rows = int(max_rows)
        p = next(model.parameters())
        self.device = p.device
        self._caches: list[Any] = []
        self.lengths: list[int] = []

    @property
    def rows(self) -> int:
        return len(self.lengths)

    def length(self, row: int) -> int:
        return self.lengths[row]

    def reset(self) -> None:
        self._caches.clear()
        self.lengths.clear()

    @torch.inference_mode()
    def _forward(self, ids: list[int], cache: Any) -> torch.Tensor:
        x = torch.tensor([ids], dtype=torch.long, device=self.device)
        logits, _ = self.family.forward(self.model, x, cache=cache, last_only=True)
        return logits[0, -1].float()

    def add(self, prompt_ids: list[int]) -> tuple[int, torch.Tensor]:
        n = len(prompt_ids)
        admit(n, self.context_length, self.rows, self.max_rows)
        cache = self.family.new_cache(self.model, 1)
        logits = self._forward(list(prompt_ids), cache)
        self._caches.append(cache)
        self.lengths.append(n)
        return self.rows - 1, logits

    def step(self, tokens: list[int]) -> torch.Tensor:
        if len(tokens) != self.rows:
            raise ValueError(f"step got {len(tokens)} tokens for {self.rows} rows")
        out = torch.stack([self._forward([t], c) for t, c in zip(tokens, self._caches, strict=True)])
        for r in range(self.rows):
            self.lengths[r] += 1
        return out

    def remove(self, row: int) -> int:
        last = self.rows - 1
        if row != last:
            self._caches[row], self.lengths[row] = self._caches[last], self.lengths[last]
        self._caches.pop()
        self.lengths.pop()
        return last
