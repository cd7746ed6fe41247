"""EncryptedStorage gives the same dataset as PlainStorage: the same arrays, documents, statistics and
preview, with tiny chunks so that every read crosses chunk boundaries (also reading blocks back while the
document text is still being written, which tokenizing in worker processes does)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from studio.core.datasets.arrays import open_arrays
from studio.core.datasets.encrypted import DatasetKey, EncryptedRecordWriter, EncryptedStorage
from studio.core.datasets.importer import run_import
from studio.core.datasets.options import ImportOptions
from studio.core.datasets.preview import DatasetReader
from studio.core.datasets.storage import PlainStorage
from studio.core.tasks import TaskState
from studio.core.vault import stream


def key(chunk_size=64):
    return DatasetKey(stream.new_data_key(), os.urandom(16), os.urandom(16), 0, chunk_size)


def tokenizer_file(tmp_path, src) -> str:
    """A plain tokenizer.json (a BPE trained on `src`), for the "your own tokenizer" path."""
    folder = tmp_path / "bpe"
    folder.mkdir()
    run_import(ImportOptions(path=str(src), name="t", tokenizer="bpe", vocab_size=300).checked(), folder,
               PlainStorage(), TaskState())
    path = tmp_path / "tokenizer.json"
    path.write_bytes((folder / "tokenizer.json").read_bytes())
    return str(path)


@pytest.mark.parametrize("tokenizer,workers", [("byte", None), ("char", None), ("bpe", 2), ("file", 2)])
def test_encrypted_and_plain_imports_hold_the_same_dataset(tmp_path, tokenizer, workers, monkeypatch):
    src = tmp_path / "c.txt"
    src.write_text("\n\n".join(f"Doc {i}: caf\u00e9 {'word ' * (i % 17)} end {i * 31 % 97}." for i in range(5000)))
    if tokenizer == "file":  # ready from the start: blocks are tokenized (and read back) while reading goes on
        tokenizer = tokenizer_file(tmp_path, src)
    read_back = []
    original = EncryptedRecordWriter._read_written

    def spy(writer, start, end):
        read_back.append(writer._fh.closed)
        return original(writer, start, end)

    monkeypatch.setattr(EncryptedRecordWriter, "_read_written", spy)
    out = []
    for name, storage in (("plain", PlainStorage()), ("enc", EncryptedStorage(key()))):
        folder = tmp_path / name
        folder.mkdir()
        opts = ImportOptions(path=str(src), name="t", tokenizer=tokenizer, vocab_size=300, seed=3).checked()
        result = run_import(opts, folder, storage, TaskState(), block_bytes=700, workers=workers)
        out.append((storage, folder, result))
    (ps, pf, pr), (es, ef, er) = out
    assert pr.stats["splits"] == er.stats["splits"] and pr.stats["top_tokens"] == er.stats["top_tokens"]
    pa, ea = open_arrays(ps, pf, 1, "t"), open_arrays(es, ef, 1, "t")
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(pa.split(split), ea.split(split))
    assert pa.tokenizer_json == ea.tokenizer_json
    p_reader, e_reader = DatasetReader(ps, pf), DatasetReader(es, ef)
    try:
        assert len(p_reader) == len(e_reader) == 5000
        for i in (0, 1, 733, 4999):
            assert p_reader.row(i) == e_reader.row(i) and p_reader.text(i) == e_reader.text(i)
            assert p_reader.token_spans(i) == e_reader.token_spans(i)
        np.testing.assert_array_equal(p_reader.token_lengths(), e_reader.token_lengths())
    finally:
        p_reader.close()
        e_reader.close()
    assert all(p.read_bytes()[:8] == b"\x93MSVAULT" for p in ef.iterdir())
    if workers:  # blocks were read back from the encrypted text, also while it was still being written
        assert read_back and (False in read_back or tokenizer == "bpe")


def test_prompt_response_masks_survive_encryption(tmp_path):
    src = tmp_path / "p.jsonl"
    src.write_text("".join(f'{{"prompt": "q{i}?", "response": "answer {i}"}}\n' for i in range(300)))
    storage = EncryptedStorage(key(48))
    folder = tmp_path / "e"
    folder.mkdir()
    run_import(ImportOptions(path=str(src), name="t", tokenizer="byte").checked(), folder, storage, TaskState(), 500)
    arrays = open_arrays(storage, folder, 1, "t")
    assert arrays.has_masks and len(arrays.train_mask) == len(arrays.train) and 0 < arrays.train_mask.mean() < 1
    reader = DatasetReader(storage, folder)
    try:
        assert reader.sft and reader.store.parts(0) == ["q0?\n", "answer 0"]
    finally:
        reader.close()


def test_a_swapped_file_does_not_open(tmp_path):
    src = tmp_path / "c.txt"
    src.write_text("\n\n".join(f"line {i}" for i in range(100)))
    storage = EncryptedStorage(key())
    folder = tmp_path / "e"
    folder.mkdir()
    run_import(ImportOptions(path=str(src), name="t", tokenizer="byte", split=(0.5, 0.5, 0.0)).checked(), folder,
               storage, TaskState())
    (folder / "train.tokens").write_bytes((folder / "val.tokens").read_bytes())  # each file is bound to its name
    with pytest.raises(Exception, match="train.tokens is damaged or was replaced"):
        open_arrays(storage, folder, 1, "t")
