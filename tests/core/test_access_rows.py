"""Access rows (security/rowauth.py): how they are authenticated as the studio works, adopted once in a data
folder from before, and pinned per user (security/pins.py). The attacks are in test_db_writer_attacks.py."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import select

from studio.core.db.migrate import alembic_config
from studio.core.db.tables.accounts import UserRow
from studio.core.security import rowauth
from studio.core.security.anchor import _tag
from studio.core.security.rowauth import RowAuthError, TamperedRowError
from studio.core.security.session import audit_keys_of
from studio.core.services import Studio
from studio.core.stores.audit import AuditFilter
from tests.conftest import TEST_PASSWORD
from tests.core.vault.conftest import tiny_tensors


def scopes(data_dir) -> dict[str, int]:
    with closing(sqlite3.connect(data_dir / "studio.db")) as conn:
        return dict(conn.execute("SELECT scope, epoch FROM acl_scopes"))


def test_every_object_of_a_new_folder_is_authenticated_as_it_is_made(studio, admin, make_user):
    alice = make_user("trainer", "alice")
    studio.vault.add_version(alice, None, tiny_tensors(), name="m")
    studio.vault.share(alice, "m", "admin", "use")
    found = scopes(studio.paths.root)
    model = studio.vault.model_id("m", alice)
    assert {"user:1", f"user:{alice.user_id}", f"model:{model}", "vault:1"} <= set(found)
    assert found[f"model:{model}"] >= 2  # made, then shared: a new version each time
    anchor = studio.audit_store.anchor.read(audit_keys_of(admin).anchor_key)
    assert anchor.adopted


def test_a_change_without_a_login_is_refused_but_removing_an_object_is_not(data_dir):
    with Studio.open(data_dir) as studio:
        root = studio.accounts.create_first_admin("root", TEST_PASSWORD)
        studio.accounts.create_user(root, "alice", "trainer", TEST_PASSWORD)
    with Studio.open(data_dir) as studio:  # a process where nobody is logged in
        with pytest.raises(RowAuthError):
            with studio.db.session() as s:
                s.scalar(select(UserRow).where(UserRow.name == "alice")).role = "admin"
        with pytest.raises(RowAuthError):
            with studio.db.session() as s:
                rowauth.verify(s, "user:2")


def test_a_forged_row_is_not_laundered_by_a_later_genuine_change(studio, admin, make_user):
    make_user("trainer", "alice")
    with closing(sqlite3.connect(studio.paths.db)) as conn:
        conn.execute("UPDATE users SET role = 'admin' WHERE name = 'alice'")
        conn.commit()
    with pytest.raises(TamperedRowError):  # disabling her would re-authenticate her row, forged role and all
        studio.accounts.set_disabled(admin, "alice", True)
    with closing(sqlite3.connect(studio.paths.db)) as conn:
        assert conn.execute("SELECT role, disabled FROM users WHERE name = 'alice'").fetchone() == ("admin", 0)


def _as_before_access_rows(data_dir, admin_keys):
    """Make the folder look like one from before this change: no acl_scopes, no pins, an anchor of version 1."""
    ours = next(r for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()
                if r.path.endswith("_access_rows.py"))
    with Studio.open(data_dir) as studio:
        with studio.db.engine.begin() as conn:
            command.downgrade(alembic_config(conn), ours.down_revision)
    with closing(sqlite3.connect(data_dir / "audit-anchor.db")) as conn:
        seq, mac = conn.execute("SELECT seq, mac FROM anchor").fetchone()
        conn.execute("UPDATE anchor SET tag = ?", (_tag(admin_keys.anchor_key, seq, mac, adopted=False),))
        conn.execute("DELETE FROM acl_anchor")
        conn.commit()


def test_a_folder_from_before_is_adopted_at_the_first_administrator_login(data_dir):
    with Studio.open(data_dir) as studio:
        root = studio.accounts.create_first_admin("root", TEST_PASSWORD)
        studio.accounts.create_user(root, "alice", "trainer", TEST_PASSWORD)
        alice = studio.accounts.login("alice", TEST_PASSWORD)
        studio.vault.add_version(alice, None, tiny_tensors(), name="m")
        keys = audit_keys_of(root)
    _as_before_access_rows(data_dir, keys)
    with Studio.open(data_dir) as studio:
        with pytest.raises(TamperedRowError) as refused:  # before an administrator has logged in once
            studio.accounts.login("alice", TEST_PASSWORD)
        assert "an administrator must log in once first" in str(refused.value)
        root = studio.accounts.login("root", TEST_PASSWORD)
        entry = studio.audit_store.page(AuditFilter(action="auth.login", user="root"), limit=1)[0]
        assert entry.details["adopted"]["users"] == ["root (admin)", "alice (trainer)"]
        assert entry.details["adopted"]["scopes"] >= 4
        alice = studio.accounts.login("alice", TEST_PASSWORD)  # and her first login pins her copy of the secret
        assert studio.audit_store.page(AuditFilter(user="alice"), limit=1)[0].details.get("pinned") is True
        assert studio.vault.load(alice, "m").tensors
    with closing(sqlite3.connect(data_dir / "studio.db")) as conn:
        assert conn.execute("SELECT COUNT(*) FROM users WHERE trust IS NULL").fetchone()[0] == 0
        conn.execute("DELETE FROM acl_scopes")  # every record gone: nothing is adopted a second time
        conn.commit()
    with Studio.open(data_dir) as studio:
        with pytest.raises(TamperedRowError):
            studio.accounts.login("root", TEST_PASSWORD)
