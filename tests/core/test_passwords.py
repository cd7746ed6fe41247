import pytest
from sqlalchemy import select

from studio.core.db.tables.accounts import UserRow
from studio.core.errors import IntegrityError, ValidationError
from studio.core.security import keys, passwords
from tests.conftest import TEST_PASSWORD


def test_production_parameters_meet_rfc_9106_second_recommendation():
    prod, rfc = passwords.PRODUCTION, passwords.Argon2Params(time_cost=3, lanes=4, memory_kib=64 * 1024)
    assert prod.time_cost >= rfc.time_cost and prod.lanes >= rfc.lanes and prod.memory_kib >= rfc.memory_kib


def test_a_stored_phc_string_carries_the_production_parameters(studio, monkeypatch):
    # The autouse fixture lowered the cost; put production back for this one account (about 0.2-0.4 s a hash).
    monkeypatch.setattr(passwords, "_active", passwords.PRODUCTION)
    studio.accounts.create_first_admin("root", TEST_PASSWORD)
    with studio.db.session() as s:
        row = s.scalar(select(UserRow))
        phc, kdf = row.password_phc, row.key_kdf
    assert phc.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert passwords.parse_params(phc) == passwords.PRODUCTION
    assert kdf.startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # the key-encryption key too
    assert TEST_PASSWORD not in phc
    assert passwords.verify_password(TEST_PASSWORD, phc) and not passwords.verify_password("Quartz-Falcon-7318", phc)


def test_every_hash_has_its_own_salt():
    a, b = passwords.hash_password(TEST_PASSWORD), passwords.hash_password(TEST_PASSWORD)
    assert a != b and a.split("$")[4] != b.split("$")[4]


def test_login_rehashes_when_the_parameters_change(studio, make_user):
    alice = make_user("trainer", "alice")
    with studio.db.session() as s:
        old = s.scalar(select(UserRow).where(UserRow.name == "alice")).password_phc
    assert passwords.parse_params(old) == passwords.active_params()
    stronger = passwords.Argon2Params(time_cost=2, lanes=1, memory_kib=128)
    passwords.set_active_params(stronger)
    studio.accounts.login("alice", TEST_PASSWORD)
    with studio.db.session() as s:
        row = s.scalar(select(UserRow).where(UserRow.name == "alice"))
        new, kdf = row.password_phc, row.key_kdf
    assert passwords.parse_params(new) == stronger and new != old
    assert kdf.startswith("$argon2id$v=19$m=128,t=2,p=1$")
    assert studio.audit_store.page(limit=1)[0].details == {"rehashed": True, "key_rewrapped": True}
    # ...and the rewrapped key still opens: the next login gives the same key pair.
    again = studio.accounts.login("alice", TEST_PASSWORD)
    assert again.public_key == alice.public_key
    assert keys.public_bytes(again.private_key()) == alice.public_key


@pytest.mark.parametrize("password, why", [
    ("short-pw1", "at least 10"),
    ("password123!", "common"),
    ("Qwertyuiop", "common"),
    ("Password2024!", "common"),  # a common word with the usual decoration
    ("1234567890", "common"),
    ("aaaaaaaaaaaaaa", "too few"),
    ("my-alice-password-x", "user name"),
])
def test_password_rules_refuse_weak_passwords(password, why):
    with pytest.raises(ValidationError, match=why):
        passwords.check_password_rules(password, "alice")


def test_password_rules_accept_a_reasonable_password():
    passwords.check_password_rules("Quartz-Falcon-7319", "alice")
    assert len(passwords.common_passwords()) > 300


@pytest.mark.parametrize("phc", [
    "$argon2id$v=19$m=99999999999,t=3,p=4$c2FsdHNhbHRzYWx0c2FsdA$" + "A" * 43,  # 93 TiB: refused before the KDF
    "$argon2id$v=19$m=65536,t=9999,p=4$c2FsdHNhbHRzYWx0c2FsdA$" + "A" * 43,
    "$argon2i$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0c2FsdA$" + "A" * 43,
    "plaintext",
])
def test_stored_hashes_with_absurd_parameters_are_a_mismatch_not_a_hang(phc):
    with pytest.raises(ValueError):
        passwords.parse_params(phc)
    assert passwords.verify_password("anything-at-all", phc) is False


def test_private_key_wrap_round_trip_and_binding():
    private, public = keys.new_key_pair()
    kdf, blob = keys.wrap_private_key(private, TEST_PASSWORD, 5)
    assert keys.public_bytes(keys.unwrap_private_key(blob, kdf, TEST_PASSWORD, 5, public)) == public
    with pytest.raises(IntegrityError):
        keys.unwrap_private_key(blob, kdf, TEST_PASSWORD, 6, public)  # moved to another user
    flipped = bytearray(blob)
    flipped[20] ^= 1
    with pytest.raises(IntegrityError):
        keys.unwrap_private_key(bytes(flipped), kdf, TEST_PASSWORD, 5, public)


def test_sealed_secrets_open_only_for_their_recipient_and_context():
    alice, alice_pub = keys.new_key_pair()
    bob, _ = keys.new_key_pair()
    blob = keys.seal(alice_pub, b"model key bytes", b"model:7")
    assert keys.open_sealed(alice, blob, b"model:7") == b"model key bytes"
    assert keys.seal(alice_pub, b"model key bytes", b"model:7") != blob  # fresh ephemeral key and nonce
    with pytest.raises(IntegrityError):
        keys.open_sealed(bob, blob, b"model:7")
    with pytest.raises(IntegrityError):
        keys.open_sealed(alice, blob, b"model:8")
