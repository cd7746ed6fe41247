"""`studio vault ...` end to end. The accounts code (issue 3) is not merged yet, so the in-process tests
give the CLI a keyed session and a key directory at its two seams (studio.cli.commands.vault:
_open_studio and actor_from_args); the subprocess test checks what a user gets today: locked."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
from safetensors.torch import save_file

from studio.cli.commands import vault as vault_cli
from studio.cli.main import main
from studio.core.services import Studio
from tests.vault_doubles import FakeDirectory, KeyedSession


@pytest.fixture
def cli(data_dir, monkeypatch, capsys):
    """Run `studio ...` in this process as `alice` (or as whoever `cli.as_user` names)."""
    directory = FakeDirectory()
    directory.add(KeyedSession(1, "admin", "admin"))
    alice = directory.add(KeyedSession(2, "alice", "trainer"))
    directory.add(KeyedSession(3, "bob", "trainer"))
    state = {"user": alice}

    def open_studio(args):
        studio = Studio.open(args.data_dir, log_to_file=False)
        studio.vault.directory = directory
        studio.vault.chunk_size = 1024
        return studio

    monkeypatch.setattr(vault_cli, "_open_studio", open_studio)
    monkeypatch.setattr(vault_cli, "actor_from_args",
                        lambda studio, args: directory.sessions[directory.user_id(args.user)] if args.user else state["user"])

    def run(*argv, expect=0):
        capsys.readouterr()
        code = main(["--data-dir", str(data_dir), *argv])
        captured = capsys.readouterr()
        assert code == expect, captured.out + captured.err
        return captured.out, captured.err

    run.directory = directory
    return run


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "tiny.safetensors"
    save_file({"w": torch.arange(12.0).reshape(3, 4), "b": torch.ones(4)}, str(path))
    return path


def test_import_list_show_versions_export_verify(cli, model_file, tmp_path):
    out, _ = cli("vault", "import", str(model_file), "--name", "tiny", "--tag", "demo", "--notes", "first")
    assert "imported tiny version 1" in out
    out, _ = cli("vault", "list")
    assert "tiny" in out and "demo" in out and "NAME" in out
    models = json.loads(cli("vault", "list", "--json")[0])
    assert [m["name"] for m in models] == ["tiny"] and models[0]["latest"]["parameter_count"] == 16
    shown = json.loads(cli("vault", "show", "tiny", "--json")[0])
    assert shown["model"]["notes"] == "first" and shown["recipients"] == [2]
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
    cli("vault", "share", "tiny", "--with", "bob")
    assert "tiny" in cli("vault", "list", "--user", "bob")[0]
    out, _ = cli("vault", "revoke", "tiny", "--from", "bob")
    assert "no longer holds keys" in out
    assert "tiny" not in cli("vault", "list", "--user", "bob")[0]
    bundle = tmp_path / "tiny.msbundle"
    info = json.loads(cli("vault", "bundle", "tiny", str(bundle), "--to", "bob", "--json")[0])
    assert info["entries"] == 2
    _, err = cli("vault", "unbundle", str(bundle), "--name", "stolen", expect=1)
    assert "not for yours" in err
    out, _ = cli("vault", "unbundle", str(bundle), "--name", "from-alice", "--user", "bob")
    assert "imported from-alice version 1" in out
    _, err = cli("vault", "delete", "tiny", expect=1)  # stdin is not a terminal: --yes is required
    assert "--yes" in err
    cli("vault", "delete", "tiny", "--yes")
    assert json.loads(cli("vault", "list", "--json")[0]) == []


def test_errors_are_one_line_and_non_zero(cli, tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 4)
    _, err = cli("vault", "import", str(bad), expect=1)
    assert err.count("\n") == 1 and "not a valid safetensors file" in err
    _, err = cli("vault", "show", "nothing", expect=1)
    assert "No model 'nothing'" in err


def test_the_cli_refuses_while_nobody_is_logged_in(data_dir, model_file):
    """Today's real CLI: no accounts yet, so the actor holds no key and the vault stays locked."""
    env = dict(os.environ, STUDIO_DATA_DIR=str(data_dir))
    for argv in (["vault", "list"], ["vault", "import", str(model_file)], ["vault", "verify", "--json"]):
        result = subprocess.run([sys.executable, "-m", "studio", *argv], capture_output=True, text=True, env=env,
                                timeout=120)
        assert result.returncode == 4, result.stderr
        assert "The vault is locked" in result.stderr
    assert not list((data_dir / "vault" / "blobs").iterdir())
