"""Each user's signing key for exports: ECDSA P-256, the curve OpenSSF model signing's key mode takes.

Where it lives: the private key is never on disk in plaintext. It is sealed (security/keys.seal: ephemeral
X25519, HKDF, AES-256-GCM) to the user's X25519 public key, whose private half is itself stored only wrapped
under the user's password-derived key (Argon2id). So the signing key opens exactly when the user is logged in
(their session holds the X25519 key in memory), a password change needs nothing re-wrapped, and an
administrator's password reset (a new X25519 key pair) leaves the old signing key unopenable: the next
signature makes a new key, the old row is retired and kept, so that what it signed still verifies.

A row is authenticated (`mac`, HMAC-SHA256 under a key HKDF'd from the audit secret, like the API keys' rows)
over the user, the user's key generation, the fingerprint, the public key and the dates, so that a database
writer without a password cannot register their own key under someone else's name. The fingerprint is the
SHA-256 of the public key's PEM, which is what OMS writes into a signature as its key hint.

The rows of one user are also an access scope of their own, `signing:<user id>` (security/rowauth.py): all of
them, the sealed private key and the retirement included, under one MAC with a version anchored outside
studio.db, so that a row deleted, added, moved to another user, un-retired or restored from an older copy is
refused before a key is opened or a signer named. The row MAC above came first (migration 0011): rows that
only it authenticates, in a folder whose signing scope was never tagged (made between 0011 and this rule),
are adopted into the scope once, when their user or a verifier first needs them (`adoptable`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from studio.core.db.tables.signing_keys import SigningKeyRow
from studio.core.security import rowauth

CURVE = ec.SECP256R1
SCOPE_TYPE = "signing"

rowauth.protect(SigningKeyRow, SCOPE_TYPE, ("user_id", "key_generation", "fingerprint", "public_pem", "sealed_private",
                                            "created_at", "retired_at"), id_column="user_id", key=("fingerprint",))


def scope_of(user_id: int) -> str:
    return rowauth.scope_name(SCOPE_TYPE, user_id)


def fingerprint_of(public_pem: bytes) -> str:
    """OMS's key hint: the hex SHA-256 of the public key's PEM (SubjectPublicKeyInfo)."""
    return hashlib.sha256(public_pem).hexdigest()


def public_pem(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def new_key() -> tuple[ec.EllipticCurvePrivateKey, bytes, str]:
    """(private key, public PEM, fingerprint)."""
    private = ec.generate_private_key(CURVE())
    pem = public_pem(private.public_key())
    return private, pem, fingerprint_of(pem)


def seal_aad(user_id: int, fingerprint: str) -> bytes:
    return b"model-studio signing key v1|" + struct.pack(">Q", user_id) + fingerprint.encode("ascii")


def private_bytes(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def load_private(der: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_der_private_key(der, None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("not an EC private key")
    return key


@dataclass(frozen=True)
class RowAuthority:
    row_key: bytes

    @classmethod
    def from_secret(cls, secret: bytes) -> RowAuthority:
        return cls(HKDF(hashes.SHA256(), 32, salt=None, info=b"model-studio signing keys v1|row mac").derive(secret))

    def mac(self, row: SigningKeyRow) -> bytes:
        return hmac.digest(self.row_key, canonical(row), "sha256")

    def ok(self, row: SigningKeyRow) -> bool:
        return row.mac is not None and hmac.compare_digest(self.mac(row), bytes(row.mac))

    def __repr__(self) -> str:
        return "RowAuthority(<hidden>)"


def canonical(row: SigningKeyRow) -> bytes:
    def when(value: object) -> str | None:
        return None if value is None else value.isoformat()  # type: ignore[attr-defined]

    doc = {"v": 1, "user": row.user_id, "generation": row.key_generation, "fingerprint": row.fingerprint,
           "public": row.public_pem, "created": when(row.created_at), "retired": when(row.retired_at)}
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class SigningKey:
    """An opened signing key, in memory for one export."""

    user_id: int
    user_name: str
    fingerprint: str
    private: ec.EllipticCurvePrivateKey

    def __repr__(self) -> str:
        return f"SigningKey(user={self.user_name!r}, fingerprint={self.fingerprint[:16]}..., private=<hidden>)"
