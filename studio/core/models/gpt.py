"""A decoder-only transformer (GPT-2 family) in plain PyTorch, after nanoGPT's model.py.

Parameter names are Hugging Face GPT-2's one to one (transformer.wte, transformer.h.N.attn.c_attn, ...,
lm_head), so conversion is a rename-free copy; only HF's Conv1D weights are stored transposed (see hf.py).
Every projection is a plain nn.Linear and every layer reads its own head count and MLP width from the
config, so that pruning can shrink layers one by one and quantization can swap Linear modules.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
from torch.nn import functional as F

from studio.core.errors import ValidationError
from studio.core.models.config import GPTConfig


class KVCache:
    """Keys and values of the positions seen so far, per layer, preallocated to the context length.
    Used by generation: after the prompt, each new token costs one position instead of the whole window."""

    def __init__(self, config: GPTConfig, batch: int, device: torch.device | str, dtype: torch.dtype):
        hd, t = config.head_dim, config.block_size
        self.k = [torch.empty(batch, config.heads(i), t, hd, device=device, dtype=dtype) for i in range(config.n_layer)]
        self.v = [torch.empty_like(k) for k in self.k]
        self.length = 0  # positions filled
        self.capacity = t


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig, layer: int):
        super().__init__()
        self.layer = layer
        self.n_head = config.heads(layer)
        self.head_dim = config.head_dim
        width = self.n_head * self.head_dim
        self.c_attn = nn.Linear(config.n_embd, 3 * width, bias=config.bias)
        self.c_proj = nn.Linear(width, config.n_embd, bias=config.bias)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.dropout = config.dropout

    def forward(self, x: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        B, T, _ = x.size()
        width = self.n_head * self.head_dim
        q, k, v = self.c_attn(x).split(width, dim=2)
        q = q.view(B, T, self.n_head, self.head_dim).transpose(1, 2)
        k = k.view(B, T, self.n_head, self.head_dim).transpose(1, 2)
        v = v.view(B, T, self.n_head, self.head_dim).transpose(1, 2)
        mask, causal = None, True
        if cache is not None:
            start = cache.length
            cache.k[self.layer][:, :, start:start + T] = k
            cache.v[self.layer][:, :, start:start + T] = v
            k, v = cache.k[self.layer][:, :, :start + T], cache.v[self.layer][:, :, :start + T]
            if start > 0:
                # New queries see every cached position and the new ones up to themselves.
                causal = False
                if T > 1:
                    mask = torch.ones(T, start + T, dtype=torch.bool, device=x.device).tril(diagonal=start)
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0, is_causal=causal
        )
        y = y.transpose(1, 2).contiguous().view(B, T, width)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, config: GPTConfig, layer: int):
        super().__init__()
        width = config.mlp(layer)
        self.c_fc = nn.Linear(config.n_embd, width, bias=config.bias)
        self.act = nn.GELU(approximate="tanh" if config.activation == "gelu_tanh" else "none")
        self.c_proj = nn.Linear(width, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(self.act(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, config: GPTConfig, layer: int):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_eps, bias=config.bias)
        self.attn = CausalSelfAttention(config, layer)
        self.ln_2 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_eps, bias=config.bias)
        self.mlp = MLP(config, layer)

    def forward(self, x: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), cache)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config.validate()
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(config.vocab_size, config.n_embd),
            wpe=nn.Embedding(config.block_size, config.n_embd),
            drop=nn.Dropout(config.dropout),
            h=nn.ModuleList([Block(config, i) for i in range(config.n_layer)]),
            ln_f=nn.LayerNorm(config.n_embd, eps=config.layer_norm_eps, bias=config.bias),
        ))
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        if config.tie_embeddings:
            self.lm_head.weight = self.transformer.wte.weight
        self.apply(self._init_weights)
        # GPT-2's scaled init of the projections that write into the residual stream.
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(
        self,
        idx: torch.Tensor,
        targets: torch.Tensor | None = None,
        *,
        cache: KVCache | None = None,
        last_only: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Logits (B, T, vocab) and, given targets, the mean cross-entropy over targets that are not -1
        (-1 marks a position whose loss does not count, e.g. a prompt token). last_only computes logits
        for the last position only (generation); cache continues from the positions already cached."""
        B, T = idx.size()
        start = cache.length if cache is not None else 0
        if start + T > self.config.block_size:
            raise ValidationError(
                f"The sequence ({start + T} tokens) is longer than the model's context ({self.config.block_size})."
            )
        pos = torch.arange(start, start + T, dtype=torch.long, device=idx.device)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for block in self.transformer.h:
            x = block(x, cache)
        if cache is not None:
            cache.length = start + T
        x = self.transformer.ln_f(x)
        if last_only:
            x = x[:, -1:, :]
        logits = self.lm_head(x)
        loss = None
        if targets is not None:
            # sum / count rather than mean: a batch where every target is masked gives 0, not NaN.
            flat = targets.reshape(-1)
            total = F.cross_entropy(logits.reshape(-1, logits.size(-1)), flat, ignore_index=-1, reduction="sum")
            loss = total / (flat != -1).sum().clamp(min=1)
        return logits, loss

    def num_parameters(self, non_embedding: bool = False) -> int:
        n = sum(p.numel() for p in self.parameters())
        return n - self.transformer.wpe.weight.numel() if non_embedding else n


