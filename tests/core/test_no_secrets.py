"""A full accounts scenario, then a search of every file in the data folder (database, its WAL, the anchor,
the application log, exports) for the passwords and key bytes used: none may appear."""

from __future__ import annotations

import logging

import pytest

from studio.core.errors import AuthenticationError
from studio.core.security import keys, passwords, policy
from studio.core.security.session import audit_keys_of, audit_secret_of
from studio.core.services import Studio
from studio.core.stores.audit import AuditFilter

PASSWORDS = {
    "root": "Walnut-Secret-8812-Rt",
    "alice": "Harbor-Secret-4471-Al",
    "bob": "Meadow-Secret-9034-Bb",
}
ALICE_NEW = "Lantern-Changed-5520-Al"
BOB_RESET = "Compass-Reset-7781-Bb"


def forms(secret: bytes) -> list[bytes]:
    """The ways a secret could sit in a file: raw, hex, base64."""
    import base64

    return [secret, secret.hex().encode(), base64.b64encode(secret).rstrip(b"=")]


def test_no_password_or_key_reaches_the_database_or_the_logs(data_dir, monkeypatch):
    owners: dict[str, int] = {}
    monkeypatch.setitem(policy._REGISTRY, "model", policy.ObjectType(
        "model", lambda s, oid: owners.get(oid), None, None))
    logging.getLogger("studio").setLevel(logging.DEBUG)
    secrets: list[bytes] = []
    try:
        with Studio.open(data_dir) as studio:
            root = studio.accounts.create_first_admin("root", PASSWORDS["root"])
            studio.accounts.create_user(root, "alice", "trainer", PASSWORDS["alice"])
            studio.accounts.create_user(root, "bob", "viewer", PASSWORDS["bob"])
            with pytest.raises(AuthenticationError):
                studio.accounts.login("alice", PASSWORDS["bob"])  # someone else's password as a wrong one
            with pytest.raises(AuthenticationError):
                studio.accounts.login(PASSWORDS["alice"], PASSWORDS["alice"])  # the password typed as the name
            alice = studio.accounts.login("alice", PASSWORDS["alice"])
            bob = studio.accounts.login("bob", PASSWORDS["bob"])
            owners["1"] = alice.user_id
            model_key = b"M" * 16 + bytes(range(16))
            sealed = keys.seal(bob.public_key, model_key, b"model:1")
            studio.grants.add(alice, "bob", "model", 1, "use")
            assert bob.open_sealed(sealed, b"model:1") == model_key
            studio.accounts.change_password(alice, PASSWORDS["alice"], ALICE_NEW)
            old_bob_private = bob.private_key()
            studio.accounts.reset_password(root, "bob", BOB_RESET)
            bob2 = studio.accounts.login("bob", BOB_RESET)
            alice2 = studio.accounts.login("alice", ALICE_NEW)
            assert studio.audit.verify(root).ok
            studio.audit.export(root, data_dir / "export.jsonl")
            studio.audit.export(root, data_dir / "export.csv", AuditFilter(action="auth."))
            studio.accounts.logout(alice2)
            for session in (root, alice, bob, bob2):
                secrets += forms(keys._private_bytes(session.private_key()))
            secrets += forms(keys._private_bytes(old_bob_private))
            secrets += forms(audit_secret_of(root)) + forms(audit_keys_of(root).mac_key)
            secrets += forms(audit_keys_of(root).anchor_key) + forms(model_key)
            # The key-encryption keys derived from the passwords.
            from sqlalchemy import select

            from studio.core.db.tables.accounts import UserRow

            with studio.db.session() as s:
                for row in s.scalars(select(UserRow)):
                    salt, params = keys.parse_kdf_descriptor(row.key_kdf)
                    pw = {"alice": ALICE_NEW, "bob": BOB_RESET}.get(row.name, PASSWORDS.get(row.name))
                    secrets += forms(passwords.derive_key(pw, salt, params))
    finally:
        logging.getLogger("studio").setLevel(logging.INFO)
    for pw in (*PASSWORDS.values(), ALICE_NEW, BOB_RESET):
        secrets += [pw.encode("utf-8"), pw.encode("utf-16-le"), pw.lower().encode()]

    files = [p for p in data_dir.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"studio.db", "audit-anchor.db", "studio.log", "export.jsonl", "export.csv"} <= names, names
    assert (data_dir / "logs" / "studio.log").stat().st_size > 0
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret not in data, f"a secret was found in {path.relative_to(data_dir)}"
