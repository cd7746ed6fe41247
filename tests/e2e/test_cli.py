"""The `studio` command as a user runs it: a separate process."""

import json
import os
import subprocess
import sys

import pytest

from studio import __version__


def studio(*args, data_dir=None, env=None, input=None):
    full_env = dict(os.environ, **(env or {}))
    if data_dir is not None:
        full_env["STUDIO_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "studio", *args], capture_output=True, text=True, env=full_env, input=input,
        timeout=300,
    )


def test_version():
    result = studio("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"Model Studio {__version__}"


def test_help_lists_the_verbs():
    result = studio("--help")
    assert result.returncode == 0
    assert "doctor" in result.stdout


def test_doctor_reports_the_environment_and_the_schema(data_dir):
    result = studio("doctor", data_dir=data_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    for word in ("python", "torch", "device", "qt", "data folder", "database", str(data_dir)):
        assert word in result.stdout


def test_doctor_json_and_data_dir_flag_wins_over_environment(tmp_path):
    flag_dir = tmp_path / "flag"
    result = studio("doctor", "--json", "--data-dir", str(flag_dir), data_dir=tmp_path / "env")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    folder = next(c for c in report["checks"] if c["name"] == "data folder")
    assert folder["value"] == str(flag_dir.resolve())
    assert (flag_dir / "studio.db").exists() and not (tmp_path / "env").exists()


def test_doctor_fails_when_the_database_is_from_a_newer_version(data_dir):
    import sqlite3

    assert studio("doctor", data_dir=data_dir).returncode == 0
    conn = sqlite3.connect(data_dir / "studio.db")
    conn.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    conn.commit()
    conn.close()
    result = studio("doctor", data_dir=data_dir)
    assert result.returncode != 0
    assert "newer version" in result.stdout


@pytest.mark.parametrize("args", [["no-such-verb"], ["doctor", "--no-such-flag"]])
def test_usage_errors_exit_2(args):
    result = studio(*args)
    assert result.returncode == 2
    assert "usage:" in result.stderr
