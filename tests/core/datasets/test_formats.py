"""Every source format, read through the whole import."""

import csv
import gzip
import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from studio.core.datasets.arrays import open_arrays
from studio.core.datasets.storage import PlainStorage


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_text_file_paragraphs_are_documents(tmp_path, run):
    src = tmp_path / "a.txt"
    src.write_text("First para\nstill first.\n\n\n  \nSecond.\r\n\r\nThird\n", encoding="utf-8")
    got = run(src)
    assert got.texts == ["First para\nstill first.", "Second.", "Third"]
    assert [got.reader.origin(i) for i in range(3)] == ["a.txt:1", "a.txt:6", "a.txt:8"]


def test_text_lines_and_whole_files(tmp_path, run):
    src = tmp_path / "a.md"
    src.write_text("# one\ntwo\n\nthree\n", encoding="utf-8")
    assert run(src, text_unit="line").texts == ["# one", "two", "three"]
    assert run(src, text_unit="file").texts == ["# one\ntwo\n\nthree\n"]


def test_a_folder_is_read_recursively_in_order_with_globs(tmp_path, run):
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / "b.txt").write_text("bee", encoding="utf-8")
    (root / "a.md").write_text("ay", encoding="utf-8")
    (root / "sub" / "c.txt").write_text("sea", encoding="utf-8")
    (root / "skip.log").write_text("not text", encoding="utf-8")
    (root / ".hidden.txt").write_text("hidden", encoding="utf-8")
    (root / "image.png").write_bytes(b"\x89PNG\x00\x00")
    assert run(root).texts == ["ay", "bee", "sea"]  # one document per file
    assert run(root, include=("*.txt",)).texts == ["bee", "sea"]
    assert run(root, exclude=("sub/*",)).texts == ["ay", "bee"]
    assert run(root, include=("*.log",), format="text").texts == ["not text"]


@pytest.mark.parametrize("suffix", [".gz", ".zst"])
def test_compressed_inputs_are_read_transparently(tmp_path, run, suffix):
    data = "\n\n".join(f"paragraph {i} " + "x" * (i % 50) for i in range(3000)).encode()
    src = tmp_path / f"big.txt{suffix}"
    src.write_bytes(gzip.compress(data) if suffix == ".gz" else zstandard.ZstdCompressor().compress(data))
    got = run(src)
    assert len(got.texts) == 3000
    assert got.texts[1234] == "paragraph 1234 " + "x" * (1234 % 50)
    lines = tmp_path / f"rows.jsonl{suffix}"
    body = "".join(json.dumps({"text": f"row {i}"}) + "\n" for i in range(10)).encode()
    lines.write_bytes(gzip.compress(body) if suffix == ".gz" else zstandard.ZstdCompressor().compress(body))
    assert run(lines).texts == [f"row {i}" for i in range(10)]


def test_jsonl_text_field_chosen_or_guessed(tmp_path, run):
    src = write_jsonl(tmp_path / "d.jsonl", [{"id": 1, "body": "alpha"}, {"id": 2, "body": "beta"}])
    assert run(src, field="body").texts == ["alpha", "beta"]
    assert run(src).texts == ["alpha", "beta"]  # "body" is a known text key
    assert run(src).result.fields == "field 'body'"


def test_jsonl_prompt_response_pairs_keep_a_loss_mask(tmp_path, run):
    src = write_jsonl(tmp_path / "sft.jsonl", [
        {"q": "2+2?", "a": "4"}, {"q": "Capital of France?", "a": "Paris"},
    ])
    got = run(src, prompt_field="q", response_field="a")
    assert got.result.kind == "sft"
    assert got.parts == [["2+2?\n", "4"], ["Capital of France?\n", "Paris"]]
    arrays = open_arrays(PlainStorage(), got.folder, 1, "t")
    tokens, mask = arrays.train, arrays.train_mask
    assert mask is not None and len(mask) == len(tokens)
    # byte tokenizer: "2+2?\n" (5 prompt bytes, not learned), "4" learned, EOS learned
    assert mask[:7].tolist() == [0, 0, 0, 0, 0, 1, 1]
    assert tokens[:7].tolist() == [*b"2+2?\n4", 256]
    learned = bytes(int(t) for t, m in zip(tokens, mask, strict=True) if m and t != 256)
    assert learned == b"4Paris"


