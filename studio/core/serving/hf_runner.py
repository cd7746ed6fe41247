"""The transformers family's batch runner: live rows share each decode step, left-padded in one cache.

All rows live in one transformers `DynamicCache` of shape (rows, heads, width, head_dim) per layer, where
`width` is the longest row's length; a shorter row is padded on the left, and a 2-D attention mask (zeros over
the padding) and per-row `position_ids` (each row's own positions, not the padded ones) make every row compute
what it would compute alone. This is how transformers' own `generate` batches padded prompts; here the batch
changes between steps:

- `add` prefills the prompt alone (batch 1, no padding: the first token is exactly the studio's generation)
  and merges its cache into the batch, padding the shorter side on the left;
- `remove` drops a row (the last row moves into its place, as the engine expects) and trims the columns that
  have become padding in every row, so `width` stays the longest live row.

Each layer of the batch's cache writes a decode step's keys and values in place, into room kept at the end
of its buffer (`_RowsLayer`), where transformers' DynamicLayer concatenates, copying the whole cache every
step (15-20% of a 6 x 384 Llama's 8-row step). The cache has only full-attention layers (no `config`): a
sliding-window model's window is kept by its mask (transformers builds it from the positions of the padded
layout, the same distance for every row), at the cost of caching the whole row. `supports(model)` says whether a model can be batched this way (its forward
takes an attention mask and positions, and no layer keeps a recurrent state that padding would corrupt);
other models are served row by row (family_runner.FamilyRunner).
"""

from __future__ import annotations

from typing import Any

import torch

from studio.core.errors import ValidationError
from studio.core.serving.family_runner import admit

# Layer kinds whose cache is keys and values over positions (paddable); others (linear attention, mamba
# states) keep a running state that left padding would feed with garbage.
PADDABLE_LAYERS = frozenset({"full_attention", "sliding_attention", "chunked_attention"})


def _rows_layer_class() -> type:
    from transformers.cache_utils import DynamicLayer

    class _RowsLayer(DynamicLayer):
        """A DynamicLayer whose keys and values are views of a buffer with room after them."""

        def hold(self, keys: torch.Tensor, values: torch.Tensor) -> None:
            b, h, n, _ = keys.shape
            room = max(64, n)  # doubling: a row's growth costs amortised O(1) copies per position
            self._k = keys.new_empty(b, h, n + room, keys.shape[-1])
            self._v = values.new_empty(b, h, n + room, values.shape[-1])
            self._k[:, :, :n] = keys
            self._v[:, :, :n] = values
            self.keys, self.values = self._k[:, :, :n], self._v[:, :, :n]
            self.device, self.is_initialized = keys.device, True

        def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any,
                   **kwargs: Any) -> tuple[torch.Tensor, torch.Tensor]:
            n, m = self.keys.shape[2], key_states.shape[2]
            if n + m > self._k.shape[2]:
                self.hold(self.keys, self.values)
            self._k[:, :, n:n + m] = key_states
            self._v[:, :, n:n + m] = value_states
            self.keys, self.values = self._k[:, :, :n + m], self._v[:, :, :n + m]
            return self.keys, self.values

    return _RowsLayer


_ROWS_LAYER: list[type] = []


def rows_layer() -> Any:
    if not _ROWS_LAYER:  # made once, on first use: transformers is imported only by a model that needs it
        _ROWS_LAYER.append(_rows_layer_class())
    return _ROWS_LAYER[0]()


def supports(model: Any) -> bool:
    from studio.core.models.families.transformers_causal import takes

    cls = type(model)
    if not (takes(cls, "attention_mask") and takes(cls, "position_ids")):
        return False
    config = getattr(model.config, "get_text_config", lambda: model.config)()
    kinds = getattr(config, "layer_types", None) or ()
    return all(kind in PADDABLE_LAYERS for kind in kinds)


