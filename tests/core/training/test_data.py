import numpy as np
import pytest

from studio.core.errors import ValidationError
from studio.core.training.data import BatchSampler, TokenSplit, TrainData


def test_windows_are_shifted_by_one_and_the_mask_hides_targets():
    tokens = np.arange(100, dtype=np.uint32)
    mask = (np.arange(100) % 3 != 0).astype(np.uint8)
    x, y = BatchSampler(TokenSplit(tokens, mask), 5, 8, seed=0).next_numpy()
    assert x.shape == y.shape == (5, 8) and x.dtype == np.int64
    for row_x, row_y in zip(x, y, strict=True):
        assert (np.diff(row_x) == 1).all()
        expected = row_x + 1
        assert ((row_y == expected) | (row_y == -1)).all()
        assert ((row_y == -1) == (expected % 3 == 0)).all()


def test_sampler_state_continues_with_the_same_batches():
    split = TokenSplit(np.arange(1000, dtype=np.uint16))
    a = BatchSampler(split, 4, 16, seed=[1, 0])
    a.next_numpy()
    saved = a.state()
    expected = [a.next_numpy()[0] for _ in range(3)]
    b = BatchSampler(split, 4, 16, seed=[9, 9])
    b.load_state(saved)
    assert all((e == b.next_numpy()[0]).all() for e in expected) and b.drawn == 4


def test_memmap_splits_work(tmp_path):
    path = tmp_path / "train.bin"
    np.arange(500, dtype=np.uint16).tofile(path)
    split = TokenSplit(np.memmap(path, dtype=np.uint16, mode="r"))
    x, _ = BatchSampler(split, 2, 10, seed=0).next_numpy()
    assert (np.diff(x, axis=1) == 1).all()
    assert split.max_token(chunk=64) == 499


def test_unusable_data_is_a_clear_error():
    with pytest.raises(ValidationError, match="loss mask has 3 entries"):
        TokenSplit(np.arange(10, dtype=np.uint16), np.ones(3, dtype=np.uint8))
    with pytest.raises(ValidationError, match="different tokenizer"):
        TrainData(TokenSplit(np.arange(100, dtype=np.uint16))).check(vocab_size=50, seq_len=8)
    with pytest.raises(ValidationError, match="fewer than one window"):
        TrainData(TokenSplit(np.arange(5, dtype=np.uint16))).check(vocab_size=50, seq_len=8)
