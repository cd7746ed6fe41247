"""The accounts verbs. Most run in-process (main(argv)) at the tests' low Argon2id cost; one runs the real
command in a separate process at production cost."""

from __future__ import annotations

import io
import json
import sys

import pytest

from studio.cli.main import main
from tests.conftest import TEST_PASSWORD
from tests.e2e.test_cli import studio as run_process

OTHER = "Harbor-Secret-4471"


@pytest.fixture
def cli(data_dir, monkeypatch, capsys):
    monkeypatch.setenv("STUDIO_DATA_DIR", str(data_dir))
    monkeypatch.delenv("STUDIO_PASSWORD", raising=False)
    monkeypatch.delenv("STUDIO_NEW_PASSWORD", raising=False)

    def run(*argv, password=TEST_PASSWORD, new=None, stdin=None):
        if password is not None:
            monkeypatch.setenv("STUDIO_PASSWORD", password)
        else:
            monkeypatch.delenv("STUDIO_PASSWORD", raising=False)
        if new is not None:
            monkeypatch.setenv("STUDIO_NEW_PASSWORD", new)
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    assert run("init", "--admin", "root")[0] == 0
    return run


def test_init_then_users_lifecycle(cli):
    code, out, _ = cli("users", "add", "alice", "--role", "viewer", "--user", "root", new=OTHER)
    assert code == 0 and "alice" in out
    code, out, _ = cli("users", "list", "--user", "root", "--json")
    users = {u["name"]: u for u in json.loads(out)}
    assert users["alice"]["role"] == "viewer" and users["root"]["role"] == "admin"
    assert cli("users", "role", "alice", "trainer", "--user", "root")[0] == 0
    assert cli("users", "disable", "alice", "--user", "root")[0] == 0
    code, _, err = cli("users", "list", "--user", "alice", password=OTHER)
    assert code != 0 and err.count("\n") == 1 and "disabled" in err
    assert cli("users", "enable", "alice", "--user", "root")[0] == 0
    for _ in range(2):  # the login while disabled counted too (it answers like a wrong password): 3 in a row
        cli("users", "list", "--user", "alice", password="Wrong-Password-0")
    code, out, _ = cli("users", "list", "--user", "root", "--json")
    assert {u["name"]: u for u in json.loads(out)}["alice"]["failed_attempts"] == 3
    assert cli("users", "unlock", "alice", "--user", "root")[0] == 0
    code, out, _ = cli("users", "list", "--user", "root", "--json")
    assert {u["name"]: u for u in json.loads(out)}["alice"]["failed_attempts"] == 0


def test_passwords_come_from_stdin_in_order(cli):
    assert cli("users", "add", "bob", "--user", "root", "--password-stdin", "--new-password-stdin",
               password=None, stdin=f"{TEST_PASSWORD}\n{OTHER}\n")[0] == 0
    assert cli("users", "passwd", "--user", "bob", "--password-stdin", "--new-password-stdin", password=None,
               stdin=f"{OTHER}\nMeadow-Secret-9034\n")[0] == 0
    code, out, err = cli("users", "list", "--user", "bob", password="Meadow-Secret-9034")
    assert code == 4 and "bob may not do user.list" in err  # the new password logged in; a trainer lists no users
    code, _, err = cli("users", "passwd", "bob", "--user", "root", new="Compass-Reset-7781")
    assert code == 0
    assert cli("audit", "verify", "--user", "bob", password="Compass-Reset-7781")[0] != 0  # a trainer may not


def test_a_missing_or_wrong_login_is_one_line_and_non_zero(cli):
    for argv, kwargs, text in (
        (("users", "list"), {}, "Say who you are"),
        (("users", "list", "--user", "root"), {"password": None}, "No password given"),
        (("users", "list", "--user", "root"), {"password": "Wrong-Password-0"}, "Wrong user name or password"),
        (("users", "list", "--user", "ghost"), {}, "Wrong user name or password"),
    ):
        code, out, err = cli(*argv, **kwargs)
        assert code != 0 and out == "" and err.count("\n") == 1 and text in err, (argv, err)


