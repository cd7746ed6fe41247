"""The training engine: configuration and schedule (torch-free), data sampling, optimizers, the step-by-step
trainer, training states as bytes, fine-tuning checks. See docs/architecture.md, "Training engine contract"."""

from studio.core.training.config import OPTIMIZERS, SCHEDULES, TrainConfig, lr_at

__all__ = ["OPTIMIZERS", "SCHEDULES", "TrainConfig", "lr_at"]
