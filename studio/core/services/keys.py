"""API keys for the OpenAI-compatible server: create (shown once), list, revoke, and authenticate a presented
key. What is stored and why is in security/apikeys.py; what a key may do is the policy's (`OpSpec.by_key`).

Every user makes keys for their own account; an administrator can also list and revoke anyone's. Making or
revoking a key needs the audit secret (any logged-in user holds it), because the row is authenticated with a
key derived from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from studio.core import operations as ops
from studio.core.db.tables.accounts import UserRow
from studio.core.db.tables.api_keys import ApiKeyRow
from studio.core.errors import AuthenticationError, NotFoundError, StudioError, ValidationError
from studio.core.security import apikeys
from studio.core.security.apikeys import ApiKeyActor, KeyAuthority
from studio.core.security.session import audit_secret_of
from studio.core.services.base import Service
from studio.core.serving.options import DEFAULT_RATE_PER_MIN  # noqa: F401 (re-exported)
from studio.core.stores.api_keys import ApiKey, to_api_key

MAX_RATE_PER_MIN = 100_000


@dataclass(frozen=True)
class NewKey:
    """A key just made: `token` is the key itself, shown this once and never again."""

    key: ApiKey
    token: str

    def __repr__(self) -> str:
        return f"NewKey({self.key!r}, token=<hidden>)"


class KeyRejected(AuthenticationError):
    """A presented API key that may not act: `reason` in words, `code` for the HTTP error."""

    def __init__(self, message: str, code: str = "invalid_api_key"):
        super().__init__(message)
        self.code = code


def authority_of(actor: object) -> KeyAuthority:
    secret = audit_secret_of(actor)
    if secret is None:
        raise StudioError("This session holds no audit key, which API keys are authenticated with; log in again.")
    return KeyAuthority.from_secret(secret)


def _status(row: ApiKeyRow, user: UserRow, authority: KeyAuthority | None, now: datetime) -> str:
    if authority is not None and not authority.row_ok(row):
        return "tampered"
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and now >= row.expires_at:
        return "expired"
    if user.key_generation != row.key_generation:
        return "voided"
    return "active" if authority is not None else "unverified"


class KeyService(Service):
    now = staticmethod(apikeys.utcnow)

    def create(self, actor, name: str = "", *, expires_in_s: float | None = None,
               rate_per_min: int = DEFAULT_RATE_PER_MIN) -> NewKey:
        name = (name or "").strip()
        if len(name) > 64:
            raise ValidationError("A key's name has at most 64 characters.", field="name")
        if expires_in_s is not None and expires_in_s <= 0:
            raise ValidationError("A key must expire in the future (or never).", field="expires")
        if not 1 <= int(rate_per_min) <= MAX_RATE_PER_MIN:
            raise ValidationError(f"The rate limit is 1 to {MAX_RATE_PER_MIN} requests a minute.", field="rate")
        authority = authority_of(actor)
        token = apikeys.new_token()
        now = self.now()
        with self.operation(actor, ops.KEY_CREATE, "user", actor.user_id) as op:
            user = op.session.get(UserRow, actor.user_id)
            if user is None:
                raise NotFoundError("Your account no longer exists.")
            count = len(op.session.scalars(select(ApiKeyRow.id).where(ApiKeyRow.user_id == user.id)).all())
            row = ApiKeyRow(user_id=user.id, name=name or f"key {count + 1}", prefix=apikeys.display_prefix(token),
                            key_hash=authority.hash(token), key_generation=user.key_generation,
                            rate_per_min=int(rate_per_min), created_at=now, created_by=actor.user_id,
                            expires_at=None if expires_in_s is None else now + timedelta(seconds=expires_in_s),
                            mac=b"")
            op.session.add(row)
            op.session.flush()  # the id is part of what the MAC covers
            row.mac = authority.row_mac(row)
            op.session.flush()
            op.obj_id = str(user.id)
            op.details.update(key_id=row.id, key=row.prefix, name=row.name, rate_per_min=row.rate_per_min,
                              expires_at=row.expires_at.isoformat() if row.expires_at else None)
            return NewKey(to_api_key(row, user.name, "active"), token)

    def list(self, actor, user: str | None = None) -> list[ApiKey]:
        """One's own keys; an administrator's call lists everyone's (or `user`'s)."""
        self.check(actor, ops.KEY_LIST)
        secret = audit_secret_of(actor)
        authority = KeyAuthority.from_secret(secret) if secret is not None else None
        now = self.now()
        with self.studio.db.session() as s:
            me = s.get(UserRow, actor.user_id)
            q = select(ApiKeyRow, UserRow).join(UserRow, UserRow.id == ApiKeyRow.user_id)
            if me is None or me.role != "admin":
                q = q.where(ApiKeyRow.user_id == actor.user_id)
            elif user:
                q = q.where(UserRow.name_key == user.strip().casefold())
            rows = s.execute(q.order_by(UserRow.name_key, ApiKeyRow.id)).all()
            return [to_api_key(k, u.name, _status(k, u, authority, now)) for k, u in rows]

    def revoke(self, actor, key: int | str) -> ApiKey:
        """Revoke a key (by id, name among one's own keys, or its displayed prefix). Takes effect at the next
        request: the server reads the key row for every request."""
        authority = authority_of(actor)
        with self.studio.db.session() as s:
            row = self._find(s, actor, key)
            owner = row.user_id
        with self.operation(actor, ops.KEY_REVOKE, "user", owner, key_id=row.id) as op:
            row = op.session.get(ApiKeyRow, row.id)
            if row is None:
                raise NotFoundError(f"There is no API key {key!r}.")
            user = op.session.get(UserRow, row.user_id)
            if not authority.row_ok(row):
                op.details["tampered"] = True  # revoking is still the safe direction; the MAC is made afresh
            if row.revoked_at is None:
                row.revoked_at, row.revoked_by = self.now(), actor.user_id
            row.mac = authority.row_mac(row)
            op.details.update(key=row.prefix, name=row.name)
            op.session.flush()
            return to_api_key(row, user.name if user else "?", "revoked")

    def _find(self, s, actor, key: int | str) -> ApiKeyRow:
        text = str(key).strip()
        me = s.get(UserRow, actor.user_id)
        is_admin = me is not None and me.role == "admin"
        rows: list[ApiKeyRow] = []
        if text.isdigit():
            row = s.get(ApiKeyRow, int(text))
            rows = [row] if row is not None else []
        else:
            q = select(ApiKeyRow).where((ApiKeyRow.name == text) | (ApiKeyRow.prefix == text[:apikeys.DISPLAY_CHARS]))
            rows = list(s.scalars(q).all())
        if not is_admin:
            rows = [r for r in rows if r.user_id == actor.user_id]
        if not rows:
            raise NotFoundError(f"You have no API key {text!r} (see `studio keys list`).")
        if len(rows) > 1:
            raise ValidationError(f"{len(rows)} keys are called {text!r}; give the key's id instead.", field="key")
        return rows[0]

    # -- the server's side ---------------------------------------------------------------------------------
    def authenticate(self, authority: KeyAuthority, token: str) -> ApiKeyActor:
        """Whose key this is, or KeyRejected when it is no key of this studio (unknown, or its row fails its
        check). A revoked or expired key still names its user, so that the refusal the policy then gives
        (for every request: `policy.decide`) is recorded against them."""
        token = (token or "").strip()
        if not apikeys.looks_like_token(token):
            raise KeyRejected("Incorrect API key provided: a studio key starts with 'msk_' "
                              "(make one with `studio keys create`).")
        digest = authority.hash(token)
        with self.studio.db.session() as s:
            row = s.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == digest))
            if row is None:
                raise KeyRejected("Incorrect API key provided: no such key (make one with `studio keys create`).")
            if not authority.row_ok(row):
                raise KeyRejected("Incorrect API key provided: the key's record failed its authentication check "
                                  "(edited outside the studio).", "api_key_tampered")
            user = s.get(UserRow, row.user_id)
            if user is None:
                raise KeyRejected("Incorrect API key provided: its user no longer exists.")
            return ApiKeyActor(row.id, user.id, user.name, user.role, authority, row.rate_per_min, row.prefix)
