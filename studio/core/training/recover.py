"""A short LoRA fine-tune that gives back merged weights: for compression's recovery step (and any caller that
wants "train adapters for N steps, then fold them in") without a run, a worker or the vault.

    tensors = lora_recover(config, tensors, TrainData(split), steps=200, lr=1e-4, on_step=report)

Any family (config is a GPTConfig or a config.json dict); the base is frozen, so memory is the model plus the
adapters and their optimizer state. `on_step(metrics)` sees every step's StepMetrics (a TaskState's report,
a cancel check that raises). A pruned model keeps its zeros only if the caller masks the merged weights:
the adapters' update is dense.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch

from studio.core.errors import ValidationError
from studio.core.training.config import LoraConfig, TrainConfig
from studio.core.training.data import TrainData


def lora_recover(config: Any, tensors: Mapping[str, torch.Tensor], data: TrainData, *, steps: int,
                 lr: float = 1e-4, lora: LoraConfig | None = None, batch_size: int = 8, seq_len: int | None = None,
                 seed: int = 1337, device: str = "cpu",
                 on_step: Callable[[Any], None] | None = None) -> dict[str, torch.Tensor]:
    """The model's weights after `steps` LoRA steps on `data`, the adapters merged (float32, on the CPU,
    under the family's stored names)."""
    from studio.core.models.lora import merge_lora
    from studio.core.training.trainer import Trainer

    train = TrainConfig(max_steps=steps, batch_size=batch_size, seq_len=seq_len, lr=lr, min_lr=lr / 10,
                        warmup_steps=min(20, steps // 10), weight_decay=0.0, eval_every=max(steps, 1), seed=seed,
                        device=device)
    trainer = Trainer(config, train, data, weights=tensors, lora=lora or LoraConfig())
    for metrics in trainer.steps():
        if on_step is not None:
            on_step(metrics)
    result = trainer.result
    if result is None or result.status != "completed":
        raise ValidationError(f"The LoRA recovery did not complete: {result.message if result else 'no result'}")
    model = merge_lora(trainer.model.cpu())
    return {k: v.detach().contiguous() for k, v in trainer.family.tensors(model).items()}
