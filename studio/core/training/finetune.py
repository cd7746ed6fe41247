"""Fine-tuning: a new run that starts from given weights (a model version's tensors and config) instead of a
random initialisation. The one thing that must hold is that the tokenizer of the new dataset is the model's:
its ids index the embedding. A different vocabulary size is refused with a clear error unless the caller
asks to resize the vocabulary explicitly (new rows start at the mean embedding; dropped rows are lost).

    config, weights = prepare_fine_tune(version_config, version_tensors, tokenizer.vocab_size)
    trainer = Trainer(config, train_config, data, weights=weights)
"""

from __future__ import annotations

from dataclasses import replace

import torch

from studio.core.errors import ValidationError
from studio.core.models.config import GPTConfig


def _resize_rows(t: torch.Tensor, rows: int) -> torch.Tensor:
    if rows <= t.shape[0]:
        return t[:rows].clone()
    extra = t.mean(dim=0, keepdim=True).expand(rows - t.shape[0], -1)
    return torch.cat([t, extra], dim=0)


def prepare_fine_tune(config: GPTConfig, tensors: dict[str, torch.Tensor], tokenizer_vocab_size: int,
                      *, eos_id: int | None = None, resize_vocab: bool = False,
                      same_tokenizer: bool = False) -> tuple[GPTConfig, dict[str, torch.Tensor]]:
    """The config and weights a fine-tuning Trainer starts from, checked against the tokenizer.
    `same_tokenizer`: the caller checked that the data was tokenized with the model's own tokenizer, so an
    embedding with more rows than the tokenizer has ids (a GPT-2 folder padded to a round size) is fine."""
    config = config.validate()
    if "transformer.wte.weight" not in tensors:
        raise ValidationError("The starting weights have no token embedding (transformer.wte.weight).")
    if eos_id is not None and not 0 <= eos_id < tokenizer_vocab_size:
        raise ValidationError(f"The tokenizer's end-of-document id {eos_id} is outside its vocabulary.")
    if tokenizer_vocab_size == config.vocab_size or (same_tokenizer and tokenizer_vocab_size < config.vocab_size
                                                      and not resize_vocab):
        return config, tensors
    if not resize_vocab:
        raise ValidationError(
            f"The dataset's tokenizer has {tokenizer_vocab_size} tokens but the model was trained with a vocabulary "
            f"of {config.vocab_size}: their ids do not mean the same thing. Fine-tune on a dataset tokenized with "
            "the model's own tokenizer, or choose to resize the model's vocabulary (new tokens start untrained).",
            field="vocab_size")
    out = dict(tensors)
    out["transformer.wte.weight"] = _resize_rows(tensors["transformer.wte.weight"], tokenizer_vocab_size)
    if "lm_head.weight" in tensors and not config.tie_embeddings:
        out["lm_head.weight"] = _resize_rows(tensors["lm_head.weight"], tokenizer_vocab_size)
    return replace(config, vocab_size=tokenizer_vocab_size).validate(), out
