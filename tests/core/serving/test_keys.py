"""API keys as stored: only a keyed hash, rows authenticated with a key a database writer does not have, the
policy's checks of a key's user on every request, and what an attacker with plain sqlite3 can (not) do."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import pytest

from studio.core import operations as ops
from studio.core.errors import AccessDenied
from studio.core.security import policy
from studio.core.services.keys import KeyRejected, authority_of


def decide(studio, actor, obj_id="1"):
    with studio.db.session() as s:
        return policy.decide(s, actor, ops.SERVE_REQUEST, "model", obj_id)


def test_a_key_is_shown_once_and_stored_only_as_a_keyed_hash(studio, make_user, data_dir):
    user = make_user("viewer")
    made = studio.keys.create(user, "laptop", expires_in_s=3600, rate_per_min=5)
    assert made.token.startswith("msk_") and len(made.token) == 47 and made.token not in repr(made)
    listed = studio.keys.list(user)
    assert [(k.name, k.prefix, k.status, k.rate_per_min) for k in listed] == [
        ("laptop", made.token[:12], "active", 5)]
    studio.db.dispose()
    for f in data_dir.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            assert made.token.encode() not in data and made.token[12:].encode() not in data, f
    actor = studio.keys.authenticate(authority_of(user), made.token)
    assert (actor.user_name, actor.rate_per_min) == (user.user_name, 5)
    with pytest.raises(KeyRejected):
        studio.keys.authenticate(authority_of(user), made.token[:-1] + ("A" if made.token[-1] != "A" else "B"))


def test_keys_only_do_serving_and_follow_their_user(studio, make_user):
    user = make_user("viewer")
    made = studio.keys.create(user)
    actor = studio.keys.authenticate(authority_of(user), made.token)
    assert not decide(studio, actor, "7").allowed  # no grant on model 7
    with studio.db.session() as s:
        assert "API key may not" in policy.decide(s, actor, ops.MODEL_READ, "model", "7").reason
        assert "API key may not" in policy.decide(s, actor, ops.KEY_CREATE, "user", str(user.user_id)).reason
    studio.accounts.set_disabled(make_user.root(), user.user_name, True)
    assert decide(studio, actor).reason == "the account is disabled"
    studio.accounts.set_disabled(make_user.root(), user.user_name, False)
    studio.accounts.reset_password(make_user.root(), user.user_name, "Another-Password-99")
    assert decide(studio, actor).code == "voided"
    assert [k.status for k in studio.keys.list(make_user.root(), user=user.user_name)] == ["voided"]


def test_only_administrators_revoke_keys_of_others(studio, make_user):
    a, b = make_user("trainer"), make_user("viewer")
    key = studio.keys.create(b, "b's")
    with pytest.raises(Exception, match="no API key"):
        studio.keys.revoke(a, key.key.id)
    assert [k.name for k in studio.keys.list(a)] == []
    revoked = studio.keys.revoke(make_user.root(), key.key.id)
    assert revoked.status == "revoked"
    assert decide(studio, studio.keys.authenticate(authority_of(b), key.token)).code == "revoked"


def test_a_session_without_the_audit_secret_cannot_make_keys(studio, make_user):
    user = make_user("viewer")
    user.lock()
    with pytest.raises(Exception, match="audit key"):
        studio.keys.create(user)


@pytest.mark.parametrize("attack", ["move to the owner", "extend the expiry", "undo the revocation",
                                    "raise the rate", "forge a row"])
def test_a_database_writer_cannot_make_a_key_do_more(studio, make_user, data_dir, attack):
    owner = make_user("trainer", "owner")
    user = make_user("viewer", "someone")
    made = studio.keys.create(user, "k", expires_in_s=60, rate_per_min=10)
    if attack == "undo the revocation":
        studio.keys.revoke(user, "k")
    authority = authority_of(user)
    db = sqlite3.connect(data_dir / "studio.db")
    with db:
        if attack == "move to the owner":
            db.execute("UPDATE api_keys SET user_id = ?", (owner.user_id,))
        elif attack == "extend the expiry":
            db.execute("UPDATE api_keys SET expires_at = ?", ((datetime.now() + timedelta(days=9999)).isoformat(" "),))
        elif attack == "undo the revocation":
            db.execute("UPDATE api_keys SET revoked_at = NULL, revoked_by = NULL")
        elif attack == "raise the rate":
            db.execute("UPDATE api_keys SET rate_per_min = 100000")
        else:  # a row for a key the attacker chose, with any hash and MAC: they hold neither key
            db.execute("INSERT INTO api_keys (user_id, name, prefix, key_hash, key_generation, rate_per_min, "
                       "created_at, mac) VALUES (?, 'x', 'msk_x', ?, 1, 100000, '2026-01-01 00:00:00', ?)",
                       (owner.user_id, b"\x01" * 32, b"\x02" * 32))
    db.close()
    if attack == "forge a row":
        with pytest.raises(KeyRejected):
            studio.keys.authenticate(authority, "msk_" + "B" * 43)
        statuses = {k.name: k.status for k in studio.keys.list(make_user.root())}
        assert statuses == {"k": "active", "x": "tampered"}
        return
    with pytest.raises(KeyRejected, match="authentication check"):
        studio.keys.authenticate(authority, made.token)
    assert [k.status for k in studio.keys.list(make_user.root())] == ["tampered"]


def test_creating_and_revoking_keys_is_audited(studio, make_user):
    user = make_user("viewer")
    start = studio.audit_store.max_seq()
    made = studio.keys.create(user, "ci")
    studio.keys.revoke(user, "ci")
    entries = sorted(studio.audit_store.page(after_seq=start), key=lambda e: e.seq)
    assert [(e.action, e.outcome) for e in entries] == [("key.create", "allowed"), ("key.revoke", "allowed")]
    assert entries[0].details["key"] == made.token[:12] and made.token not in entries[0].details_json


def test_serving_needs_the_use_grant_on_each_model(studio, make_user):
    from studio.core.models.gpt import model_tensors
    from studio.core.serving.options import ServeOptions
    from tests.core.serving.conftest import TOKENIZER, tiny_gpt

    owner, other = make_user("trainer"), make_user("trainer")
    model = tiny_gpt()
    mine = studio.vault.add_version(owner, None, model_tensors(model), name="mine", config=model.config.to_dict(),
                                    tokenizer=TOKENIZER.to_json())
    with pytest.raises(AccessDenied):  # by id (by name, a model he cannot see does not exist for him)
        studio.serving.start(other, [str(mine.model_id)], ServeOptions(port=0))

