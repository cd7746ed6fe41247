"""A small trained model for the compression tests (trained once per session: about a second), its data
and a character codec for prompts."""

from __future__ import annotations

import numpy as np
import pytest

VOCAB = 29


def corpus(n: int, seed: int) -> np.ndarray:
    """Repeated 'words' of a small alphabet separated by 0: learnable, so quantization error shows."""
    fixed = np.random.default_rng(0)
    words = [fixed.integers(1, VOCAB, size=fixed.integers(2, 6)) for _ in range(12)]
    rng = np.random.default_rng(seed)
    out = []
    while sum(map(len, out)) < n:
        out.append(words[rng.integers(0, len(words))])
        out.append(np.array([0]))
    return np.concatenate(out)[:n].astype(np.uint16)


class Codec:
    """Letters a.. map to ids 1..; id 0 is the end of a document."""

    def encode(self, text: str) -> list[int]:
        return [ord(c) - 96 for c in text if "a" <= c <= chr(96 + VOCAB - 1)]

    def decode(self, ids) -> str:
        return "".join("|" if i == 0 else chr(96 + i) for i in ids)


@pytest.fixture(scope="session")
def splits():
    from studio.core.training.data import TokenSplit

    return TokenSplit(corpus(20000, 1)), TokenSplit(corpus(3000, 2))


@pytest.fixture(scope="session")
def trained(splits):
    """(config, tensors) of a 2-layer, 4-head, 64-wide GPT trained on the corpus."""
    import torch

    from studio.core.models.config import GPTConfig
    from studio.core.models.gpt import model_tensors
    from studio.core.training.config import TrainConfig
    from studio.core.training.data import TrainData
    from studio.core.training.trainer import Trainer

    threads = torch.get_num_threads()
    config = GPTConfig(vocab_size=VOCAB, block_size=32, n_layer=2, n_head=4, n_embd=64)
    train = TrainConfig(max_steps=120, batch_size=16, seq_len=32, lr=3e-3, warmup_steps=10, eval_every=1000,
                        seed=3, device="cpu", threads=1)
    trainer = Trainer(config, train, TrainData(splits[0]))
    trainer.run()
    torch.set_num_threads(threads)
    return config, {k: v.clone() for k, v in model_tensors(trainer.model).items()}


@pytest.fixture
def codec():
    return Codec()