def test_alpaca_style_records_are_recognised(tmp_path, run):
    src = write_jsonl(tmp_path / "alpaca.jsonl", [
        {"instruction": "Translate", "input": "chat", "output": "cat"},
        {"instruction": "Say hi", "input": "", "output": "hi"},
    ])
    assert run(src).parts == [["Translate\nchat\n", "cat"], ["Say hi\n", "hi"]]


def test_chat_messages_learn_only_the_assistant_turns(tmp_path, run):
    src = write_jsonl(tmp_path / "chat.jsonl", [
        {"messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "Bye"},
            {"role": "assistant", "content": "See you."},
        ]},
        {"conversations": None, "messages": [{"from": "human", "value": "ping"}, {"from": "gpt", "value": "pong"}]},
    ])
    got = run(src)
    assert got.parts[0] == ["system: Be brief.\nuser: Hi\nassistant: ", "Hello!\n", "user: Bye\nassistant: ",
                            "See you.\n", ""]
    assert got.parts[1] == ["user: ping\nassistant: ", "pong\n", ""]
    arrays = open_arrays(PlainStorage(), got.folder, 1, "t")
    learned = bytes(int(t) for t, m in zip(arrays.train, arrays.train_mask, strict=True) if m and t != 256)
    assert learned == b"Hello!\nSee you.\npong\n"
    spans = got.reader.token_spans(1)
    answer = got.reader.text(1).index("pong\n")
    assert {s.learned for s in spans if s.start >= answer} == {True}
    assert {s.learned for s in spans if s.end <= answer} == {False}


@pytest.mark.parametrize("delimiter,suffix", [(",", ".csv"), ("\t", ".tsv")])
def test_csv_and_tsv_columns(tmp_path, run, delimiter, suffix):
    src = tmp_path / f"t{suffix}"
    with open(src, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL if delimiter == "," else csv.QUOTE_NONE)
        w.writerow(["id", "text", "label"])
        w.writerow(["1", "first, with a comma" if delimiter == "," else "first", "a"])
        w.writerow(["2", "second", "b"])
    got = run(src)
    assert got.texts == ["first, with a comma" if delimiter == "," else "first", "second"]
    assert got.reader.origin(1) == f"t{suffix}:3"
    assert run(src, field="label").texts == ["a", "b"]


def test_csv_quoted_newlines_and_prompt_response(tmp_path, run):
    src = tmp_path / "pairs.csv"
    src.write_text('prompt,response\n"multi\nline",yes\nq2,"a ""quoted"" answer"\n', encoding="utf-8")
    got = run(src)
    assert got.parts == [["multi\nline\n", "yes"], ["q2\n", 'a "quoted" answer']]
    assert got.reader.origin(1) == "pairs.csv:4"


def test_parquet_text_and_chat(tmp_path, run):
    src = tmp_path / "t.parquet"
    pq.write_table(pa.table({"text": ["one", None, "three"], "n": [1, 2, 3]}), src, row_group_size=2)
    got = run(src)
    assert got.texts == ["one", "three"]
    assert got.cleaning["empty"] == 1
    assert got.reader.origin(1) == "t.parquet, row 3"
    chat = tmp_path / "c.parquet"
    pq.write_table(pa.table({"messages": [[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]]}), chat)
    assert run(chat).parts == [["user: hi\nassistant: ", "yo\n", ""]]


def test_a_folder_of_mixed_formats_with_one_field(tmp_path, run):
    root = tmp_path / "mixed"
    root.mkdir()
    write_jsonl(root / "a.jsonl", [{"text": "from jsonl"}])
    (root / "b.csv").write_text("text\nfrom csv\n", encoding="utf-8")
    pq.write_table(pa.table({"text": ["from parquet"]}), root / "c.parquet")
    (root / "d.txt").write_text("from text", encoding="utf-8")
    got = run(root)
    assert got.texts == ["from jsonl", "from csv", "from parquet", "from text"]
    assert got.result.formats == ("csv", "jsonl", "parquet", "text")


def test_big_input_streams_through_small_blocks(tmp_path, run):
    src = tmp_path / "many.txt"
    src.write_text("\n".join(f"line number {i}" for i in range(20_000)), encoding="utf-8")
    got = run(src, text_unit="line", block_bytes=4096)
    assert got.reader.store.blocks > 50
    assert len(got.texts) == 20_000 and got.texts[-1] == "line number 19999"
    tokens = np.fromfile(got.folder / "train.tokens", dtype=np.uint16)
    assert bytes(tokens[tokens != 256].astype(np.uint8)).decode() == "".join(f"line number {i}" for i in range(20_000))
