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


def _set_counter(data_dir, user_id, failures, last_failure_at):
    with sqlite3.connect(data_dir / "studio.db") as conn:
        conn.execute("INSERT INTO login_attempts (subject, failures, last_failure_at) VALUES (?, ?, ?) "
                     "ON CONFLICT (subject) DO UPDATE SET failures = excluded.failures, "
                     "last_failure_at = excluded.last_failure_at",
                     (f"user:{user_id}", failures, last_failure_at.isoformat(" ")))


def _race(tmp_path, data_dir, now, right_at):
    """RACERS processes released together (the one at `right_at` with the right password; -1: none); returns
    their outcomes by index."""
    outdir = tmp_path / f"race-{len(list(tmp_path.glob('race-*')))}"
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


def _entries(data_dir, after):
    with Studio.open(data_dir) as studio:
        entries = [e for e in studio.audit_store.page(limit=1000) if e.seq > after and e.action == ops.AUTH_LOGIN]
        return entries, studio.audit_store.max_seq()


def test_thirty_racing_logins_keep_throttling_the_counter_and_the_log(data_dir, tmp_path):
    """The clock is frozen in the racers, so the throttle's answers are exact: with a fresh counter the first
    FREE_FAILURES + 1 slots are free and every later one must wait."""
    with Studio.open(data_dir) as studio:
        root = studio.accounts.create_first_admin("root", TEST_PASSWORD)
        alice = studio.accounts.create_user(root, "alice", "trainer", TEST_PASSWORD)
        seq = studio.audit_store.max_seq()
    now = utcnow()
    free = throttle.FREE_FAILURES + 1

    # 1. 30 wrong guesses at once: exactly `free` are checked, each with its own count; the rest must wait.
    results = _race(tmp_path, data_dir, now, right_at=-1)
    outcomes = [r["outcome"] for r in results]
    assert not [o for o in outcomes if o.startswith("error")], outcomes  # no UNIQUE constraint, no locked db
    assert outcomes.count("wrong") == free and outcomes.count("throttled") == RACERS - free, outcomes
    entries, seq = _entries(data_dir, seq)
    assert len(entries) == RACERS  # every attempt, refused or checked, has its entry
    assert sorted(e.details["failures"] for e in entries if e.details.get("reason") == "wrong password") == [1, 2, 3]
    assert _counter(data_dir, alice.id) == free

    # 2. The same with the right password among them: no racer is checked beyond what the throttle allows at
    # its moment, and one success gives its slot back (a fresh counter again).
    _set_counter(data_dir, alice.id, 0, now - timedelta(days=1))
    results = _race(tmp_path, data_dir, now, right_at=random.randrange(RACERS))
    outcomes = [r["outcome"] for r in results]
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert outcomes.count("ok") <= 1 and all(r["right"] for r in results if r["outcome"] == "ok")
    entries, seq = _entries(data_dir, seq)
    assert len(entries) == RACERS
    slots = [e.details["failures"] for e in entries if e.details.get("reason") == "wrong password"]
    assert slots and max(slots) <= free  # never a check that the throttle did not allow
    if "ok" not in outcomes:
        assert sorted(slots) == [1, 2, 3] and _counter(data_dir, alice.id) == free
    assert _counter(data_dir, alice.id) <= free

    # 3. One failure from the lockout, long after the last one: exactly one racer is checked, and the counter
    # ends at the lockout.
    _set_counter(data_dir, alice.id, throttle.MAX_FAILURES - 1, now - timedelta(days=1))
    results = _race(tmp_path, data_dir, now, right_at=-1)
    outcomes = [r["outcome"] for r in results]
    assert outcomes.count("wrong") == 1 and outcomes.count("locked") == RACERS - 1, outcomes
    entries, seq = _entries(data_dir, seq)
    assert len(entries) == RACERS
    assert [e.details.get("locked") for e in entries if e.details.get("reason") == "wrong password"] == [True]
    assert _counter(data_dir, alice.id) == throttle.MAX_FAILURES

    # 4. Locked: the right password among 30 racers gets in no more than any of them.
    results = _race(tmp_path, data_dir, now, right_at=random.randrange(RACERS))
    assert [r["outcome"] for r in results] == ["locked"] * RACERS
    entries, _ = _entries(data_dir, seq)
    assert len(entries) == RACERS and _counter(data_dir, alice.id) == throttle.MAX_FAILURES
