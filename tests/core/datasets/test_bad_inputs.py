"""Every bad input gets a clear message naming the file and the line or byte offset."""

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from studio.core.errors import ValidationError


def fails(run, path, match, **options):
    with pytest.raises(ValidationError) as info:
        run(path, **options)
    message = str(info.value)
    assert str(path) in message or path.name in message, message
    assert match in message, message
    return message


def test_binary_file(tmp_path, run):
    src = tmp_path / "photo.txt"
    src.write_bytes(b"GIF89a" + b"\x00" * 20)
    assert "byte offset 6" in fails(run, src, "binary")


def test_binary_data_late_in_a_big_file_names_its_offset(tmp_path, run):
    src = tmp_path / "late.txt"
    src.write_bytes(b"a" * 3_000_000 + b"\x00")
    assert "byte offset 3000000" in fails(run, src, "binary")


def test_utf16_text_says_what_to_do(tmp_path, run):
    src = tmp_path / "u16.txt"
    src.write_bytes("hello".encode("utf-16"))
    fails(run, src, "UTF-16")


def test_invalid_utf8_fail_names_line_and_offset(tmp_path, run):
    src = tmp_path / "latin1.txt"
    src.write_bytes(b"good line\n\nstill good\nbad \xe9t\xe9\n")
    message = fails(run, src, "invalid UTF-8")
    assert "line 4" in message and "byte offset 26" in message


def test_invalid_utf8_replace_and_skip_are_counted(tmp_path, run):
    src = tmp_path / "latin1.txt"
    src.write_bytes(b"caf\xe9 au lait\n\nfine\n\n\xff\xfe\xfd\n\nalready \xef\xbf\xbd here\n")
    replaced = run(src, utf8_errors="replace")
    assert replaced.texts == ["caf\ufffd au lait", "fine", "\ufffd\ufffd\ufffd", "already \ufffd here"]
    assert replaced.cleaning["replaced_chars"] == 4
    skipped = run(src, utf8_errors="skip")
    assert skipped.texts == ["fine", "already \ufffd here"]
    assert skipped.cleaning["invalid_utf8_skipped"] == 2


def test_invalid_utf8_in_jsonl_and_csv(tmp_path, run):
    src = tmp_path / "d.jsonl"
    src.write_bytes(b'{"text": "ok"}\n{"text": "bad \xff"}\n{"text": "ok too"}\n')
    assert "line 2" in fails(run, src, "invalid UTF-8")
    assert run(src, utf8_errors="skip").texts == ["ok", "ok too"]
    table = tmp_path / "d.csv"
    table.write_bytes(b'text\nok\n"bad \xff\nrow"\nfine\n')
    assert "line 3" in fails(run, table, "invalid UTF-8")
    assert run(table, utf8_errors="skip").texts == ["ok", "fine"]


def test_empty_inputs(tmp_path, run):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    fails(run, empty, "is empty")
    blank = tmp_path / "blank.jsonl"
    blank.write_text("\n\n   \n")
    fails(run, blank, "is empty")
    header_only = tmp_path / "h.csv"
    header_only.write_text("text\n")
    fails(run, header_only, "No documents left")
    folder = tmp_path / "nothing"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"")
    (folder / "b.txt").write_bytes(b"")
    fails(run, folder, "Every file")
    none = tmp_path / "no-known-files"
    none.mkdir()
    (none / "x.bin").write_bytes(b"1")
    fails(run, none, "has no files")


def test_everything_dropped_by_cleaning_says_why(tmp_path, run):
    src = tmp_path / "short.txt"
    src.write_text("a\n\nbb\n\na\n")
    message = fails(run, src, "No documents left", min_chars=5, dedup=True)
    assert "3 shorter than the minimum length" in message


def test_malformed_json_line(tmp_path, run):
    src = tmp_path / "d.jsonl"
    src.write_text('{"text": "ok"}\n{"text": "oops",}\n')
    message = fails(run, src, "not valid JSON")
    assert "line 2, column 17" in message


def test_a_json_array_is_not_json_lines(tmp_path, run):
    src = tmp_path / "d.json"
    src.write_text(json.dumps([{"text": "a"}, {"text": "b"}], indent=1))
    fails(run, src, "one JSON array")


def test_a_json_line_that_is_not_an_object(tmp_path, run):
    src = tmp_path / "d.jsonl"
    src.write_text('{"text": "ok"}\n["a", "b"]\n')
    assert "line 2" in fails(run, src, "not a JSON object")