def model_tensors(model: GPT) -> dict[str, torch.Tensor]:
    """The model's weights by name, ready for safetensors: tied lm_head.weight left out (it is wte's)."""
    out = {}
    for name, t in model.state_dict().items():
        if name == "lm_head.weight" and model.config.tie_embeddings:
            continue
        out[name] = t.detach().contiguous()
    return out


def load_model_tensors(model: GPT, tensors: dict[str, torch.Tensor]) -> None:
    """Copy weights into `model`, with a clear error naming what is missing, unexpected or misshapen."""
    expected = {k: v.shape for k, v in model.state_dict().items()}
    if model.config.tie_embeddings:
        expected.pop("lm_head.weight")
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    wrong = sorted(k for k in set(expected) & set(tensors) if tuple(tensors[k].shape) != tuple(expected[k]))
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
        if unexpected:
            parts.append(f"unexpected {', '.join(unexpected[:5])}{' ...' if len(unexpected) > 5 else ''}")
        if wrong:
            parts.append("wrong shape " + ", ".join(
                f"{k} {tuple(tensors[k].shape)} (model {tuple(expected[k])})" for k in wrong[:5]))
        raise ValidationError("The weights do not fit this model configuration: " + "; ".join(parts) + ".")
    with torch.no_grad():
        params = dict(model.state_dict(keep_vars=True))
        for name, t in tensors.items():
            params[name].copy_(t)


def config_for_tensors(config: GPTConfig, tensors: dict[str, torch.Tensor]) -> GPTConfig:
    """`config` with per-layer head counts and MLP widths read from the weights' shapes, so a pruned model
    loads into a config that still says its original widths."""
    from dataclasses import replace

    heads, mlp = [], []
    for i in range(config.n_layer):
        qkv = tensors.get(f"transformer.h.{i}.attn.c_attn.weight")
        fc = tensors.get(f"transformer.h.{i}.mlp.c_fc.weight")
        if qkv is None or fc is None:
            raise ValidationError(f"The weights have no layer {i}, but the configuration has {config.n_layer} layers.")
        rows = qkv.shape[0]
        if rows % (3 * config.head_dim):
            raise ValidationError(f"Layer {i}'s attention weights ({rows} rows) are not whole heads of {config.head_dim}.")
        heads.append(rows // (3 * config.head_dim))
        mlp.append(fc.shape[0])
    same_heads = all(h == config.n_head for h in heads)
    same_mlp = all(m == config.mlp_width for m in mlp)
    return replace(config, layer_heads=None if same_heads else tuple(heads),
                   layer_mlp=None if same_mlp else tuple(mlp)).validate()


def build_model(config: GPTConfig, tensors: dict[str, torch.Tensor] | None = None) -> GPT:
    """A model for `config` (randomly initialised), or holding `tensors` (per-layer widths from their shapes)."""
    if tensors is None:
        return GPT(config)
    model = GPT(config_for_tensors(config, tensors))
    load_model_tensors(model, tensors)
    return model
