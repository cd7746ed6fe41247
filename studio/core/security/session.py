"""A logged-in user: what services receive as `actor`.

UserSession duck-types studio.core.actor.Actor (user_id, user_name, role, is_admin) and holds, in memory
only, the user's unwrapped X25519 private key and the audit key that this user's login unwrapped. `lock()`
drops both; after it every use raises SessionLockedError, and the policy refuses the session.

It cannot be pickled: keys never travel to another process by accident.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from studio.core.errors import SessionLockedError
from studio.core.security import keys


@dataclass(frozen=True)
class AuditKeys:
    """Keys derived from the audit secret: one MACs entries, one authenticates the anchors kept outside
    studio.db (the log's head, the versions of access rows), one MACs access rows (security/rowauth.py)."""

    mac_key: bytes
    anchor_key: bytes
    rows_key: bytes

    @classmethod
    def from_secret(cls, secret: bytes) -> AuditKeys:
        def derive(info: bytes) -> bytes:
            return HKDF(hashes.SHA256(), 32, salt=None, info=b"model-studio audit v1|" + info).derive(secret)

        return cls(derive(b"entry mac"), derive(b"head anchor"), derive(b"access rows"))

    def __repr__(self) -> str:
        return "AuditKeys(<hidden>)"


class UserSession:
    def __init__(self, user_id: int, user_name: str, role: str, private_key: X25519PrivateKey,
                 audit_secret: bytes | None, key_generation: int = 1):
        self.user_id = user_id
        self.user_name = user_name
        self.role = role
        self.key_generation = key_generation
        self.public_key = keys.public_bytes(private_key)
        self._private: X25519PrivateKey | None = private_key
        self._audit: AuditKeys | None = AuditKeys.from_secret(audit_secret) if audit_secret else None
        self._audit_secret = bytearray(audit_secret) if audit_secret else None
        self._lock = threading.Lock()

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def locked(self) -> bool:
        return self._private is None

    def private_key(self) -> X25519PrivateKey:
        """The user's X25519 private key (for the vault to open keys sealed to this user)."""
        key = self._private
        if key is None:
            raise SessionLockedError(
                f"The session of {self.user_name} is locked: its keys are no longer in memory. Log in again."
            )
        return key

    def open_sealed(self, blob: bytes, aad: bytes = b"") -> bytes:
        """Open a secret sealed to this user's public key (studio.core.security.keys.seal)."""
        return keys.open_sealed(self.private_key(), blob, aad)

    def lock(self) -> None:
        """Drop the keys from memory. OpenSSL clears the private key when its object is freed; the audit
        secret is a bytearray, zeroed here."""
        with self._lock:
            self._private = None
            self._audit = None
            if self._audit_secret is not None:
                for i in range(len(self._audit_secret)):
                    self._audit_secret[i] = 0
                self._audit_secret = None

    def _audit_secret_bytes(self) -> bytes:
        if self._audit_secret is None:
            raise SessionLockedError(f"The session of {self.user_name} holds no audit key (locked or never given).")
        return bytes(self._audit_secret)

    def __reduce__(self):
        raise TypeError("a UserSession holds private keys and is never pickled; log in within that process")

    def __repr__(self) -> str:
        state = "locked" if self.locked else "open"
        return f"UserSession({self.user_name!r}, id={self.user_id}, role={self.role!r}, {state})"


def audit_keys_of(actor: object) -> AuditKeys | None:
    """The audit keys an actor holds, if it is an open UserSession that was given them."""
    if isinstance(actor, UserSession):
        return actor._audit
    return None


def acl_keys_of(actor: object) -> AuditKeys | None:
    """The keys an actor authenticates access rows with: an open UserSession's, or those an API key's server
    was started with (its `authority.acl`)."""
    if isinstance(actor, UserSession):
        return actor._audit
    return getattr(getattr(actor, "authority", None), "acl", None)


def audit_secret_of(actor: object) -> bytes | None:
    if isinstance(actor, UserSession) and actor._audit_secret is not None:
        return actor._audit_secret_bytes()
    return None
