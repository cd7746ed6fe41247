"""`studio dataset ...` as a user runs it: separate processes over one data folder."""

import json

from studio.core.datasets.sample import sample_qa_path
from tests.e2e.test_cli import studio


def test_import_list_show_rename_tag_delete(data_dir, tmp_path):
    src = tmp_path / "notes.txt"
    src.write_text("\n\n".join(f"note {i}: buy {i} apples" for i in range(300)))
    made = studio("dataset", "import", str(src), "--name", "notes", "--tokenizer", "char", "--split", "0.8,0.1,0.1",
                  "--seed", "5", "--min-chars", "3", "--dedup", "--tag", "demo", "--json", data_dir=data_dir)
    assert made.returncode == 0, made.stderr
    info = json.loads(made.stdout)
    assert (info["name"], info["tokenizer"], info["documents"], info["tags"]) == ("notes", "char", 300, ["demo"])
    assert [s["documents"] for s in info["stats"]["splits"]] and info["options"]["seed"] == 5

    qa = studio("dataset", "import", str(sample_qa_path()), "--name", "qa", "--tokenizer", "byte", data_dir=data_dir)
    assert qa.returncode == 0, qa.stderr
    assert "prompt/response" in qa.stdout and "train" in qa.stdout

    listed = json.loads(studio("dataset", "list", "--json", data_dir=data_dir).stdout)
    assert [d["name"] for d in listed] == ["notes", "qa"]
    assert "stats" not in listed[0]
    table = studio("dataset", "list", data_dir=data_dir).stdout
    assert "notes" in table and "char" in table and "300" in table

    assert studio("dataset", "rename", "notes", "shopping", data_dir=data_dir).returncode == 0
    tagged = json.loads(studio("dataset", "tag", "shopping", "a", "b", "--json", data_dir=data_dir).stdout)
    assert tagged["tags"] == ["a", "b"]
    shown = studio("dataset", "show", str(info["id"]), data_dir=data_dir)
    assert "dataset 1: shopping" in shown.stdout and "tokens per document" in shown.stdout

    deleted = studio("dataset", "delete", "shopping", "--json", data_dir=data_dir)
    assert json.loads(deleted.stdout) == {"deleted": info["id"], "name": "shopping"}
    again = studio("dataset", "delete", "shopping", data_dir=data_dir)
    assert again.returncode == 1 and again.stderr.count("\n") == 1 and "no dataset 'shopping'" in again.stderr


def test_bad_input_is_one_line_on_stderr_and_nothing_is_left(data_dir, tmp_path):
    src = tmp_path / "bad.jsonl"
    src.write_text('{"text": "fine"}\n{"text": "broken"\n')
    result = studio("dataset", "import", str(src), "--name", "bad", "--tokenizer", "byte", data_dir=data_dir)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "bad.jsonl, line 2" in result.stderr and "not valid JSON" in result.stderr
    assert list((data_dir / "datasets").iterdir()) == []
    usage = studio("dataset", "import", str(src), data_dir=data_dir)  # --name is required
    assert usage.returncode == 2 and "--name" in usage.stderr
