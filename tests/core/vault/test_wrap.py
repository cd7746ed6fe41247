"""Key wrapping: HPKE to one public key, bound to its purpose, with no downgrade and no parsing before checks."""

import os
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from studio.core.vault import wrap
from studio.core.vault.errors import VaultKeyError


@pytest.fixture
def pair():
    key = X25519PrivateKey.generate()
    return key, wrap.raw_public(key)


def test_round_trip_and_fresh_ciphertext(pair):
    key, public = pair
    secret = os.urandom(32)
    info = wrap.info_data_key(b"v" * 16, b"a" * 16, "user", 7)
    a, b = wrap.wrap(secret, public, info), wrap.wrap(secret, public, info)
    assert a != b and len(a) == len(b) == wrap.WRAPPED_SIZE
    assert wrap.unwrap(a, key, info) == secret and secret not in a


def test_another_key_or_purpose_does_not_open(pair):
    key, public = pair
    secret = os.urandom(32)
    info = wrap.info_data_key(b"v" * 16, b"a" * 16, "user", 7)
    blob = wrap.wrap(secret, public, info)
    with pytest.raises(VaultKeyError):
        wrap.unwrap(blob, X25519PrivateKey.generate(), info)
    for other in (wrap.info_data_key(b"v" * 16, b"a" * 16, "user", 8),  # copied to another user's row
                  wrap.info_data_key(b"v" * 16, b"b" * 16, "user", 7),  # to another artifact
                  wrap.info_data_key(b"w" * 16, b"a" * 16, "user", 7),  # to another vault
                  wrap.info_data_key(b"v" * 16, b"a" * 16, "recovery"),
                  wrap.info_recovery_key(b"v" * 16, 7)):
        with pytest.raises(VaultKeyError):
            wrap.unwrap(blob, key, other)


def test_every_flipped_byte_is_refused(pair):
    key, public = pair
    blob = wrap.wrap(os.urandom(32), public, b"i")
    for pos in range(len(blob)):
        bad = bytearray(blob)
        bad[pos] ^= 1
        with pytest.raises(VaultKeyError):
            wrap.unwrap(bytes(bad), key, b"i")


def test_suite_and_length_are_checked_before_any_key_agreement(pair, monkeypatch):
    key, public = pair
    blob = wrap.wrap(os.urandom(32), public, b"i")
    calls = []

    class Spy:
        def decrypt(self, *a, **k):
            calls.append(a)
            raise AssertionError("HPKE must not run")

    monkeypatch.setattr(wrap, "_SUITE", Spy())
    downgraded = blob[:4] + struct.pack(">HHH", 0x0020, 0x0001, 0x0001) + blob[10:]  # AES-128-GCM
    for bad in (downgraded, blob + b"x", blob[:-1], b"XXXX" + blob[4:], b""):
        with pytest.raises(VaultKeyError):
            wrap.unwrap(bad, key, b"i")
    assert calls == []


def test_invalid_public_keys_are_refused():
    for bad in (b"", b"x" * 31, bytes(32)):
        with pytest.raises(VaultKeyError):
            wrap.wrap(os.urandom(32), bad, b"i")
