"""Training data as the datasets issue stores it: one flat array of token ids per split (uint16 or uint32,
documents separated by an end-of-document token, usually a np.memmap) and an optional uint8 loss mask of the
same length (1 = this token is a training target; 0 = e.g. a prompt token whose prediction does not count).

Batches are random windows, the nanoGPT way, drawn by the sampler's own numpy generator, so that its state
(JSON) is the data position: saving it and restoring it continues with exactly the next batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from studio.core.errors import ValidationError


@dataclass(frozen=True)
class TokenSplit:
    tokens: np.ndarray
    mask: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.tokens.ndim != 1 or self.tokens.dtype.kind not in "ui":
            raise ValidationError(f"Token arrays must be flat integer arrays (got {self.tokens.dtype}, {self.tokens.ndim}-D).")
        if self.mask is not None and (self.mask.ndim != 1 or len(self.mask) != len(self.tokens)):
            raise ValidationError(
                f"The loss mask has {len(self.mask)} entries but the split has {len(self.tokens)} tokens.")

    def __len__(self) -> int:
        return len(self.tokens)

    def max_token(self, chunk: int = 1 << 24) -> int:
        """The largest token id (read in chunks so a memmap is never loaded whole)."""
        return max(int(self.tokens[i:i + chunk].max()) for i in range(0, len(self.tokens), chunk))


@dataclass(frozen=True)
class TrainData:
    train: TokenSplit
    val: TokenSplit | None = None

    def check(self, vocab_size: int, seq_len: int) -> None:
        """Clear errors for data that cannot train this model (too short, ids outside the vocabulary)."""
        for name, split in (("training", self.train), ("validation", self.val)):
            if split is None:
                continue
            if len(split) < seq_len + 1:
                raise ValidationError(
                    f"The {name} split has {len(split)} tokens, fewer than one window of {seq_len + 1}; "
                    "use a shorter context or more data.")
            top = split.max_token()
            if top >= vocab_size:
                raise ValidationError(
                    f"The {name} split contains token id {top}, but the model's vocabulary has {vocab_size} ids: "
                    "the dataset was tokenized with a different tokenizer than the model's.")


class BatchSampler:
    """Random windows of seq_len + 1 tokens from one split; x is the window minus its last token, y minus its
    first, with y = -1 where the mask says the target does not count."""

    def __init__(self, split: TokenSplit, batch_size: int, seq_len: int, seed: int | list[int],
                 part: tuple[int, int] | None = None):
        """`part` (index, count): draw a global batch of batch_size x count windows and return slice `index`
        (FSDP: every rank draws alike and trains its share of the same global batch)."""
        self.split = split
        self.part = part
        self.batch_size = batch_size
        self.seq_len = seq_len
        self.rng = np.random.default_rng(seed)
        self.drawn = 0  # batches drawn so far (the data position, for people; the generator state is exact)
        self._offsets = np.arange(seq_len + 1)

    def next_numpy(self) -> tuple[np.ndarray, np.ndarray]:
        if self.part is None:
            starts = self.rng.integers(0, len(self.split) - self.seq_len, size=self.batch_size)
        else:
            index, count = self.part
            starts = self.rng.integers(0, len(self.split) - self.seq_len, size=self.batch_size * count)
            starts = starts[index * self.batch_size:(index + 1) * self.batch_size]
        index = starts[:, None] + self._offsets
        window = np.asarray(self.split.tokens[index], dtype=np.int64)
        x, y = window[:, :-1], window[:, 1:].copy()
        if self.split.mask is not None:
            y[np.asarray(self.split.mask[index[:, 1:]]) == 0] = -1
        self.drawn += 1
        return x, y

    def state(self) -> dict[str, Any]:
        return {"drawn": self.drawn, "generator": self.rng.bit_generator.state}

    def load_state(self, state: dict[str, Any]) -> None:
        try:
            self.rng.bit_generator.state = state["generator"]
            self.drawn = int(state["drawn"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(f"The saved data position is unreadable: {exc}.") from exc
