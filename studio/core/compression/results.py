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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EvalResult:
        d = dict(d)
        d["samples"] = tuple(d.get("samples", ()))
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})
