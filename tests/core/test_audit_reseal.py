"""Two things the audit chain did badly (issue 14, defect 12): an entry appended without a MAC by someone who
can write studio.db was sealed by the next login and then looked genuine; after one detected break every later
entry stayed unsealed for good. Now such entries are sealed *late*, marked so under the MAC, and an
administrator who has checked a break acknowledges it (`reseal`), which starts a new chain and keeps the
evidence."""

from __future__ import annotations

import json
import sqlite3

import pytest

from studio.core import operations as ops
from studio.core.errors import AccessDenied, AuditTamperedError, ValidationError
from studio.core.services.base import Service
from studio.core.stores.audit import AuditFilter
from tests.conftest import TEST_PASSWORD


@pytest.fixture
def log(studio, admin):
    service = Service(studio)
    for i in range(4):
        with service.operation(admin, ops.MODEL_IMPORT, "model", None, name=f"m{i}") as op:
            op.obj_id = str(i)
    conn = sqlite3.connect(studio.paths.db, isolation_level=None)
    yield conn
    conn.close()


def forge(conn, action=ops.USER_CREATE, actor="root", actor_id=1, details='{"name":"mallory","role":"admin"}'):
    """Append an entry as an attacker can: no MAC (they have no key), the next sequence number."""
    seq = conn.execute("SELECT MAX(seq) + 1 FROM audit_log").fetchone()[0]
    conn.execute("INSERT INTO audit_log (seq, ts, actor_id, actor_name, action, obj_type, obj_id, outcome, details) "
                 "VALUES (?, '2026-12-01T00:00:00.000000Z', ?, ?, ?, 'user', '9', 'allowed', ?)",
                 (seq, actor_id, actor, action, details))
    return seq


def touch(studio, who):
    with Service(studio).operation(who, ops.MODEL_LIST):
        pass


def test_an_entry_appended_without_a_mac_is_sealed_as_late_not_as_genuine(studio, admin, log):
    seq = forge(log)
    studio.accounts.login("root", TEST_PASSWORD)  # the next login seals it
    entry = studio.audit_store.by_seqs([seq])[seq]
    assert entry.sealed and entry.sealed_late_by == studio.accounts.user("root").id
    report = studio.audit.verify(admin)
    assert report.ok and report.late == 1
    assert "sealed later: their content was not authenticated" in report.summary()
    # an entry the writer sealed itself is not marked
    own = studio.audit_store.page(AuditFilter(action=ops.AUTH_LOGIN), limit=1)[0]
    assert own.sealed and own.sealed_late_by is None


def test_the_late_mark_is_under_the_mac(studio, admin, log):
    seq = forge(log)
    touch(studio, admin)
    log.execute("UPDATE audit_log SET sealed_late_by = NULL WHERE seq = ?", (seq,))  # pass it off as genuine
    report = studio.audit.verify(admin)
    assert not report.ok and report.first_bad_seq == seq


def test_failed_logins_are_sealed_late_too(studio, admin):
    from studio.core.errors import AuthenticationError

    with pytest.raises(AuthenticationError):
        studio.accounts.login("admin", "Wrong-Password-0000")
    failed = studio.audit_store.page(limit=1)[0]
    touch(studio, admin)
    assert studio.audit_store.by_seqs([failed.seq])[failed.seq].sealed_late_by == admin.user_id


def break_head(studio, conn):
    """Delete the newest entries: the anchor names an entry that is gone, and sealing stops."""
    top = conn.execute("SELECT MAX(seq) FROM audit_log").fetchone()[0]
    conn.execute("DELETE FROM audit_log WHERE seq > ?", (top - 2,))


def test_after_a_break_nothing_works_until_an_administrator_acknowledges_it(studio, admin, make_user, log):
    trainer = make_user("trainer", "tess")
    break_head(studio, log)
    with pytest.raises(AuditTamperedError) as refused:
        touch(studio, trainer)
    assert "head anchor" in str(refused.value) and "studio audit reseal --acknowledge" in str(refused.value)
    later = studio.accounts.login("tess", TEST_PASSWORD)  # logging in works, but its entry stays unsealed
    assert not studio.audit_store.page(limit=1)[0].sealed
    with pytest.raises(AccessDenied):
        studio.audit.reseal(later, acknowledge=True)  # administrators only
    report = studio.audit.verify(admin)
    assert not report.ok
    with pytest.raises(ValidationError) as unasked:
        studio.audit.reseal(admin)
    assert "acknowledge" in str(unasked.value)

    after = studio.audit.reseal(admin, acknowledge=True)
    assert after.ok and len(after.breaks) == 1 and after.breaks[0].by == "admin"
    assert "head anchor" in after.breaks[0].problem
    mark = studio.audit_store.page(AuditFilter(action="audit.reseal"), limit=1)[0]
    assert mark.details["problem"] == report.problem and len(mark.details["log_digest"]) == 64
    # work goes on and is sealed again, from the new anchor
    touch(studio, later)
    newest = studio.audit_store.page(limit=1)[0]
    assert newest.sealed and newest.sealed_late_by is None
    assert studio.audit.verify(admin).ok
    assert "acknowledged a break" in studio.audit.verify(admin).summary()


def test_the_evidence_before_an_acknowledged_break_cannot_be_changed_unnoticed(studio, admin, log):
    log.execute("UPDATE audit_log SET actor_name = 'mallory' WHERE seq = 3")  # an edit in the middle
    assert studio.audit.verify(admin).first_bad_seq == 3
    assert studio.audit.reseal(admin, acknowledge=True).ok
    log.execute("UPDATE audit_log SET actor_name = 'admin' WHERE seq = 3")  # and covering the traces afterwards
    report = studio.audit.verify(admin)
    assert not report.ok and "changed since" in report.problem


def test_an_intact_log_has_nothing_to_acknowledge(studio, admin, log):
    with pytest.raises(ValidationError) as refused:
        studio.audit.reseal(admin, acknowledge=True)
    assert "intact" in str(refused.value)


def test_a_forged_acknowledgement_is_not_one(studio, admin, log):
    """Someone without the key writes an audit.reseal entry: it is neither a new start nor a chained entry."""
    break_head(studio, log)
    forge(log, action="audit.reseal", details=json.dumps({"problem": "nothing", "log_digest": "0" * 64}))
    assert not studio.audit.verify(admin).ok
    with pytest.raises(AuditTamperedError):
        touch(studio, admin)
