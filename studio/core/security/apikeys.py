"""API keys: what an HTTP client of `studio serve` presents instead of a password.

A key is `msk_` followed by 32 random bytes in base64url (256 bits). It is shown once, when it is made, and
never stored: the database keeps

- `key_hash = HMAC-SHA256(K_hash, key)`, the lookup of a presented key, and
- `mac = HMAC-SHA256(K_row, canonical(row))`, over every field that decides what the key may do (owner,
  the owner's key generation, expiry, revocation, rate).

Both keys are derived (HKDF) from the audit secret, which exists only sealed to each user's public key, so
only a logged-in user holds them. A database writer without a password can neither mint a key (no K_hash),
nor move a key to another user, extend it, or undo a revocation (no K_row): such a row is refused, loudly.
Deleting a row revokes the key (the safe direction).

`ApiKeyActor` is the principal of one request: the key's user, acting through that key. The policy treats it
like a session of that user for the few operations a key may do (`KEY_OPERATIONS`), re-reading the key row
and the account on every request, so that a revoked key, a disabled user or a revoked grant stops the next
request at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from studio.core.db.tables.api_keys import ApiKeyRow


# Besides its own MAC (which says the row is one the studio made), each key row is an access row of its own
# scope "apikey:<id>" (security/rowauth.py): versioned and anchored outside studio.db, so that a row restored
# from a copy taken before its revocation is refused too.
def _protect() -> None:
    from studio.core.security import rowauth

    rowauth.protect(ApiKeyRow, "apikey", ("id", "user_id", "key_hash", "key_generation", "rate_per_min",
                                          "expires_at", "revoked_at"), id_column="id")


_protect()

PREFIX = "msk_"
_FORMAT = 1
_TOKEN_CHARS = len(PREFIX) + 43  # 32 bytes in unpadded base64url
DISPLAY_CHARS = len(PREFIX) + 8


@dataclass(frozen=True)
class KeyAuthority:
    """The two keys derived from the audit secret: one hashes presented keys, one authenticates rows."""

    hash_key: bytes
    row_key: bytes
    acl: Any = None  # the AuditKeys of the same secret: a key's requests check access rows with them (rowauth)

    @classmethod
    def from_secret(cls, secret: bytes) -> KeyAuthority:
        from studio.core.security.session import AuditKeys

        def derive(info: bytes) -> bytes:
            return HKDF(hashes.SHA256(), 32, salt=None, info=b"model-studio api keys v1|" + info).derive(secret)

        return cls(derive(b"key hash"), derive(b"row mac"), AuditKeys.from_secret(secret))

    def hash(self, token: str) -> bytes:
        return hmac.digest(self.hash_key, token.encode("utf-8"), "sha256")

    def row_mac(self, row: ApiKeyRow) -> bytes:
        return hmac.digest(self.row_key, canonical(row), "sha256")

    def row_ok(self, row: ApiKeyRow) -> bool:
        return row.mac is not None and hmac.compare_digest(self.row_mac(row), bytes(row.mac))

    def __repr__(self) -> str:
        return "KeyAuthority(<hidden>)"


def new_token() -> str:
    return PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")


def looks_like_token(text: str) -> bool:
    return len(text) == _TOKEN_CHARS and text.startswith(PREFIX) and text[len(PREFIX):].replace("-", "a").replace(
        "_", "a").isalnum()


def display_prefix(token: str) -> str:
    """What may be shown and recorded of a presented key: its first characters (never enough to use it)."""
    return token[:DISPLAY_CHARS] if token.startswith(PREFIX) else "(not a studio key)"


def fingerprint(token: str) -> str:
    """A short unkeyed digest of a presented key, for the log of a refused one (tells two wrong keys apart
    without storing anything that helps to guess them: 32 bits of SHA-256 of 256 random bits)."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:8]


def _ts(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%S.%f")


def canonical(row: ApiKeyRow) -> bytes:
    fields = [_FORMAT, row.id, row.user_id, row.name, row.prefix, bytes(row.key_hash).hex(), row.key_generation,
              row.rate_per_min, _ts(row.created_at), row.created_by, _ts(row.expires_at), _ts(row.revoked_at),
              row.revoked_by]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def row_problem(row: ApiKeyRow | None, authority: KeyAuthority, now: datetime | None = None) -> tuple[str, str] | None:
    """(code, why) this key row may not act now, or None when it may. Codes: missing, tampered, revoked,
    expired (an HTTP server answers all four with 401)."""
    if row is None:
        return "missing", "the API key does not exist (deleted)"
    if not authority.row_ok(row):
        return "tampered", "the API key's record failed its authentication check (edited outside the studio)"
    if row.revoked_at is not None:
        return "revoked", "the API key was revoked"
    if row.expires_at is not None and (now or utcnow()) >= row.expires_at:
        return "expired", "the API key has expired"
    return None


class ApiKeyActor:
    """The key's user, acting through key `key_id` (duck-types studio.core.actor.Actor). It holds no private
    key: everything it may do is decided by the policy on every request, never by cryptography alone."""

    def __init__(self, key_id: int, user_id: int, user_name: str, role: str, authority: KeyAuthority,
                 rate_per_min: int = 0, prefix: str = ""):
        self.key_id = key_id
        self.user_id = user_id
        self.user_name = user_name
        self.role = role
        self.rate_per_min = rate_per_min
        self.prefix = prefix
        self._authority = authority

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def authority(self) -> KeyAuthority:
        return self._authority

    def __reduce__(self):
        raise TypeError("an ApiKeyActor holds key material and is never pickled")

    def __repr__(self) -> str:
        return f"ApiKeyActor(key {self.key_id}, user {self.user_name!r})"