def test_missing_field(tmp_path, run):
    src = tmp_path / "d.jsonl"
    src.write_text('{"text": "ok"}\n{"txt": "typo"}\n')
    message = fails(run, src, "has no field 'text'")
    assert "line 2" in message and "txt" in message
    fails(run, src, "has no field 'body'", field="body")
    pairs = tmp_path / "p.jsonl"
    pairs.write_text('{"prompt": "q", "answer": "a"}\n')
    fails(run, pairs, "has no field 'response'", prompt_field="prompt", response_field="response")


def test_a_field_of_the_wrong_type(tmp_path, run):
    src = tmp_path / "d.jsonl"
    src.write_text('{"text": "ok"}\n{"text": 42}\n')
    assert "line 2" in fails(run, src, "is a number, not text")
    chat = tmp_path / "c.jsonl"
    chat.write_text('{"messages": [{"role": "user", "content": "hi"}, "not a message"]}\n')
    assert "line 1" in fails(run, chat, "message 2")


def test_cannot_guess_the_text_field(tmp_path, run):
    src = tmp_path / "d.jsonl"
    src.write_text('{"a": "x", "b": "y"}\n')
    fails(run, src, "cannot tell which field holds the text")


def test_csv_with_ragged_rows(tmp_path, run):
    src = tmp_path / "r.csv"
    src.write_text("id,text\n1,fine\n2,has,an,extra,comma\n")
    message = fails(run, src, "has 5 fields but the header has 2")
    assert "line 3" in message


def test_csv_unknown_column_lists_the_columns(tmp_path, run):
    src = tmp_path / "c.csv"
    src.write_text("id,body\n1,x\n")
    assert "id, body" in fails(run, src, "has no field 'text'", field="text")


def test_csv_with_an_unclosed_quote(tmp_path, run):
    src = tmp_path / "q.csv"
    src.write_text('text\n"never closed\nmore\n')
    fails(run, src, "not valid CSV")


def test_parquet_problems(tmp_path, run):
    src = tmp_path / "t.parquet"
    pq.write_table(pa.table({"body": ["a"]}), src)
    fails(run, src, "has no field 'text'", field="text")
    wrong = tmp_path / "n.parquet"
    pq.write_table(pa.table({"text": [1, 2]}), wrong)
    assert "row 1" in fails(run, wrong, "not text")
    fake = tmp_path / "fake.parquet"
    fake.write_text("not parquet at all")
    fails(run, fake, "not a readable Parquet file")
    packed = tmp_path / "t.parquet.gz"
    packed.write_bytes(gzip.compress(src.read_bytes()))
    fails(run, packed, "compressed Parquet")


def test_corrupt_compressed_files(tmp_path, run):
    src = tmp_path / "broken.txt.gz"
    src.write_bytes(gzip.compress(b"hello world " * 1000)[:-30])
    fails(run, src, "gzip")
    zst = tmp_path / "broken.txt.zst"
    zst.write_bytes(b"\x28\xb5\x2f\xfd garbage")
    fails(run, zst, "zstd")


def test_unknown_extension_and_missing_path(tmp_path, run):
    src = tmp_path / "data.xyz"
    src.write_text("x")
    fails(run, src, "extension")
    assert run(src, format="text").texts == ["x"]
    with pytest.raises(ValidationError, match="does not exist"):
        run(tmp_path / "nope.txt")


def test_a_line_longer_than_the_longest_document(tmp_path, run):
    src = tmp_path / "long.jsonl"
    src.write_bytes(b'{"text": "' + b"x" * (1 << 20) + b'"}\n')
    assert "line 1" in fails(run, src, "longer than 1 MB", max_document_mb=1)


def test_bad_options_are_refused_before_reading(tmp_path, run):
    src = tmp_path / "a.txt"
    src.write_text("x")
    for options, match in [
        ({"split": (0.5, 0.2, 0.2)}, "add up to"), ({"split": (0.0, 0.5, 0.5)}, "train split"),
        ({"tokenizer": "bpe", "vocab_size": 10}, "out of range"), ({"min_chars": -1}, "negative"),
        ({"field": "a", "prompt_field": "p", "response_field": "r"}, "either"),
        ({"prompt_field": "p"}, "both"), ({"utf8_errors": "ignore"}, "policy"),
        ({"tokenizer": str(tmp_path / "nope.json")}, "does not exist"),
    ]:
        with pytest.raises(ValidationError, match=match):
            run(src, **options)
