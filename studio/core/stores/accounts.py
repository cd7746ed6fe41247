"""Users, grants and login attempts as frozen dataclasses. Services that change them do so inside
`Service.operation` on its session, with the helpers here; plain reads open their own session."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from studio.core.db import Database
from studio.core.db.tables.accounts import GrantRow, LoginAttemptRow, UserRow
from studio.core.errors import NotFoundError, ValidationError
from studio.core.messages import msg
from studio.core.security import rowauth, throttle

_NAME = re.compile(r"^\w[\w.\-]{0,63}$")

# What decides access (security/rowauth.py): an account's identity, role, status and public key; and every
# grant, in the scope of the object it is on.
# `trust` (the user's pin of their audit secret, security/pins.py) too: nulling it must not make the next
# login pin a secret someone else chose.
rowauth.protect(UserRow, "user", ("id", "name_key", "role", "disabled", "public_key", "key_generation", "trust"),
                id_column="id", key=("id",))
rowauth.protect(GrantRow, None, ("obj_type", "obj_id", "user_id", "permission", "granted_by"),
                type_column="obj_type", id_column="obj_id", key=("user_id", "permission"))


def verified_user(session: Session, user_id: int) -> UserRow | None:
    """The account row, after its access rows verified (TamperedRowError otherwise)."""
    rowauth.verify(session, rowauth.scope_name("user", user_id))
    return session.get(UserRow, user_id)


def sees_everything(session: Session, actor: object) -> bool:
    """Whether a name lookup covers every owner's objects: for the studio itself and administrators (by the
    account's verified role; a row that does not verify counts as not an administrator here, and the
    operation that follows refuses it, recorded)."""
    user_id = getattr(actor, "user_id", None)
    if user_id is None:
        return getattr(actor, "role", None) == "system"
    try:
        row = verified_user(session, user_id)
    except (rowauth.TamperedRowError, rowauth.RowAuthError):
        return False
    return row is not None and row.role == "admin"


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    disabled: bool
    failed_attempts: int
    locked: bool  # too many failed logins in a row
    created_at: datetime
    last_login_at: datetime | None
    must_change_password: bool
    key_generation: int

    @property
    def status(self) -> str:
        return "disabled" if self.disabled else "locked" if self.locked else "active"


@dataclass(frozen=True)
class Grant:
    id: int
    user_id: int
    user_name: str
    obj_type: str
    obj_id: str
    permission: str
    granted_by: int | None
    granted_at: datetime
    obj_name: str | None = None  # the model's or dataset's name (the grants service fills it in)


def name_key(name: str) -> str:
    return (name or "").strip().casefold()


def check_user_name(name: str) -> str:
    name = (name or "").strip()
    if not _NAME.match(name) or len(name_key(name)) > 64:
        raise ValidationError(
            msg("A user name has 1 to 64 letters, digits, '.', '_' or '-', and starts with a letter or digit."),
            field="name",
        )
    return name


def user_row_by_name(session: Session, name: str) -> UserRow | None:
    return session.scalar(select(UserRow).where(UserRow.name_key == name_key(name)))


def require_user_row(session: Session, name: str) -> UserRow:
    row = user_row_by_name(session, name)
    if row is None:
        raise NotFoundError(msg("There is no user named {name!r} (see `studio users list`).", name=name))
    return row


def user_subject(user_id: int) -> str:
    """The login-throttling key of an existing account."""
    return f"user:{user_id}"


def failures_of(session: Session, user_id: int) -> int:
    row = session.get(LoginAttemptRow, user_subject(user_id))
    return row.failures if row else 0


def to_user(row: UserRow, failures: int) -> User:
    return User(row.id, row.name, row.role, row.disabled, failures, throttle.is_locked(failures), row.created_at,
                row.last_login_at, row.must_change_password, row.key_generation)


def to_grant(row: GrantRow, user_name: str) -> Grant:
    return Grant(row.id, row.user_id, user_name, row.obj_type, row.obj_id, row.permission, row.granted_by,
                 row.granted_at)


def public_key_of(session: Session, user_id: int) -> bytes:
    """A user's X25519 public key (raw 32 bytes), to seal a secret to them inside another operation."""
    row = session.get(UserRow, user_id)
    if row is None:
        raise NotFoundError(msg("There is no user with id {user_id}.", user_id=user_id))
    return bytes(row.public_key)


def grant_rows(session: Session, user_id: int | None = None, obj_type: str | None = None,
               obj_id: str | None = None) -> list[Grant]:
    q = select(GrantRow, UserRow.name).join(UserRow, UserRow.id == GrantRow.user_id)
    if user_id is not None:
        q = q.where(GrantRow.user_id == user_id)
    if obj_type is not None:
        q = q.where(GrantRow.obj_type == obj_type)
    if obj_id is not None:
        q = q.where(GrantRow.obj_id == obj_id)
    q = q.order_by(GrantRow.obj_type, GrantRow.obj_id, UserRow.name_key, GrantRow.permission)
    return [to_grant(g, n) for g, n in session.execute(q).all()]


class AccountStore:
    def __init__(self, db: Database):
        self._db = db

    def count_users(self) -> int:
        with self._db.session() as s:
            return int(s.scalar(select(func.count()).select_from(UserRow)) or 0)

    def list_users(self) -> list[User]:
        with self._db.session() as s:
            failures = dict(s.execute(select(LoginAttemptRow.subject, LoginAttemptRow.failures)).all())
            rows = s.scalars(select(UserRow).order_by(UserRow.name_key)).all()
            return [to_user(u, failures.get(user_subject(u.id), 0)) for u in rows]

    def find(self, name: str) -> User | None:
        with self._db.session() as s:
            row = user_row_by_name(s, name)
            return None if row is None else to_user(row, failures_of(s, row.id))

    def get(self, user_id: int) -> User:
        with self._db.session() as s:
            row = s.get(UserRow, user_id)
            if row is None:
                raise NotFoundError(msg("There is no user with id {user_id}.", user_id=user_id))
            return to_user(row, failures_of(s, row.id))

    def public_key(self, user_id: int) -> bytes:
        with self._db.session() as s:
            return public_key_of(s, user_id)

    def grants(self, user_id: int | None = None, obj_type: str | None = None, obj_id: str | None = None) -> list[Grant]:
        with self._db.session() as s:
            return grant_rows(s, user_id, obj_type, obj_id)