def test_grants_and_audit_verbs(cli, tmp_path, monkeypatch):
    from studio.core.security import policy

    monkeypatch.setitem(policy._REGISTRY, "model", policy.ObjectType("model", lambda s, oid: 1, None, None))
    cli("users", "add", "alice", "--role", "viewer", "--user", "root", new=OTHER)
    assert cli("grants", "add", "alice", "model:3", "use", "--user", "root")[0] == 0
    code, out, _ = cli("grants", "list", "--user", "alice", "--json", password=OTHER)
    assert [(g["user_name"], g["obj_id"], g["permission"]) for g in json.loads(out)] == [("alice", "3", "use")]
    code, _, err = cli("grants", "add", "alice", "model3", "use", "--user", "root")
    assert code != 0 and "TYPE:ID" in err
    assert cli("grants", "revoke", "alice", "model:3", "use", "--user", "root")[0] == 0

    code, out, _ = cli("audit", "list", "--user", "root", "--action", "grant.", "--json")
    assert [e["action"] for e in json.loads(out)] == ["grant.revoke", "grant.add"]
    code, out, _ = cli("audit", "list", "--user", "root", "--actor", "alice", "--outcome", "allowed", "--json")
    assert {e["actor"] for e in json.loads(out)} == {"alice"}
    code, out, _ = cli("audit", "list", "--user", "root", "--since", "2000-01-01", "--until", "2000-01-02", "--json")
    assert json.loads(out) == []
    code, out, _ = cli("audit", "verify", "--user", "root")
    assert code == 0 and "intact" in out
    code, out, _ = cli("audit", "export", str(tmp_path / "log.csv"), "--user", "root")
    assert code == 0 and (tmp_path / "log.csv").read_text().startswith("seq,ts,")


def test_verify_exits_1_and_names_the_first_bad_entry(cli, data_dir):
    import sqlite3

    conn = sqlite3.connect(data_dir / "studio.db")
    conn.execute("UPDATE audit_log SET actor_name = 'mallory' WHERE seq = 2")
    conn.commit()
    conn.close()
    code, out, _ = cli("audit", "verify", "--user", "root")
    assert code == 1 and "entry 2" in out


def test_reseal_acknowledges_a_break_and_the_chain_goes_on(cli, data_dir):
    import sqlite3

    conn = sqlite3.connect(data_dir / "studio.db")
    conn.execute("UPDATE audit_log SET actor_name = 'mallory' WHERE seq = 2")
    conn.commit()
    conn.close()
    code, out, err = cli("audit", "reseal", "--user", "root")
    assert code != 0 and "acknowledge" in err
    code, out, _ = cli("audit", "reseal", "--acknowledge", "--user", "root")
    assert code == 0 and "acknowledged" in out and "intact" in out
    code, out, _ = cli("audit", "verify", "--user", "root")
    assert code == 0 and "acknowledged a break" in out


def test_the_real_command_at_production_cost(data_dir):
    env = {"STUDIO_PASSWORD": TEST_PASSWORD}
    result = run_process("init", "--admin", "root", data_dir=data_dir, env=env)
    assert result.returncode == 0, result.stderr
    result = run_process("audit", "verify", "--user", "root", data_dir=data_dir, env=env)
    assert result.returncode == 0 and "intact" in result.stdout, result.stderr
    result = run_process("users", "list", "--user", "root", data_dir=data_dir, env={"STUDIO_PASSWORD": "nope-nope-1"})
    assert result.returncode == 5 and result.stderr.strip() == "studio users: Wrong user name or password, or the account is disabled."
    import sqlite3

    conn = sqlite3.connect(data_dir / "studio.db")
    assert conn.execute("SELECT password_phc FROM users").fetchone()[0].startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    conn.close()
