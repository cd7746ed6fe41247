"""Tokenizing in worker processes: the message format, order, failures and stopping."""

import io

import numpy as np
import pytest

from studio.core.datasets.encode import BlockEncoder, encode_block, read_message, write_message
from studio.core.datasets.tokenizers import train_bpe
from studio.core.errors import StudioError


@pytest.fixture(scope="module")
def bpe():
    return train_bpe(["the cat sat on the mat", "a dog, a log; 42 frogs!"] * 50, 320)


def test_messages_round_trip():
    buffer = io.BytesIO()
    write_message(buffer, {"text": "héllo".encode(), "ids": np.arange(5, dtype=np.uint16), "none": None,
                           "empty": np.zeros(0, np.int64)})
    write_message(buffer, {"x": np.array([1.5])})
    buffer.seek(0)
    first = read_message(buffer)
    assert first["text"].decode() == "héllo" and first["ids"].dtype == np.uint16
    assert first["ids"].tolist() == [0, 1, 2, 3, 4] and first["none"] is None and len(first["empty"]) == 0
    assert read_message(buffer)["x"].tolist() == [1.5]
    assert read_message(buffer) is None


def blocks(n):
    for i in range(n):
        docs = [f"block {i} doc {j}: the cat sat on the mat" * (j + 1) for j in range(5)]
        yield i, ("".join(docs), np.array([len(d) for d in docs]))


def test_workers_answer_in_order_like_this_process(bpe):
    encoder = BlockEncoder(bpe, workers=2)
    try:
        pooled = list(encoder.encode(blocks(12)))
    finally:
        encoder.close()
    assert [k for k, _ in pooled] == list(range(12))
    for (_, args), (_, (flat, lengths, mask)) in zip(blocks(12), pooled, strict=True):
        here = encode_block(bpe, *args)
        assert flat.tolist() == here[0].tolist() and lengths.tolist() == here[1].tolist() and mask is None


def test_stopping_early_kills_the_workers(bpe):
    encoder = BlockEncoder(bpe, workers=2)
    procs = [w.proc for w in encoder.workers]
    stream = encoder.encode(blocks(50))
    next(stream)
    encoder.close()
    assert all(p.poll() is not None for p in procs)


def test_a_failing_worker_is_reported(bpe):
    encoder = BlockEncoder(bpe, workers=1 + 1)
    try:
        encoder.workers[0].jobs.put({"text": b"\xff\xfe", "chars": np.array([2]), "seg_lens": None, "nseg": None})
        with pytest.raises(StudioError, match="worker process stopped.*UnicodeDecodeError"):
            encoder.workers[0].result()
    finally:
        encoder.close()


def test_the_tokenizer_worker_is_the_hidden_verb_from_source_and_frozen(bpe, monkeypatch):
    """A frozen build has no `python -c`: the worker is `<app> tokenize-worker`; from source the same verb,
    `python -P -m studio tokenize-worker` (cheap: hidden verbs skip the CLI), and big BPE imports use workers."""
    import os
    import sys

    from studio.core.datasets import encode

    assert encode.worker_command() == [sys.executable, "-P", "-m", "studio", "tokenize-worker"]
    with monkeypatch.context() as frozen:
        frozen.setattr(sys, "frozen", True, raising=False)
        frozen.setattr(sys, "executable", "/opt/model-studio/studio")
        assert encode.worker_command() == ["/opt/model-studio/studio", "tokenize-worker"]
    monkeypatch.delenv(encode.WORKERS_ENV, raising=False)
    assert encode.choose_workers("bpe", 2 * encode.PARALLEL_MIN_CHARS) == max(1, min(os.cpu_count() or 1, 4))
    encoder = BlockEncoder(bpe, workers=2)
    try:
        pooled = list(encoder.encode(blocks(4)))
    finally:
        encoder.close()
    for (_, args), (_, (flat, _, _)) in zip(blocks(4), pooled, strict=True):
        assert flat.tolist() == encode_block(bpe, *args)[0].tolist()
