"""What an export's check compares: the studio's own logits on a probe, against those the format's runtime
computes from the written files (transformers, llama.cpp, ONNX Runtime)."""

from __future__ import annotations

from typing import Any

from studio.core.errors import ValidationError

PROBE_TEXT = "The quick brown fox jumps over the lazy dog. Once upon a time"


def probe_ids(source: Any, length: int = 12) -> list[int]:
    """Token ids to run: the probe text through the version's tokenizer, else ids spread over the vocabulary;
    never longer than the context."""
    family, model = source.family, source.model
    limit = min(length, family.context_length(model))
    vocab = family.vocab_size(model)
    tok = source.tokenizer
    ids = tok.encode(PROBE_TEXT)[:limit] if tok is not None else []
    if len(ids) < 2:
        ids = [(7 * i + 3) % vocab for i in range(limit)]
    return ids


def studio_logits(source: Any, ids: list[int]) -> Any:
    import torch

    with torch.no_grad():
        logits, _ = source.family.forward(source.model, torch.tensor([ids]))
    return logits[0].float()


def compare_logits(source: Any, ids: list[int], theirs: Any, runtime: str, tolerance: float) -> dict[str, Any]:
    """max |studio - theirs| over the probe; ValidationError above `tolerance`."""
    import torch

    ours = studio_logits(source, ids)
    theirs = torch.as_tensor(theirs, dtype=torch.float32)[:, : ours.shape[-1]]
    if theirs.shape != ours.shape:
        raise ValidationError(f"{runtime} gave logits of shape {tuple(theirs.shape)}, the studio "
                              f"{tuple(ours.shape)}.")
    diff = float((ours - theirs).abs().max())
    same_top = bool(torch.equal(ours.argmax(-1), theirs.argmax(-1)))
    if diff > tolerance:
        raise ValidationError(f"{runtime} computes other logits from the export than the studio does (largest "
                              f"difference {diff:.3g}, allowed {tolerance:g}).")
    return {"runtime": runtime, "tokens": len(ids), "max_abs_diff": diff, "same_argmax": same_top}
