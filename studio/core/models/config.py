"""The GPT model's configuration and its presets. Plain data (no torch), so that panes, the CLI and the
database can describe a model without importing torch.

A model may be shrunk layer by layer (pruning, issue 8): `layer_heads[i]` is the number of attention heads
kept in layer i and `layer_mlp[i]` the hidden width of its MLP. Head width stays `n_embd // n_head`, so a
pruned layer is the same module with fewer rows/columns in its Linear weights.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from studio.core.errors import ValidationError
from studio.core.messages import msg

ACTIVATIONS = ("gelu_tanh", "gelu")  # gelu_tanh is GPT-2's "gelu_new"; gelu is the exact erf form


@dataclass(frozen=True)
class GPTConfig:
    vocab_size: int
    block_size: int = 128  # context length (positions)
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    bias: bool = True  # biases in Linear layers and LayerNorms
    tie_embeddings: bool = True  # lm_head shares its weight with the token embedding
    layer_norm_eps: float = 1e-5
    activation: str = "gelu_tanh"
    n_inner: int | None = None  # MLP hidden width; None = 4 * n_embd
    layer_heads: tuple[int, ...] | None = None  # per-layer head count (pruned models); None = n_head
    layer_mlp: tuple[int, ...] | None = None  # per-layer MLP width (pruned models); None = n_inner

    def __post_init__(self) -> None:
        # JSON gives lists; keep the dataclass hashable and comparable.
        for name in ("layer_heads", "layer_mlp"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(int(v) for v in value))

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    @property
    def mlp_width(self) -> int:
        return self.n_inner if self.n_inner is not None else 4 * self.n_embd

    def heads(self, layer: int) -> int:
        return self.layer_heads[layer] if self.layer_heads is not None else self.n_head

    def mlp(self, layer: int) -> int:
        return self.layer_mlp[layer] if self.layer_mlp is not None else self.mlp_width

    @property
    def is_uniform(self) -> bool:
        """True when every layer has n_head heads and the same MLP width (the GPT-2 layout can hold it)."""
        return all(self.heads(i) == self.n_head and self.mlp(i) == self.mlp_width for i in range(self.n_layer))

    def validate(self) -> GPTConfig:
        def need(ok: bool, field: str, message: str) -> None:
            if not ok:
                raise ValidationError(message, field=field)

        for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            value = getattr(self, name)
            need(isinstance(value, int) and value >= 1, name, msg("{name} must be a positive whole number (got {value!r}).", name=name, value=value))
        need(self.n_embd % self.n_head == 0, "n_head",
             msg("The embedding width ({n_embd}) must be divisible by the number of heads ({n_head}).", n_embd=self.n_embd, n_head=self.n_head))
        need(0.0 <= self.dropout < 1.0, "dropout", msg("dropout must be in [0, 1) (got {dropout}).", dropout=self.dropout))
        need(self.layer_norm_eps > 0, "layer_norm_eps", msg("layer_norm_eps must be positive."))
        need(self.activation in ACTIVATIONS, "activation",
             msg("Unknown activation {activation!r}; choose one of {value}.", activation=self.activation, value=', '.join(ACTIVATIONS)))
        need(self.n_inner is None or self.n_inner >= 1, "n_inner", msg("n_inner must be positive."))
        for name, items in (("layer_heads", self.layer_heads), ("layer_mlp", self.layer_mlp)):
            if items is not None:
                need(len(items) == self.n_layer, name, msg("{name} must list one value per layer ({n_layer}).", name=name, n_layer=self.n_layer))
                need(all(v >= 1 for v in items), name, msg("Every value in {name} must be at least 1.", name=name))
        if self.layer_heads is not None:
            need(all(v <= self.n_head for v in self.layer_heads), "layer_heads",
                 msg("A layer cannot have more heads than n_head ({n_head}).", n_head=self.n_head))
        return self

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for name in ("layer_heads", "layer_mlp"):
            if d[name] is not None:
                d[name] = list(d[name])
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GPTConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValidationError(msg("Unknown model settings: {value}.", value=', '.join(unknown)))
        try:
            return cls(**data).validate()
        except TypeError as exc:
            raise ValidationError(msg("Incomplete model settings: {exc}.", exc=exc)) from exc


# Presets: shapes only; the vocabulary comes from the tokenizer. Parameter counts are for vocab 50304.
PRESETS: dict[str, dict[str, int]] = {
    "tiny": dict(n_layer=4, n_head=4, n_embd=128, block_size=128),  # nanoGPT's CPU shape
    "small": dict(n_layer=6, n_head=6, n_embd=384, block_size=256),  # nanoGPT shakespeare-char
    "medium": dict(n_layer=8, n_head=8, n_embd=512, block_size=512),
    "large": dict(n_layer=12, n_head=12, n_embd=768, block_size=1024),  # GPT-2 (124M) shape
    "xl": dict(n_layer=24, n_head=16, n_embd=1024, block_size=1024),  # GPT-2 medium (350M) shape
}


def preset(name: str, vocab_size: int, **overrides: Any) -> GPTConfig:
    """A preset shape with the tokenizer's vocabulary; `overrides` change single settings (dropout, ...)."""
    if name not in PRESETS:
        raise ValidationError(msg("Unknown model preset {name!r}; choose one of {value}.", name=name, value=', '.join(PRESETS)), field="preset")
    return replace(GPTConfig(vocab_size=vocab_size, **PRESETS[name]), **overrides).validate()


def parameter_count(config: GPTConfig, non_embedding: bool = False) -> int:
    """Number of parameters (tied weights counted once), computed from the shapes alone.
    non_embedding=True leaves out the position embedding, as nanoGPT and the MFU formula do."""
    d, b = config.n_embd, 1 if config.bias else 0
    n = config.vocab_size * d + config.block_size * d  # wte, wpe
    for i in range(config.n_layer):
        h, m = config.heads(i) * config.head_dim, config.mlp(i)
        n += 2 * (d + b * d)  # ln_1, ln_2
        n += d * 3 * h + b * 3 * h + h * d + b * d  # c_attn, attn.c_proj
        n += d * m + b * m + m * d + b * d  # c_fc, mlp.c_proj
    n += d + b * d  # ln_f
    if not config.tie_embeddings:
        n += config.vocab_size * d
    if non_embedding:
        n -= config.block_size * d
    return n
