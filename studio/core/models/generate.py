"""Text generation as a Python generator: tokens come out one by one as they are made, so the GUI and the
CLI can show them at once and stop whenever they like (close the generator, or pass `should_stop`).
It runs a model of any family through the family interface (forward step, KV cache, context length).

A KV cache makes each new token cost one position while the text fits the context. Past the context the
window slides, and because positions are absolute every token then needs the whole window again (what
nanoGPT does for every token); both paths give the same tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from studio.core.errors import ValidationError


@dataclass(frozen=True)
class SamplingConfig:
    max_new_tokens: int = 200
    temperature: float = 1.0  # 0 means greedy
    top_k: int | None = None
    top_p: float | None = None
    greedy: bool = False
    seed: int | None = None
    stop_ids: tuple[int, ...] = ()  # generation ends after yielding one of these (e.g. end of document)
    stop_strings: tuple[str, ...] = ()  # text-level stops, applied by the text streams (services.runs.sampling)

    def validate(self) -> SamplingConfig:
        if self.max_new_tokens < 0:
            raise ValidationError("max_new_tokens cannot be negative.", field="max_new_tokens")
        if self.temperature < 0:
            raise ValidationError("temperature cannot be negative (0 means greedy).", field="temperature")
        if self.top_k is not None and self.top_k < 1:
            raise ValidationError("top_k must be at least 1.", field="top_k")
        if self.top_p is not None and not 0.0 < self.top_p <= 1.0:
            raise ValidationError("top_p must be in (0, 1].", field="top_p")
        return self


def next_token_distribution(logits: torch.Tensor, temperature: float, top_k: int | None, top_p: float | None) -> torch.Tensor:
    """Probabilities (float32, on the CPU) of the next token from one row of logits."""
    logits = logits.float().cpu() / temperature
    if top_k is not None and top_k < logits.size(-1):
        kth = torch.topk(logits, top_k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = F.softmax(logits, dim=-1)
    if top_p is not None and top_p < 1.0:
        sorted_probs, order = torch.sort(probs, descending=True)
        # Keep the smallest set whose mass reaches top_p: drop a token when the mass before it already does.
        drop = (sorted_probs.cumsum(-1) - sorted_probs) >= top_p
        sorted_probs = sorted_probs.masked_fill(drop, 0.0)
        probs = torch.zeros_like(probs).scatter(-1, order, sorted_probs)
        probs = probs / probs.sum()
    return probs


def generate(
    model: nn.Module,
    prompt_ids: Sequence[int] | Iterable[int],
    sampling: SamplingConfig | None = None,
    *,
    should_stop: Callable[[], bool] | None = None,
    use_cache: bool = True,
) -> Iterator[int]:
    """Yield up to `max_new_tokens` new token ids continuing `prompt_ids` (at least one id). `model` is a
    model of any family (studio.core.models.family): its forward step and KV cache come from there."""
    from studio.core.models.family import family_of

    family = family_of(model)
    s = (sampling or SamplingConfig()).validate()
    ids = [int(i) for i in prompt_ids]
    vocab, block = family.vocab_size(model), family.context_length(model)
    if not ids:
        raise ValidationError("The prompt is empty; give at least one token (e.g. the end-of-document token).")
    bad = [i for i in ids if not 0 <= i < vocab]
    if bad:
        raise ValidationError(f"Prompt token {bad[0]} is outside the model's vocabulary (0..{vocab - 1}).")
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(s.seed) if s.seed is not None else None
    greedy = s.greedy or s.temperature == 0
    stops = set(s.stop_ids)
    cache = None
    pending: list[int] = []  # ids not yet fed to the cache

    def logits_for_next() -> torch.Tensor:
        nonlocal cache, pending
        was_training = model.training
        model.eval()
        try:
            with torch.inference_mode():
                if use_cache and len(ids) <= block:
                    if cache is None:
                        cache = family.new_cache(model, 1)
                        pending = list(ids)
                    x = torch.tensor([pending], dtype=torch.long, device=device)
                    logits, _ = family.forward(model, x, cache=cache, last_only=True)
                else:
                    cache = None  # the window slides: positions move, the cache no longer applies
                    x = torch.tensor([ids[-block:]], dtype=torch.long, device=device)
                    logits, _ = family.forward(model, x, last_only=True)
        finally:
            model.train(was_training)
        pending = []
        return logits[0, -1]

    for _ in range(s.max_new_tokens):
        if should_stop is not None and should_stop():
            return
        logits = logits_for_next()
        if greedy:
            token = int(torch.argmax(logits))
        else:
            probs = next_token_distribution(logits, s.temperature, s.top_k, s.top_p)
            token = int(torch.multinomial(probs, 1, generator=gen))
        ids.append(token)
        pending.append(token)
        yield token
        if token in stops:
            return
