"""Tamper evidence: every edit an attacker with write access to studio.db can make is detected, and
`verify` names the first bad entry."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from studio.core import operations as ops
from studio.core.errors import AuditTamperedError, AuthenticationError
from studio.core.security import chain
from studio.core.services import Studio
from studio.core.services.base import Service
from studio.core.stores.audit import AuditFilter
from tests.conftest import TEST_PASSWORD

N = 12


@pytest.fixture
def log(studio, admin):
    """A sealed log of about a dozen entries and a raw connection to edit studio.db like an attacker."""
    service = Service(studio)
    for i in range(5):
        with service.operation(admin, ops.MODEL_IMPORT, "model", None, name=f"m{i}") as op:
            op.obj_id = str(i)
    assert studio.audit.verify(admin).ok
    conn = sqlite3.connect(studio.paths.db, isolation_level=None)
    yield conn
    conn.close()


def rows(conn):
    return conn.execute("SELECT seq, ts, actor_id, actor_name, action, obj_type, obj_id, outcome, details, mac "
                        "FROM audit_log ORDER BY seq").fetchall()


def verify(studio, admin):
    report = studio.audit.verify(admin)
    assert not report.ok, "tampering went unnoticed"
    return report


def test_an_untouched_log_verifies(studio, admin, log):
    last_mac = rows(log)[-1][9]
    report = studio.audit.verify(admin)
    assert report.ok and report.unsealed == 0 and report.checked == report.sealed == report.last_seq
    assert report.anchor_seq == report.last_seq == report.head_seq
    assert report.head_mac == last_mac.hex()
    assert "intact" in report.summary()


def test_editing_a_field_is_detected(studio, admin, log):
    log.execute("UPDATE audit_log SET actor_name = 'mallory' WHERE seq = 5")
    report = verify(studio, admin)
    assert report.first_bad_seq == 5 and "entry 5" in report.problem


def test_editing_the_details_is_detected(studio, admin, log):
    log.execute("""UPDATE audit_log SET details = '{"name":"innocent"}' WHERE seq = 4""")
    assert verify(studio, admin).first_bad_seq == 4


def test_editing_a_mac_is_detected(studio, admin, log):
    log.execute("UPDATE audit_log SET mac = zeroblob(32) WHERE seq = 3")
    assert verify(studio, admin).first_bad_seq == 3


@pytest.mark.parametrize("which", ["first", "middle"])
def test_deleting_an_entry_is_detected(studio, admin, log, which):
    seq = {"first": 1, "middle": 4}[which]
    log.execute("DELETE FROM audit_log WHERE seq = ?", (seq,))
    report = verify(studio, admin)
    assert report.first_bad_seq == seq and "missing" in report.problem


def test_deleting_the_newest_entries_is_detected(studio, admin, log):
    last = rows(log)[-1][0]
    log.execute("DELETE FROM audit_log WHERE seq >= ?", (last - 1,))
    report = verify(studio, admin)
    assert "newest entries were deleted" in report.problem and report.first_bad_seq == last - 1


def test_deleting_the_newest_entry_and_renumbering_is_detected(studio, admin, log):
    """Delete the last entry; the next appended entry reuses its number but cannot carry the anchored MAC."""
    last = rows(log)[-1][0]
    log.execute("DELETE FROM audit_log WHERE seq = ?", (last,))
    with pytest.raises(AuditTamperedError) as refused:  # the chain cannot be continued: nothing is done
        with Service(studio).operation(admin, ops.MODEL_LIST):
            pass
    assert f"entry {last} is not the entry the head anchor names" in str(refused.value)
    assert "studio audit reseal --acknowledge" in str(refused.value)
    assert not studio.audit.verify(admin).ok


def test_inserting_a_forged_entry_is_detected(studio, admin, log):
    r = list(rows(log)[-1])
    r[0] += 1
    r[4], r[8], r[9] = ops.MODEL_EXPORT, '{"name":"m1"}', hashlib.sha256(b"forged").digest()
    log.execute("INSERT INTO audit_log (seq, ts, actor_id, actor_name, action, obj_type, obj_id, outcome, details, "
                "mac) VALUES (?,?,?,?,?,?,?,?,?,?)", r)
    assert verify(studio, admin).first_bad_seq == r[0]


def test_inserting_an_unsealed_entry_in_the_middle_is_detected(studio, admin, log):
    log.execute("UPDATE audit_log SET mac = NULL, actor_name = 'mallory' WHERE seq = 6")
    report = verify(studio, admin)
    assert report.first_bad_seq == 6 and "lost its MAC" in report.problem


def test_swapping_two_entries_is_detected(studio, admin, log):
    a, b = rows(log)[4], rows(log)[5]
    cols = "ts=?, actor_id=?, actor_name=?, action=?, obj_type=?, obj_id=?, outcome=?, details=?, mac=?"
    log.execute(f"UPDATE audit_log SET {cols} WHERE seq = ?", (*b[1:], a[0]))
    log.execute(f"UPDATE audit_log SET {cols} WHERE seq = ?", (*a[1:], b[0]))
    assert verify(studio, admin).first_bad_seq == a[0]


def test_recomputing_the_chain_with_plain_sha256_is_detected(studio, admin, log):
    """An attacker without the key edits an entry and recomputes every MAC after it with SHA-256."""
    log.execute("UPDATE audit_log SET outcome = 'denied' WHERE seq = 7")
    previous = chain.GENESIS
    for r in rows(log):
        mac = hashlib.sha256(previous + chain.canonical(r)).digest()
        log.execute("UPDATE audit_log SET mac = ? WHERE seq = ?", (mac, r[0]))
        previous = mac
    assert verify(studio, admin).first_bad_seq == 1


def test_a_deleted_or_edited_anchor_is_detected(studio, admin, log):
    anchor = sqlite3.connect(studio.paths.audit_anchor, isolation_level=None)
    anchor.execute("UPDATE anchor SET seq = seq - 1")
    anchor.close()
    assert "anchor was altered" in verify(studio, admin).problem
    studio.audit_store.anchor.close()
    studio.paths.audit_anchor.unlink()
    assert "anchor is missing" in verify(studio, admin).problem


def test_a_forged_seal_marker_does_not_get_tampered_entries_resealed(studio, admin, log):
    """Null every MAC after an edit (so the entries look unsealed), then let a user log in: the writer seals
    from the anchor, not from what studio.db says, so it refuses and verify still reports the edit."""
    log.execute("UPDATE audit_log SET mac = NULL WHERE seq >= 4")
    log.execute("UPDATE audit_log SET actor_name = 'mallory' WHERE seq = 4")
    studio.accounts.login("admin", TEST_PASSWORD)
    assert not studio.audit.verify(admin).ok


def test_entries_written_before_login_are_sealed_at_the_next_login(data_dir):
    with Studio.open(data_dir) as studio:
        studio.accounts.create_first_admin("root", TEST_PASSWORD)
    with Studio.open(data_dir) as studio:
        with pytest.raises(AuthenticationError):
            studio.accounts.login("root", "Wrong-Password-0000")
        pending = studio.audit_store.page(limit=1)[0]
        assert pending.action == ops.AUTH_LOGIN and pending.outcome == "denied" and not pending.sealed
        root = studio.accounts.login("root", TEST_PASSWORD)
        report = studio.audit.verify(root)
        assert report.ok and report.unsealed == 0
        assert studio.audit_store.by_seqs([pending.seq])[pending.seq].sealed


def test_the_mac_key_is_not_stored(studio, admin, log):
    """The MAC key exists only inside sessions: not in the database, not beside it."""
    from studio.core.security.session import audit_keys_of

    keys = audit_keys_of(admin)
    for path in studio.paths.root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert keys.mac_key not in data and keys.anchor_key not in data, path


def test_the_first_administrator_records_how_many_earlier_entries_it_sealed(data_dir):
    with Studio.open(data_dir) as studio:
        for _ in range(2):
            with pytest.raises(AuthenticationError):
                studio.accounts.login("nobody", "Wrong-Password-0000")
        root = studio.accounts.create_first_admin("root", TEST_PASSWORD)
        first = studio.audit_store.page(AuditFilter(action=ops.USER_CREATE))[0]
        assert first.details["sealed_earlier_entries"] == 2
        assert studio.audit.verify(root).ok
