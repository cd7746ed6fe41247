"""`studio vault ...` end to end, with real logins: most tests run the verbs in this process (main(argv), at
the tests' low Argon2id cost) as users made with `studio init` and `studio users add`; one runs the real
command in a separate process."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import save_file

from tests.conftest import TEST_PASSWORD
from tests.e2e.cli_runner import cli_with_users
from tests.e2e.test_cli import studio as run_process

OTHER = "Harbor-Secret-4471"


@pytest.fixture
def cli(data_dir, monkeypatch, capsys):
    """`cli(*argv, user="alice", password=..., expect=0)`: run `studio ...` in this process as `user`.
    root (administrator), alice and bob (trainers) and vic (viewer) exist, all with TEST_PASSWORD."""
    return cli_with_users(data_dir, monkeypatch, capsys)


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "tiny.safetensors"
    save_file({"w": torch.arange(12.0).reshape(3, 4), "b": torch.ones(4)}, str(path))
    return path


def test_import_list_show_versions_export_verify(cli, model_file, tmp_path):
    out, _ = cli("vault", "import", str(model_file), "--name", "tiny", "--tag", "demo", "--notes", "first")
    assert "imported tiny version 1" in out
    out, _ = cli("vault", "list")
    assert "tiny" in out and "demo" in out and "NAME" in out and "alice" in out
    models = json.loads(cli("vault", "list", "--json")[0])
    assert [m["name"] for m in models] == ["tiny"] and models[0]["latest"]["parameter_count"] == 16
    shown = json.loads(cli("vault", "show", "tiny", "--json")[0])
    alice_id = models[0]["owner_id"]
    assert shown["model"]["notes"] == "first" and shown["recipients"] == [alice_id]
    cli("vault", "import", str(model_file), "--name", "tiny")
    versions = json.loads(cli("vault", "versions", "tiny", "--json")[0])
    assert [v["number"] for v in versions] == [1, 2]
    out_file = tmp_path / "out.safetensors"
    cli("vault", "export", "tiny", str(out_file), "--version", "1")
    assert out_file.read_bytes() == model_file.read_bytes()
    cli("vault", "export", "tiny", str(tmp_path / "hf"), "--format", "hf", "--json")
    assert (tmp_path / "hf" / "tiny.safetensors").is_file()
    report = json.loads(cli("vault", "verify", "--json")[0])
    assert report["ok"] and report["files"] == 2
    assert json.loads(cli("vault", "rotate", "tiny", "--json")[0]) == {"rotated": 2}
    out, _ = cli("audit", "list", "--action", "model.export", "--json", user="root")
    assert [(e["actor"], e["outcome"]) for e in json.loads(out)] == [("alice", "allowed")] * 2


def test_verify_names_a_damaged_file_and_exits_non_zero(cli, model_file, data_dir):
    cli("vault", "import", str(model_file), "--name", "tiny")
    blob = next((data_dir / "vault" / "blobs").iterdir())
    data = bytearray(blob.read_bytes())
    data[-3] ^= 1
    blob.write_bytes(data)
    out, _ = cli("vault", "verify", "tiny", expect=1)
    assert "DAMAGED  tiny v1 tiny.safetensors" in out


def test_share_bundle_unbundle_revoke_delete(cli, model_file, tmp_path):
    cli("vault", "import", str(model_file), "--name", "tiny")
    out, _ = cli("vault", "share", "tiny", "--with", "bob")
    assert "bob may now use tiny: 1 key(s)" in out
    assert "tiny" in cli("vault", "list", user="bob")[0]
    out, _ = cli("vault", "revoke", "tiny", "--from", "bob")
    assert "no longer holds grants or keys" in out
    assert "tiny" not in cli("vault", "list", user="bob")[0]
    bundle = tmp_path / "tiny.msbundle"
    info = json.loads(cli("vault", "bundle", "tiny", str(bundle), "--to", "bob", "--json")[0])
    assert info["entries"] == 2
    _, err = cli("vault", "unbundle", str(bundle), "--name", "stolen", expect=1)
    assert "not for yours" in err
    out, _ = cli("vault", "unbundle", str(bundle), "--name", "from-alice", user="bob")
    assert "imported from-alice version 1" in out
    key = json.loads(cli("vault", "key", "--json", user="bob")[0])
    assert key["fingerprint"] == info["recipient_fingerprint"] and len(key["public_key"]) == 64
    _, err = cli("vault", "delete", "tiny", expect=1)  # stdin is not a terminal: --yes is required
    assert "--yes" in err
    cli("vault", "delete", "tiny", "--yes")
    assert json.loads(cli("vault", "list", "--json")[0]) == []


def test_grants_decide_who_exports(cli, model_file, tmp_path):
    cli("vault", "import", str(model_file), "--name", "tiny")
    model_id = json.loads(cli("vault", "list", "--json")[0])[0]["id"]
    cli("grants", "add", "vic", f"model:{model_id}", "use")  # the accounts' verb: the same as vault share
    assert "tiny" in cli("vault", "show", "tiny", user="vic")[0]
    _, err = cli("vault", "export", "tiny", str(tmp_path / "v.safetensors"), user="vic", expect=4)
    assert "vic may not do model.export" in err and err.count("\n") == 1
    _, err = cli("vault", "delete", "tiny", "--yes", user="vic", expect=4)
    _, err = cli("vault", "share", "tiny", "--with", "vic", "--permission", "export", expect=1)
    assert "viewer can only be given 'use'" in err
    cli("vault", "share", "tiny", "--with", "bob", "--permission", "export")
    cli("vault", "export", "tiny", str(tmp_path / "b.safetensors"), user="bob")
    assert not (tmp_path / "v.safetensors").exists() and (tmp_path / "b.safetensors").is_file()
    out, _ = cli("audit", "list", "--action", "model.", "--outcome", "denied", "--json", user="root")
    assert sorted((e["actor"], e["action"]) for e in json.loads(out)) == [("vic", "model.delete"),
                                                                           ("vic", "model.export")]


def test_errors_are_one_line_and_non_zero(cli, tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 4)
    _, err = cli("vault", "import", str(bad), expect=1)
    assert err.count("\n") == 1 and "not a valid safetensors file" in err
    _, err = cli("vault", "show", "nothing", expect=1)
    assert "No model 'nothing'" in err
    _, err = cli("vault", "import", str(bad), user="vic", expect=4)  # a viewer imports nothing
    assert "viewer role may not" in err


def test_the_real_command_needs_a_login(data_dir, model_file):
    """A separate process at production Argon2id cost: nobody, or a wrong password, gets nothing."""
    env = {"STUDIO_PASSWORD": TEST_PASSWORD}
    assert run_process("init", "--admin", "root", data_dir=data_dir, env=env).returncode == 0
    for argv, environ, text in (
        (["vault", "list"], env, "Say who you are"),
        (["vault", "import", str(model_file), "--user", "root"], {"STUDIO_PASSWORD": "Wrong-Password-0"},
         "Wrong user name or password"),
    ):
        result = run_process(*argv, data_dir=data_dir, env=environ)
        assert result.returncode == 5 and text in result.stderr, result.stderr
    assert not list((data_dir / "vault" / "blobs").iterdir())
    result = run_process("vault", "import", str(model_file), "--name", "tiny", "--user", "root", data_dir=data_dir,
                         env=env)
    assert result.returncode == 0 and "imported tiny version 1" in result.stdout, result.stderr
