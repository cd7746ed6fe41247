"""Calibration: the token windows a calibrated method learns from, and what its Linear layers see of them.

    windows = calibration_windows(split, samples=128, seq_len=128)   # (128, 128) int64, seeded random starts
    stats = capture(model, forward, layers, windows, stop=block)     # LayerInput per layer, via forward hooks
    for_each_block(model, forward, layers, windows, apply)           # block by block, later blocks seeing the
                                                                     # already compressed earlier ones

`for_each_block` is how the references run (IST-DASLab/gptq and sparsegpt llama.py, locuslab/wanda
prune.py): the Linear layers of transformer block i are compressed on inputs that went through the compressed
blocks 0..i-1, so each block corrects for the errors before it. A block is the module path up to its first
numeric part ("transformer.h.3", "model.layers.3"); the forward stops after that block (a hook raises), so
block i costs i + 1 block forwards instead of the whole model. The references instead keep every block's
input and call the block alone, which needs each family's block arguments (masks, rotary tables); stopping
early needs nothing of a family but its Linear layers.

Layers that receive the very same input tensor (a Llama's q, k and v projections) share one LayerInput.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from studio.core.compression.methods.base import LayerInput
from studio.core.errors import ValidationError
from studio.core.training.data import TokenSplit

MIN_SAMPLES = 16  # fewer windows than this: warn (the references use 128)
MIN_TOKENS = 8192  # fewer calibration tokens than this: warn
BATCH = 8


@dataclass(frozen=True)
class CalibrationSet:
    windows: torch.Tensor  # (samples, seq_len) int64
    dataset: str | None = None
    split: str | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> dict[str, Any]:
        samples, seq_len = self.windows.shape
        return {"dataset": self.dataset, "split": self.split, "samples": int(samples), "seq_len": int(seq_len),
                "tokens": int(samples * seq_len), "warnings": list(self.warnings)}


def calibration_windows(split: TokenSplit, samples: int, seq_len: int, seed: int = 0) -> torch.Tensor:
    """`samples` windows of `seq_len` tokens at seeded random starts (the references draw random windows of
    their calibration text). A split shorter than one window is refused; a short one gives overlapping
    windows (size_warnings says so)."""
    n = len(split)
    if n < seq_len + 1:
        raise ValidationError(f"The calibration split has {n:,} tokens, fewer than one window of {seq_len}; "
                              "choose a larger split or a shorter calibration length.", field="calibration")
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, n - seq_len, size=samples)
    idx = starts[:, None] + np.arange(seq_len)
    return torch.from_numpy(np.asarray(split.tokens[idx], dtype=np.int64))


def size_warnings(split_tokens: int, samples: int, seq_len: int) -> list[str]:
    out = []
    if samples < MIN_SAMPLES or samples * seq_len < MIN_TOKENS:
        out.append(f"The calibration set is small ({samples} windows of {seq_len} tokens, {samples * seq_len:,} "
                   f"tokens); calibrated methods fit these tokens, so use at least {MIN_SAMPLES} windows and "
                   f"{MIN_TOKENS:,} tokens (the published methods use 128 windows).")
    if split_tokens < samples * seq_len:
        out.append(f"The calibration split has only {split_tokens:,} tokens for {samples} windows of {seq_len}: "
                   "the windows overlap, so the set is less varied than its size says.")
    return out


class _Stop(Exception):
    """Raised after the block of interest ran: nothing after it is needed."""


def block_of(path: str) -> str:
    """The module path of the transformer block a layer belongs to: up to its first numeric part."""
    parts = path.split(".")
    for i, p in enumerate(parts):
        if p.isdigit():
            return ".".join(parts[:i + 1])
    return path


def blocks(layers: dict[str, nn.Linear]) -> list[tuple[str, list[str]]]:
    """Layers grouped by block, in the order they were listed (the families list them in forward order)."""
    out: dict[str, list[str]] = {}
    for path in layers:
        out.setdefault(block_of(path), []).append(path)
    return list(out.items())


def capture(model: nn.Module, forward: Callable[[torch.Tensor], Any], layers: dict[str, nn.Linear],
            windows: torch.Tensor, stop: nn.Module | None = None, check: Callable[[], None] | None = None,
            ) -> dict[str, LayerInput]:
    """Run the windows through the model with a forward hook on every layer in `layers`, accumulating what
    each one receives; the forward ends after `stop` (a module) when given."""
    stats: dict[str, LayerInput] = {}
    seen: list[tuple[torch.Tensor, LayerInput]] = []  # inputs of the current batch (held, so ids stay unique)

    def hook(name: str):
        def add(_module: nn.Module, args: tuple, _out: Any) -> None:
            x = args[0]
            for other, acc in seen:
                if other is x:
                    stats.setdefault(name, acc)
                    if stats[name] is not acc:
                        stats[name].add(x)
                    return
            acc = stats.setdefault(name, LayerInput.empty(x.shape[-1]))
            acc.add(x)
            seen.append((x, acc))
        return add

    def halt(*_args: Any) -> None:
        raise _Stop

    handles = [layer.register_forward_hook(hook(name)) for name, layer in layers.items()]
    if stop is not None:
        handles.append(stop.register_forward_hook(halt))
    try:
        with torch.no_grad():
            for i in range(0, windows.shape[0], BATCH):
                if check is not None:
                    check()
                seen.clear()
                try:
                    forward(windows[i:i + BATCH])
                except _Stop:
                    pass
    finally:
        seen.clear()
        for h in handles:
            h.remove()
    missing = [name for name in layers if name not in stats]
    if missing:
        raise ValidationError(f"Calibration never reached {missing[0]}: the layer is not used by this model's forward.")
    return stats


def for_each_block(model: nn.Module, forward: Callable[[torch.Tensor], Any], layers: dict[str, nn.Linear],
                   windows: torch.Tensor, apply: Callable[[str, nn.Linear, LayerInput], None],
                   progress: Callable[[float, str], None] | None = None,
                   check: Callable[[], None] | None = None) -> None:
    """Compress block by block: capture the block's layer inputs (through the already compressed blocks
    before it), then `apply(name, layer, inputs)` to each of its layers, which must leave in the layer the
    weight later blocks should see (pruned, or quantized and dequantized)."""
    modules = dict(model.named_modules())
    groups = blocks(layers)
    for k, (block, names) in enumerate(groups):
        if progress is not None:
            progress(k / len(groups), block)
        stop = modules.get(block) if block not in names else None
        stats = capture(model, forward, {n: layers[n] for n in names}, windows, stop=stop, check=check)
        for name in names:
            if check is not None:
                check()
            apply(name, layers[name], stats[name])
