"""30 login processes at once against one account, one of them with the right password: throttling and the
lockout hold, the failure counter counts every checked attempt once, and every attempt has its audit entry
(issue 14: 19 wrong guesses and the right password at once were all checked and the counter reset; 24 wrong
at once left the counter at 11; one attempt died with "UNIQUE constraint failed" and no entry)."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from studio.core import operations as ops
from studio.core.security import throttle
from studio.core.services import Studio
from studio.core.services.accounts import utcnow
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.slow

CHILD = Path(__file__).with_name("login_race_child.py")
RACERS = 30


def _counter(data_dir, user_id):
    with sqlite3.connect(data_dir / "studio.db") as conn:
        row = conn.execute("SELECT failures FROM login_attempts WHERE subject = ?", (f"user:{user_id}",)).fetchone()
    return row[0] if row else 0


def _race(tmp_path, data_dir, now, right_at):
    """RACERS processes released together; returns their outcomes by index."""
    outdir = tmp_path / f"race-{now.timestamp():.0f}"
    outdir.mkdir()
    go = outdir / "go"
    launcher = subprocess.Popen([sys.executable, str(CHILD), str(data_dir), str(go), now.isoformat(), str(outdir),
                                 str(right_at), str(RACERS)])
    deadline = time.monotonic() + 180
    while len(list(outdir.glob("*.ready"))) < RACERS:
        assert time.monotonic() < deadline and launcher.poll() is None, "the racers did not start"
        time.sleep(0.05)
    go.touch()
    assert launcher.wait(timeout=120) == 0
    return [json.loads((outdir / f"{i}.json").read_text()) for i in range(RACERS)]


def _entries_since(studio, seq):
    return [e for e in studio.audit_store.page(limit=1000) if e.seq > seq and e.action == ops.AUTH_LOGIN]


def test_thirty_racing_logins_keep_throttling_the_counter_and_the_log(data_dir, tmp_path):
    with Studio.open(data_dir) as studio:
        root = studio.accounts.create_first_admin("root", TEST_PASSWORD)
        alice = studio.accounts.create_user(root, "alice", "trainer", TEST_PASSWORD)
        before = studio.audit_store.max_seq()
    now = utcnow()

    # 1. A fresh counter: the first FREE_FAILURES + 1 slots are checked, every later racer must wait.
    results = _race(tmp_path, data_dir, now, right_at=random.randrange(RACERS))
    outcomes = [r["outcome"] for r in results]
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    checked = [r for r in results if r["outcome"] in ("ok", "wrong")]
    assert len(checked) == throttle.FREE_FAILURES + 1, outcomes
    assert outcomes.count("throttled") == RACERS - len(checked)
    with Studio.open(data_dir) as studio:
        entries = _entries_since(studio, before)
        before = studio.audit_store.max_seq()
    assert len(entries) == RACERS  # every attempt, refused or checked, has its entry
    failed = [e for e in entries if e.details.get("reason") == "wrong password"]
    slots = sorted(e.details["failures"] for e in failed)
    success = [e for e in entries if e.outcome == "allowed"]
    assert len(failed) + len(success) == len(checked)
    assert len(set(slots)) == len(slots)  # no two checked attempts saw the same count
    if success:  # the right password had a slot: it gives back its own and the ones before it
        slot = success[0].details.get("failures_before", 0) + 1
        assert sorted([*slots, slot]) == [1, 2, 3]
        assert _counter(data_dir, alice.id) == sum(1 for s in slots if s > slot)
    else:
        assert slots == [1, 2, 3] and _counter(data_dir, alice.id) == 3

    # 2. One failure from the lockout, long after the last one: exactly one racer is checked, whatever the
    # others send (the right password among them gets in only if it was that one).
    with sqlite3.connect(data_dir / "studio.db") as conn:
        conn.execute("UPDATE login_attempts SET failures = ?, last_failure_at = ? WHERE subject = ?",
                     (throttle.MAX_FAILURES - 1, (now - timedelta(days=1)).isoformat(" "), f"user:{alice.id}"))
    later = now + timedelta(seconds=1)
    results = _race(tmp_path, data_dir, later, right_at=random.randrange(RACERS))
    outcomes = [r["outcome"] for r in results]
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    winner = [r for r in results if r["outcome"] in ("ok", "wrong")]
    assert len(winner) == 1 and outcomes.count("locked") == RACERS - 1, outcomes
    with Studio.open(data_dir) as studio:
        entries = _entries_since(studio, before)
    assert len(entries) == RACERS
    locked = [e for e in entries if e.details.get("reason") == "locked after too many failed logins"]
    assert len(locked) == RACERS - 1
    if winner[0]["outcome"] == "ok":
        assert winner[0]["right"] and _counter(data_dir, alice.id) == 0
    else:
        assert _counter(data_dir, alice.id) == throttle.MAX_FAILURES
        assert [e.details.get("locked") for e in entries if e.details.get("reason") == "wrong password"] == [True]
