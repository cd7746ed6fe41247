import numpy as np
import pytest

from studio.core.models.config import GPTConfig
from studio.core.training.config import TrainConfig
from studio.core.training.data import TokenSplit, TrainData

VOCAB = 29


def corpus(n: int, seed: int) -> np.ndarray:
    """A learnable sequence: repeated 'words' of a small alphabet, with noise."""
    fixed = np.random.default_rng(0)  # the same words in every split; their order differs
    words = [fixed.integers(1, VOCAB, size=fixed.integers(2, 6)) for _ in range(12)]
    rng = np.random.default_rng(seed)
    out = []
    while sum(map(len, out)) < n:
        out.append(words[rng.integers(0, len(words))])
        out.append(np.array([0]))  # end of document
    return np.concatenate(out)[:n].astype(np.uint16)


@pytest.fixture
def data() -> TrainData:
    return TrainData(TokenSplit(corpus(6000, 1)), TokenSplit(corpus(1500, 2)))


@pytest.fixture
def model_config() -> GPTConfig:
    return GPTConfig(vocab_size=VOCAB, block_size=16, n_layer=2, n_head=2, n_embd=16, dropout=0.1)


@pytest.fixture
def train_config() -> TrainConfig:
    return TrainConfig(max_steps=12, batch_size=4, seq_len=12, grad_accum=2, lr=3e-3, warmup_steps=3,
                       eval_every=4, eval_batches=2, seed=5, device="cpu")
