"""The door: a change and its audit entry commit together or not at all."""

from __future__ import annotations

import sqlite3

import pytest

from studio.core import operations as ops
from studio.core.db.tables.settings import SettingRow
from studio.core.errors import AccessDenied, AuditWriteError, StudioError
from studio.core.services.base import Service


def setting(studio, key):
    with studio.db.session() as s:
        row = s.get(SettingRow, key)
        return None if row is None else row.value_json


def break_audit_log(studio, message="disk quota exceeded"):
    """Make every audit INSERT fail as a full disk would. The vehicle is a trigger, which the schema check
    (studio.core.db.schema) would refuse before the write is even tried; these tests are about what a failing
    write does, so the check is switched off for them (tests/core/test_schema.py tests the check)."""
    studio.db.schema_guard = None
    conn = sqlite3.connect(studio.paths.db)
    conn.execute(f"CREATE TRIGGER no_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, '{message}'); END")
    conn.commit()
    conn.close()


def test_the_entry_is_written_in_the_same_transaction(studio, admin):
    with Service(studio).operation(admin, ops.MODEL_IMPORT, "model", None) as op:
        op.session.add(SettingRow(key="k", value_json="1"))
        op.obj_id = "42"
        op.details["name"] = "tiny"
    entry = studio.audit_store.page(limit=1)[0]
    assert (entry.action, entry.obj_id, entry.outcome, entry.details) == (ops.MODEL_IMPORT, "42", "allowed",
                                                                          {"name": "tiny"})
    assert entry.sealed and setting(studio, "k") == "1"


def test_if_the_entry_cannot_be_written_the_change_does_not_happen(studio, admin):
    before = studio.audit_store.max_seq()
    break_audit_log(studio)
    with pytest.raises(AuditWriteError) as info:
        with Service(studio).operation(admin, ops.MODEL_IMPORT, "model", None) as op:
            op.session.add(SettingRow(key="k", value_json="1"))
    assert "disk quota exceeded" in str(info.value) and "nothing was done" in str(info.value)
    assert setting(studio, "k") is None
    assert studio.audit_store.max_seq() == before


def test_a_login_that_cannot_be_audited_does_not_happen(studio, make_user):
    make_user("trainer", "alice")
    break_audit_log(studio)
    with pytest.raises(AuditWriteError):
        studio.accounts.login("alice", make_user.password)


def test_a_denial_is_recorded_in_its_own_transaction_and_names_what_was_refused(studio, make_user):
    viewer = make_user("viewer", "vera")
    with pytest.raises(AccessDenied) as info:
        with Service(studio).operation(viewer, ops.MODEL_DELETE, "model", 5) as op:
            op.session.add(SettingRow(key="k", value_json="1"))
    assert "vera" in str(info.value) and "model.delete" in str(info.value) and "model 5" in str(info.value)
    assert setting(studio, "k") is None
    entry = studio.audit_store.page(limit=1)[0]
    assert (entry.actor_name, entry.action, entry.obj_type, entry.obj_id, entry.outcome) == (
        "vera", ops.MODEL_DELETE, "model", "5", "denied")
    assert "viewer role may not" in entry.details["reason"]


def test_a_failure_inside_is_recorded_and_re_raised(studio, admin):
    class Boom(StudioError):
        pass

    with pytest.raises(Boom):
        with Service(studio).operation(admin, ops.DATASET_IMPORT, "dataset", None, file="x.txt") as op:
            op.session.add(SettingRow(key="k", value_json="1"))
            op.session.flush()
            raise Boom("the file is not UTF-8")
    assert setting(studio, "k") is None
    entry = studio.audit_store.page(limit=1)[0]
    assert entry.outcome == "failed" and entry.details == {"file": "x.txt", "error": "Boom",
                                                           "message": "the file is not UTF-8"}


def test_a_failing_commit_is_recorded_as_failed(studio, admin):
    with pytest.raises(StudioError):
        with Service(studio).operation(admin, ops.MODEL_UPDATE, "model", 1) as op:
            op.session.add(SettingRow(key="dup", value_json="1"))
            op.session.add(SettingRow(key="dup", value_json="2"))
    assert studio.audit_store.page(limit=1)[0].outcome == "failed"


def test_secret_looking_details_never_reach_the_log(studio, admin):
    with Service(studio).operation(admin, ops.MODEL_UPDATE, "model", 1, password="hunter2hunter2",
                                   new_token="abc", blob=b"\x00" * 16, name="fine"):
        pass
    details = studio.audit_store.page(limit=1)[0].details
    assert details == {"password": "[redacted]", "new_token": "[redacted]", "blob": "<16 bytes>", "name": "fine"}


def test_audited_changes_commit_with_synchronous_full_and_the_pool_gets_normal_back(studio, admin):
    seen = []
    with Service(studio).operation(admin, ops.MODEL_LIST) as op:
        seen.append(op.session.connection().exec_driver_sql("PRAGMA synchronous").scalar())
    with studio.db.session() as s:
        seen.append(s.connection().exec_driver_sql("PRAGMA synchronous").scalar())
    assert seen == [2, 1]  # FULL, then NORMAL on the same pooled connection
