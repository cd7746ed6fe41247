"""Running `studio ...` in this process as a user, over a data folder with the usual cast of accounts."""

from __future__ import annotations

import io
import sys

from studio.cli.main import main
from tests.conftest import TEST_PASSWORD


def cli_with_users(data_dir, monkeypatch, capsys):
    """`run(*argv, user="alice", password=TEST_PASSWORD, expect=0) -> (stdout, stderr)`. root (administrator),
    alice and bob (trainers) and vic (viewer) exist, all with TEST_PASSWORD."""
    monkeypatch.setenv("STUDIO_DATA_DIR", str(data_dir))
    monkeypatch.delenv("STUDIO_USER", raising=False)

    def run(*argv, user: str | None = "alice", password: str = TEST_PASSWORD, expect=0):
        monkeypatch.setenv("STUDIO_PASSWORD", password)
        monkeypatch.setenv("STUDIO_NEW_PASSWORD", TEST_PASSWORD)
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        capsys.readouterr()
        code = main([*argv, *(["--user", user] if user else [])])
        captured = capsys.readouterr()
        assert code == expect, captured.out + captured.err
        return captured.out, captured.err

    run("init", "--admin", "root", user=None)
    for name, role in (("alice", "trainer"), ("bob", "trainer"), ("vic", "viewer")):
        run("users", "add", name, "--role", role, user="root")
    return run
