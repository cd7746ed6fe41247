"""What the batching engine needs of a model: rows of a KV cache, one per live request.

    row, logits = runner.add(prompt_ids)   # prefill one request; logits of its last position (vocab,)
    logits = runner.step(tokens)           # one new token for each live row, in row order -> (rows, vocab)
    moved = runner.remove(row)             # free a row; the last row moves into it (returns its old index)

Rows are kept dense (0..rows-1), so a step attends over one contiguous slice of the cache: removing a row
moves the last row's cache into the hole. A model family provides its runner (`ModelFamily.batch_runner`,
which `runner_for(model)` asks): the native GPT's is `gpt_runner.GPTRunner`, the transformers family's
`hf_runner.PaddedRunner` (rows left-padded in one cache; both share each decode step between rows); the
interface's default, `family_runner.FamilyRunner`, steps each row on its own over the family's forward step.
"""

from __future__ import annotations

from typing import Any, Protocol

import torch

from studio.core.serving.backends import BACKENDS


class BatchRunner(Protocol):
    vocab_size: int
    context_length: int
    max_rows: int
    rows: int

    def add(self, prompt_ids: list[int]) -> tuple[int, torch.Tensor]: ...

    def step(self, tokens: list[int]) -> torch.Tensor: ...

    def remove(self, row: int) -> int: ...

    def length(self, row: int) -> int: ...

    def reset(self) -> None: ...


def runner_for(model: Any, max_rows: int, backend: str = "torch", tokenizer: Any = None) -> BatchRunner:
    """The batch runner of a loaded model (the family's own, when the family interface provides one).
    backend "llama.cpp" runs any GGUF-exportable float model in llama.cpp from a GGUF in memory (llama_runner.py)."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown back-end {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend == "llama.cpp":
        from studio.core.serving.llama_runner import LlamaCppRunner

        return LlamaCppRunner(model, tokenizer, max_rows)
    from studio.core.models.family import family_of

    return family_of(model).batch_runner(model, max_rows)
