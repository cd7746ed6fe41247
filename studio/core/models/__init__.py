"""Model definitions (the GPT family), their configuration and presets, import/export formats, generation
and estimates. Only `config` is torch-free; the other modules import torch, so import them where used."""

from studio.core.models.config import PRESETS, GPTConfig, parameter_count, preset

__all__ = ["PRESETS", "GPTConfig", "parameter_count", "preset"]
