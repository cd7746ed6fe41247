"""A process killed (SIGKILL) in the middle of audited writes leaves a consistent database and a chain
that verifies: the anchor never runs ahead of the log."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from studio.core.services import Studio
from tests.conftest import TEST_PASSWORD

WRITER = f"""
import sys
from studio.core import operations as ops
from studio.core.security import passwords
from studio.core.services import Studio
from studio.core.services.base import Service
from studio.core.db.tables.settings import SettingRow
passwords.set_active_params(passwords.Argon2Params(1, 1, 64))
studio = Studio.open(sys.argv[1])
session = studio.accounts.login("root", {TEST_PASSWORD!r})
service = Service(studio)
i = 0
while True:
    with service.operation(session, ops.MODEL_UPDATE, "model", i % 5, n=i) as op:
        op.session.add(SettingRow(key=f"k{{sys.argv[2]}}.{{i}}", value_json="1"))
    i += 1
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_writers_leave_a_verifiable_chain(data_dir):
    with Studio.open(data_dir) as studio:
        studio.accounts.create_first_admin("root", TEST_PASSWORD)
    for round_ in range(3):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(data_dir), str(round_)], env=dict(os.environ))
        deadline = time.monotonic() + 60
        conn = sqlite3.connect(data_dir / "studio.db")
        start = conn.execute("SELECT MAX(seq) FROM audit_log").fetchone()[0]
        while conn.execute("SELECT MAX(seq) FROM audit_log").fetchone()[0] < start + 30 + 17 * round_:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        conn.close()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    conn = sqlite3.connect(data_dir / "studio.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    changes = conn.execute("SELECT COUNT(*) FROM app_settings WHERE key LIKE 'k%'").fetchone()[0]
    updates = conn.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'model.update'").fetchone()[0]
    conn.close()
    assert changes == updates  # every change has its entry and no entry lacks its change
    with Studio.open(data_dir) as studio:
        root = studio.accounts.login("root", TEST_PASSWORD)
        report = studio.audit.verify(root)
        assert report.ok, report.problem
        assert report.unsealed == 0 and report.anchor_seq is not None