class PaddedRunner:
    def __init__(self, model: Any, max_rows: int):
        from studio.core.models.families.transformers_causal import cache_argument, takes
        from studio.core.models.family import family_of

        family = family_of(model)
        self.model = model.eval()
        self.vocab_size = family.vocab_size(model)
        self.context_length = family.context_length(model)
        self.max_rows = int(max_rows)
        self.device = next(model.parameters()).device
        self.lengths: list[int] = []  # each row's own tokens; its padding is width - length
        self._cache: Any = None
        self._cache_arg = cache_argument(type(model))
        self._keep = takes(type(model), "logits_to_keep")

    @property
    def rows(self) -> int:
        return len(self.lengths)

    @property
    def width(self) -> int:
        return max(self.lengths, default=0)

    def length(self, row: int) -> int:
        return self.lengths[row]

    def reset(self) -> None:
        self.lengths.clear()
        self._cache = None

    def _layers(self, cache: Any) -> list[Any]:
        return [layer for layer in cache.layers if layer.is_initialized]

    def _run(self, ids: torch.Tensor, cache: Any, **kwargs: Any) -> torch.Tensor:
        if self._keep:
            kwargs["logits_to_keep"] = 1
        out = self.model(input_ids=ids, use_cache=True, **{self._cache_arg: cache}, **kwargs)
        return out.logits[:, -1].float()

    @torch.inference_mode()
    def add(self, prompt_ids: list[int]) -> tuple[int, torch.Tensor]:
        from transformers import DynamicCache
        from transformers.cache_utils import DynamicLayer

        n = len(prompt_ids)
        admit(n, self.context_length, self.rows, self.max_rows)
        cache = DynamicCache()
        logits = self._run(torch.tensor([prompt_ids], dtype=torch.long, device=self.device), cache)[0]
        if any(type(layer) is not DynamicLayer for layer in cache.layers):
            raise RuntimeError(f"{type(self.model).__name__} keeps a cache that cannot be padded")
        if self._cache is None:
            self._cache = cache
            for i, layer in enumerate(cache.layers):
                if layer.is_initialized:
                    cache.layers[i] = rows = rows_layer()
                    rows.hold(layer.keys, layer.values)
        else:
            width = self.width
            self._pad(self._cache, n - width)
            self._pad(cache, width - n)
            for mine, new in zip(self._layers(self._cache), self._layers(cache), strict=True):
                mine.hold(torch.cat([mine.keys, new.keys]), torch.cat([mine.values, new.values]))
        self.lengths.append(n)
        return self.rows - 1, logits

    def _pad(self, cache: Any, columns: int) -> None:
        """Prepend `columns` positions of padding to every row of every layer."""
        if columns <= 0:
            return
        for layer in self._layers(cache):
            b, h, _, d = layer.keys.shape
            keys = torch.cat([layer.keys.new_zeros(b, h, columns, d), layer.keys], dim=2)
            values = torch.cat([layer.values.new_zeros(b, h, columns, layer.values.shape[-1]), layer.values], dim=2)
            if hasattr(layer, "hold"):
                layer.hold(keys, values)
            else:
                layer.keys, layer.values = keys, values

    @torch.inference_mode()
    def step(self, tokens: list[int]) -> torch.Tensor:
        rows = self.rows
        if len(tokens) != rows:
            raise ValueError(f"step got {len(tokens)} tokens for {rows} rows")
        if self.width >= self.context_length:
            raise ValidationError("A request reached the end of the model's context.")
        lengths = torch.tensor(self.lengths, device=self.device)
        width = self.width
        # column c of a row holds a token when c >= its padding (width - length); the new token's column too
        mask = torch.arange(width + 1, device=self.device).unsqueeze(0) >= (width - lengths).unsqueeze(1)
        ids = torch.tensor(tokens, dtype=torch.long, device=self.device).view(rows, 1)
        logits = self._run(ids, self._cache, attention_mask=mask.long(), position_ids=lengths.view(rows, 1))
        for r in range(rows):
            self.lengths[r] += 1
        return logits

    def remove(self, row: int) -> int:
        last = self.rows - 1
        if last == 0:
            self.reset()
            return 0
        keep = list(range(last))
        if row != last:
            keep[row] = last
            self.lengths[row] = self.lengths[last]
        self.lengths.pop()
        trim = self._cache_width() - self.width  # columns that are padding in every row left
        index = torch.tensor(keep, device=self.device)
        for layer in self._layers(self._cache):
            layer.hold(layer.keys.index_select(0, index)[:, :, trim:], layer.values.index_select(0, index)[:, :, trim:])
        return last

    def _cache_width(self) -> int:
        layers = self._layers(self._cache)
        return int(layers[0].keys.shape[2]) if layers else 0
