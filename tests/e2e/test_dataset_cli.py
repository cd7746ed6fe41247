"""`studio dataset ...` as a user runs it, with real logins: most tests run the verbs in this process
(main(argv), at the tests' low Argon2id cost) as users made with `studio init` and `studio users add`; one
runs the real command in separate processes over one data folder."""

from __future__ import annotations

import json

import pytest

from studio.core.datasets.sample import sample_qa_path
from tests.conftest import TEST_PASSWORD
from tests.e2e.cli_runner import cli_with_users
from tests.e2e.test_cli import studio


@pytest.fixture
def cli(data_dir, monkeypatch, capsys):
    """`cli(*argv, user="alice", expect=0) -> (stdout, stderr)`: run `studio ...` in this process as `user`.
    root (administrator), alice and bob (trainers) and vic (viewer) exist, all with TEST_PASSWORD."""
    return cli_with_users(data_dir, monkeypatch, capsys)


def test_import_list_show_rename_tag_delete(cli, tmp_path):
    src = tmp_path / "notes.txt"
    src.write_text("\n\n".join(f"note {i}: buy {i} apples" for i in range(300)))
    made, _ = cli("dataset", "import", str(src), "--name", "notes", "--tokenizer", "char", "--split", "0.8,0.1,0.1",
                  "--seed", "5", "--min-chars", "3", "--dedup", "--tag", "demo", "--json")
    info = json.loads(made)
    assert (info["name"], info["tokenizer"], info["documents"], info["tags"]) == ("notes", "char", 300, ["demo"])
    assert [s["documents"] for s in info["stats"]["splits"]] and info["options"]["seed"] == 5
    assert info["encrypted"] is True and info["storage_format"] == "vault-v1"  # encrypted at rest by default

    qa, _ = cli("dataset", "import", str(sample_qa_path()), "--name", "qa", "--tokenizer", "byte")
    assert "prompt/response" in qa and "train" in qa

    listed = json.loads(cli("dataset", "list", "--json")[0])
    assert [d["name"] for d in listed] == ["notes", "qa"]
    assert "stats" not in listed[0]
    table = cli("dataset", "list")[0]
    assert "notes" in table and "char" in table and "300" in table and "encrypted" in table

    cli("dataset", "rename", "notes", "shopping")
    tagged = json.loads(cli("dataset", "tag", "shopping", "a", "b", "--json")[0])
    assert tagged["tags"] == ["a", "b"]
    shown = cli("dataset", "show", str(info["id"]))[0]
    assert "dataset 1: shopping" in shown and "tokens per document" in shown
    assert "key holders: alice" in shown

    _, err = cli("dataset", "delete", "shopping", expect=1)  # no terminal to ask: --yes is required
    assert "cannot be undone: add --yes" in err
    assert "shopping" in [d["name"] for d in json.loads(cli("dataset", "list", "--json")[0])]
    deleted = cli("dataset", "delete", "shopping", "--yes", "--json")[0]
    assert json.loads(deleted) == {"deleted": info["id"], "name": "shopping"}
    _, err = cli("dataset", "delete", "shopping", "--yes", expect=1)
    assert err.count("\n") == 1 and "no dataset 'shopping'" in err


def test_grants_on_a_dataset_from_the_command_line(cli, tmp_path):
    src = tmp_path / "diary.txt"
    src.write_text("\n\n".join(f"day {i}: rain again" for i in range(100)))
    info = json.loads(cli("dataset", "import", str(src), "--name", "diary", "--tokenizer", "byte", "--json")[0])
    assert cli("dataset", "list", "--json", user="vic")[0].strip() == "[]"
    cli("grants", "add", "vic", f"dataset:{info['id']}", "use")
    assert [d["name"] for d in json.loads(cli("dataset", "list", "--json", user="vic")[0])] == ["diary"]
    shown = json.loads(cli("dataset", "show", "diary", "--json", user="vic")[0])
    assert shown["key_holders"] == ["alice", "vic"]
    _, err = cli("dataset", "delete", "diary", "--yes", user="vic", expect=4)  # use is not manage
    assert "may not do dataset.delete" in err
    _, err = cli("dataset", "show", str(info["id"]), user="bob", expect=4)  # by id: the policy refuses
    assert "needs the use grant" in err
    _, err = cli("dataset", "show", "diary", user="bob", expect=1)  # by name: none he can see
    assert "There is no dataset 'diary'" in err
    cli("grants", "revoke", "vic", f"dataset:{info['id']}", "use")
    assert cli("dataset", "list", "--json", user="vic")[0].strip() == "[]"


def test_plaintext_and_remove_source(cli, tmp_path, data_dir):
    src = tmp_path / "open.txt"
    src.write_text("\n\n".join(f"public line {i}" for i in range(50)))
    out, _ = cli("dataset", "import", str(src), "--name", "open", "--tokenizer", "byte", "--plaintext",
                 "--remove-source")
    assert "removed the source: 1 file(s)" in out and not src.exists()
    info = json.loads(cli("dataset", "show", "open", "--json")[0])
    assert (info["encrypted"], info["storage_format"], info["key_holders"]) == (False, "plain-v1", [])
    assert "plaintext" in cli("dataset", "list")[0]
    tokens = data_dir / "datasets" / info["storage_key"] / "train.tokens"
    assert b"p\x00u\x00b\x00l\x00i\x00c\x00" in tokens.read_bytes()  # the byte tokenizer's ids, as they are


def test_separate_processes_bad_input_is_one_line_on_stderr_and_nothing_is_left(data_dir, tmp_path):
    env = {"STUDIO_PASSWORD": TEST_PASSWORD}
    made = studio("init", "--admin", "root", data_dir=data_dir, env=env)
    assert made.returncode == 0, made.stderr
    src = tmp_path / "bad.jsonl"
    src.write_text('{"text": "fine"}\n{"text": "broken"\n')
    result = studio("dataset", "import", str(src), "--name", "bad", "--tokenizer", "byte", "--user", "root",
                    data_dir=data_dir, env=env)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "bad.jsonl, line 2" in result.stderr and "not valid JSON" in result.stderr
    assert list((data_dir / "datasets").iterdir()) == []
    usage = studio("dataset", "import", str(src), data_dir=data_dir, env=env)  # --name is required
    assert usage.returncode == 2 and "--name" in usage.stderr
    nobody = studio("dataset", "list", data_dir=data_dir)  # no --user: a clear refusal, exit 5
    assert nobody.returncode == 5 and "--user NAME" in nobody.stderr
