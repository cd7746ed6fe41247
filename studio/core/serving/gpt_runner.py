"""The native GPT's batch runner: a KV cache of `max_rows` rows per layer and a lean decode step.

The prompt goes through `GPT.forward` with a cache that is a view of one row, so the prefill is the model's
own code. The decode step is written out here for a batch whose rows sit at different positions: each row
writes its new key and value at its own position, and attends to its own positions only (a boolean mask,
none for a single row). With one row it computes exactly what `models.generate` computes (same kernels on
the same shapes), so greedy text is identical to the studio's in-process generation.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from studio.core.errors import ValidationError
from studio.core.models.gpt import GPT


class _RowCache:
    """A KVCache (models.gpt) whose tensors are views of one row of the runner's cache."""

    def __init__(self, k: list[torch.Tensor], v: list[torch.Tensor], row: int, capacity: int):
        self.k = [t[row:row + 1] for t in k]
        self.v = [t[row:row + 1] for t in v]
        self.length = 0
        self.capacity = capacity


class GPTRunner:
    def __init__(self, model: GPT, max_rows: int):
        self.model = model.eval()
        cfg = model.config
        param = next(model.parameters())
        self.device, dtype = param.device, param.dtype
        if not dtype.is_floating_point:
            dtype = torch.float32
        self.vocab_size = cfg.vocab_size
        self.context_length = cfg.block_size
        self.max_rows = int(max_rows)
        self.head_dim = cfg.head_dim
        self.heads = [cfg.heads(i) for i in range(cfg.n_layer)]
        shape = (self.max_rows, cfg.block_size, cfg.head_dim)
        self.k = [torch.zeros(shape[0], h, *shape[1:], device=self.device, dtype=dtype) for h in self.heads]
        self.v = [torch.zeros_like(t) for t in self.k]
        self.lengths: list[int] = []
        self._positions = torch.arange(cfg.block_size, device=self.device)

    @property
    def rows(self) -> int:
        return len(self.lengths)

    def length(self, row: int) -> int:
        return self.lengths[row]

    def reset(self) -> None:
        self.lengths.clear()

    @torch.inference_mode()
    def add(self, prompt_ids: list[int]) -> tuple[int, torch.Tensor]:
        if self.rows >= self.max_rows:
            raise RuntimeError("no free row in the KV cache")
        n = len(prompt_ids)
        if not 0 < n <= self.context_length:
            raise ValidationError(f"The prompt has {n} tokens; this model takes 1 to {self.context_length}.")
        row = self.rows
        cache = _RowCache(self.k, self.v, row, self.context_length)
        x = torch.tensor([prompt_ids], dtype=torch.long, device=self.device)
        logits, _ = self.model(x, cache=cache, last_only=True)
        self.lengths.append(n)
        return row, logits[0, -1]

    @torch.inference_mode()
    def step(self, tokens: list[int]) -> torch.Tensor:
        B = self.rows
        if len(tokens) != B:
            raise ValueError(f"step got {len(tokens)} tokens for {B} rows")
        if max(self.lengths) >= self.context_length:
            raise ValidationError("A request reached the end of the model's context.")
        tr = self.model.transformer
        dev = self.device
        idx = torch.tensor(tokens, dtype=torch.long, device=dev).view(B, 1)
        pos = torch.tensor(self.lengths, dtype=torch.long, device=dev)
        span = max(self.lengths) + 1
        x = tr.wte(idx) + tr.wpe(pos).unsqueeze(1)
        mask = None
        if B > 1:
            mask = (self._positions[:span].unsqueeze(0) <= pos.unsqueeze(1)).view(B, 1, 1, span)
        rows = torch.arange(B, device=dev)
        hd = self.head_dim
        for i, block in enumerate(tr.h):
            attn, H = block.attn, self.heads[i]
            width = H * hd
            q, k, v = attn.c_attn(block.ln_1(x)).split(width, dim=2)
            self.k[i][rows, :, pos] = k.view(B, H, hd)
            self.v[i][rows, :, pos] = v.view(B, H, hd)
            q = q.view(B, 1, H, hd).transpose(1, 2)
            y = F.scaled_dot_product_attention(q, self.k[i][:B, :, :span], self.v[i][:B, :, :span], attn_mask=mask)
            x = x + attn.c_proj(y.transpose(1, 2).reshape(B, 1, width))
            x = x + block.mlp(block.ln_2(x))
        logits = self.model.lm_head(tr.ln_f(x))[:, 0]
        for b in range(B):
            self.lengths[b] += 1
        return logits

    def remove(self, row: int) -> int:
        last = self.rows - 1
        if row != last:
            n = self.lengths[last]
            for k, v in zip(self.k, self.v, strict=True):
                k[row, :, :n] = k[last, :, :n]
                v[row, :, :n] = v[last, :, :n]
            self.lengths[row] = n
        self.lengths.pop()
        return last
