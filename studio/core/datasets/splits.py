"""Document-level splits: each document goes whole to train, validation or test. The assignment is a
function of the seed and the document's position among the kept documents only (a PCG64 stream drawn
in blocks), so the same inputs and seed give byte-identical arrays on every machine."""

from __future__ import annotations

import numpy as np

SPLITS = ("train", "val", "test")
TRAIN, VAL, TEST = 0, 1, 2


class SplitAssigner:
    BLOCK = 4096

    def __init__(self, ratios: tuple[float, float, float], seed: int):
        self._edges = np.cumsum(np.asarray(ratios, dtype=np.float64))[:2]
        self._rng = np.random.Generator(np.random.PCG64(seed))
        self._block = np.zeros(0, dtype=np.uint8)
        self._pos = 0

    def take(self, n: int) -> np.ndarray:
        """The splits of the next n documents (the same sequence as n calls of next())."""
        out = np.empty(n, dtype=np.uint8)
        filled = 0
        while filled < n:
            if self._pos >= len(self._block):
                draws = self._rng.random(self.BLOCK)
                self._block = np.searchsorted(self._edges, draws, side="right").astype(np.uint8)
                self._pos = 0
            k = min(n - filled, len(self._block) - self._pos)
            out[filled:filled + k] = self._block[self._pos:self._pos + k]
            self._pos += k
            filled += k
        return out

    def next(self) -> int:
        if self._pos >= len(self._block):
            draws = self._rng.random(self.BLOCK)
            self._block = np.searchsorted(self._edges, draws, side="right").astype(np.uint8)
            self._pos = 0
        value = int(self._block[self._pos])
        self._pos += 1
        return value


def fill_empty_splits(assigned: np.ndarray, ratios: tuple[float, float, float]) -> list[tuple[int, int]]:
    """Small datasets can leave a split with a non-zero ratio empty: give train the first document if it has
    none, then move the last train documents into empty splits (deterministically) when train can spare
    them. Changes `assigned` in place; returns the
    (document index, new split) moves."""
    moves = []
    if len(assigned) and not np.any(assigned == TRAIN):  # e.g. one document that drew "val"
        assigned[0] = TRAIN
        moves.append((0, TRAIN))
    for split in (VAL, TEST):
        if ratios[split] <= 0 or np.any(assigned == split):
            continue
        train = np.flatnonzero(assigned == TRAIN)
        if len(train) < 2:
            continue
        index = int(train[-1])
        assigned[index] = split
        moves.append((index, split))
    return moves
