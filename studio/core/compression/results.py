"""What one measured variant looks like (plain data, no torch, so the pane and the report can use it
without importing torch)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class EvalResult:
    label: str
    file_bytes: int
    parameters: int  # logical weights (a quantized weight counts as one)
    nonzeros: int  # weights that are not zero (after dequantization)
    loss: float | None
    perplexity: float | None
    tokens_per_s_b1: float
    tokens_per_s_b8: float
    ms_per_token: float  # greedy generation with the KV cache: one single-token forward per token
    kernel: str  # how the quantized layers ran ("float" for none)
    samples: tuple[str, ...] = ()
    recipe: dict[str, Any] | None = None
    version: int | None = None  # the vault version measured, when known
    eval_tokens: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    kl: float | None = None  # mean KL(original || this) of the next-token distributions, nats
    top1: float | None = None  # share of positions where this and the original predict the same token
    compress_seconds: float | None = None  # how long the compression took
    calibration: dict[str, Any] | None = None  # dataset, split, samples, seq_len, tokens, warnings
    speed: dict[str, Any] | None = None  # ratios to the baseline timed with it (evaluate.paired_speed)

    def speed_ratio(self, unit: str) -> tuple[float, float] | None:
        """(ratio, spread) against the baseline timed together with this row, for unit b1 | b8 | latency."""
        if not self.speed or self.speed.get(unit) is None:
            return None
        return float(self.speed[unit]), float(self.speed.get(unit + "_spread") or 0.0)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EvalResult:
        d = dict(d)
        d["samples"] = tuple(d.get("samples", ()))
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})
