import numpy as np
import pytest

from studio.core.datasets.splits import SplitAssigner, fill_empty_splits


def test_cleaning_options_are_applied_and_counted(tmp_path, run):
    src = tmp_path / "c.txt"
    decomposed = "cafe\u0301"  # e + combining acute: NFC makes it one character
    src.write_text(
        f"{decomposed} one\n\nbell\x07 and\x00 nul\x1b\n\nhi\n\nrepeat me\n\nrepeat me\n\n  \t \n\nlong enough\n",
        encoding="utf-8", newline="",
    )
    src.write_bytes(src.read_bytes().replace(b"\x00", b""))  # a NUL would make the file binary
    got = run(src, min_chars=3, dedup=True)
    assert got.texts == ["caf\u00e9 one", "bell and nul", "repeat me", "long enough"]
    c = got.cleaning
    assert (c["normalized_documents"], c["control_chars_removed"], c["short_dropped"], c["duplicates_dropped"]) == (1, 2, 1, 1)
    assert c["empty"] == 0  # blank lines with spaces only separate paragraphs
    records = tmp_path / "r.jsonl"
    records.write_text('{"text": "  \\t "}\n{"text": ""}\n{"text": null}\n{"text": "x"}\n')
    assert run(records).cleaning["empty"] == 3
    kept = run(src, normalize=False, strip_control=False, min_chars=0)
    assert kept.texts[:2] == [f"{decomposed} one", "bell\x07 and nul\x1b"]
    assert kept.texts.count("repeat me") == 2


def test_windows_line_ends_become_newlines(tmp_path, run):
    src = tmp_path / "w.txt"
    src.write_bytes(b"one\r\ntwo\r\n\r\nthree\r\n")
    assert run(src).texts == ["one\ntwo", "three"]


def test_an_oversized_document_is_cut_at_a_line_break(tmp_path, run):
    src = tmp_path / "huge.txt"
    line = "y" * 999 + "\n"
    src.write_text(line * 2500, encoding="utf-8")  # 2.5 MB, one "file" document
    got = run(src, text_unit="file", max_document_mb=1)
    assert [len(t) for t in got.texts] == [1_048_000, 1_048_000, 404_000]
    assert all(t.endswith("\n") for t in got.texts)
    assert got.cleaning["oversized_split"] == 2


def test_split_assignment_follows_ratios_and_seed():
    def draw(seed):
        assigner = SplitAssigner((0.8, 0.1, 0.1), seed)
        return [assigner.next() for _ in range(10_000)]

    a, b, c = draw(7), draw(7), draw(8)
    assert a == b and a != c
    counts = np.bincount(a, minlength=3) / len(a)
    assert counts == pytest.approx([0.8, 0.1, 0.1], abs=0.015)


def test_small_datasets_still_get_validation_and_test_documents():
    assigned = np.zeros(5, dtype=np.uint8)
    moves = fill_empty_splits(assigned, (0.9, 0.05, 0.05))
    assert assigned.tolist() == [0, 0, 0, 2, 1] and moves == [(4, 1), (3, 2)]
    assigned = np.zeros(1, dtype=np.uint8)
    assert fill_empty_splits(assigned, (0.9, 0.05, 0.05)) == [] and assigned.tolist() == [0]
    assigned = np.zeros(4, dtype=np.uint8)
    assert fill_empty_splits(assigned, (1.0, 0.0, 0.0)) == []
    assigned = np.array([1, 2, 1], dtype=np.uint8)  # nothing drew "train"
    assert fill_empty_splits(assigned, (0.9, 0.05, 0.05)) == [(0, 0)] and assigned.tolist() == [0, 2, 1]


@pytest.mark.parametrize("tokenizer", ["byte", "char", "bpe"])
def test_the_same_inputs_and_seed_give_byte_identical_arrays(tmp_path, run, tokenizer):
    src = tmp_path / "d.txt"
    src.write_text("\n\n".join(f"document {i}: " + "lorem ipsum " * (i % 7) for i in range(600)))
    options = dict(tokenizer=tokenizer, vocab_size=320, split=(0.8, 0.1, 0.1), seed=42, block_bytes=2048)
    first, second = run(src, **options), run(src, **options)
    other_seed = run(src, **{**options, "seed": 43})
    names = ["train.tokens", "val.tokens", "test.tokens", "tokenizer.json", "docs.split", "docs.index", "docs.tokens"]
    for name in names:
        assert (first.folder / name).read_bytes() == (second.folder / name).read_bytes(), name
    assert (first.folder / "docs.split").read_bytes() != (other_seed.folder / "docs.split").read_bytes()
    per_split = {s["name"]: s["documents"] for s in first.result.stats["splits"]}
    assert per_split["train"] > 400 and per_split["val"] > 30 and per_split["test"] > 30
    assert sum(per_split.values()) == 600


def test_documents_go_whole_to_one_split_with_their_token_positions(tmp_path, run):
    src = tmp_path / "d.txt"
    src.write_text("\n\n".join(f"doc{i} " * (1 + i % 4) for i in range(200)))
    got = run(src, split=(0.6, 0.2, 0.2), seed=3, block_bytes=512)
    store = got.reader.store
    arrays = {s: np.fromfile(got.folder / f"{s}.tokens", dtype=np.uint16) for s in ("train", "val", "test")}
    for i in range(len(store)):
        split = ("train", "val", "test")[store.splits[i]]
        start, count = int(store.tokens[i]["start"]), int(store.tokens[i]["count"])
        tokens = arrays[split][start:start + count + 1]
        assert tokens[-1] == 256
        assert bytes(tokens[:-1].astype(np.uint8)).decode() == got.texts[i]


@pytest.mark.parametrize("tokenizer,sft", [("bpe", False), ("bpe", True), ("byte", False)])
def test_worker_processes_give_the_same_arrays(tmp_path, run, tokenizer, sft):
    src = tmp_path / ("d.jsonl" if sft else "d.txt")
    if sft:
        src.write_text("".join(f'{{"prompt": "q {i}?", "response": "answer {i * 3}"}}\n' for i in range(400)))
    else:
        src.write_text("\n\n".join(f"paragraph {i}: " + "words and more words " * (i % 5) for i in range(400)))
    options = dict(tokenizer=tokenizer, vocab_size=300, split=(0.8, 0.1, 0.1), block_bytes=1024)
    alone, pooled = run(src, workers=1, **options), run(src, workers=2, **options)
    for name in ("train.tokens", "val.tokens", "test.tokens", "docs.tokens") + (("train.mask",) if sft else ()):
        assert (alone.folder / name).read_bytes() == (pooled.folder / name).read_bytes(), name


@pytest.mark.parametrize("documents", [400, 3])  # 3: the splits are filled at the end, early results dropped
def test_tokenizing_while_reading_gives_the_same_arrays(tmp_path, run, documents):
    from studio.core.datasets.tokenizers import train_bpe

    tokenizer = tmp_path / "tokenizer.json"
    tokenizer.write_text(train_bpe(["words and more words, 12 of them."] * 20, 300).to_json())
    src = tmp_path / "d.txt"
    src.write_text("\n\n".join(f"paragraph {i}: " + "words and more words " * (i % 5) for i in range(documents)))
    options = dict(tokenizer=str(tokenizer), split=(0.8, 0.1, 0.1), block_bytes=512)
    alone, early = run(src, workers=1, **options), run(src, workers=2, **options)
    for name in ("train.tokens", "val.tokens", "test.tokens", "docs.tokens", "docs.split"):
        assert (alone.folder / name).read_bytes() == (early.folder / name).read_bytes(), name
    assert alone.result.stats["splits"] == early.result.stats["splits"]
