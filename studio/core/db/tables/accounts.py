from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from studio.core.db.base import Base


class UserRow(Base):
    """A local account. The password exists only as an Argon2id PHC string; the private key only wrapped
    with a key derived from the password; the audit secret only sealed to the user's public key."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    name_key: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)  # casefolded, for lookups
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    password_phc: Mapped[str] = mapped_column(Text, nullable=False)
    key_kdf: Mapped[str] = mapped_column(Text, nullable=False)  # Argon2id descriptor of the key-encryption key
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    wrapped_private_key: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    key_generation: Mapped[int] = mapped_column(Integer, nullable=False, default=1)  # +1 on an admin reset
    sealed_audit_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The user's own pin of their copy of the audit secret: HMAC under a key derived from their private key,
    # so that nobody without their password can swap the secret for one they know (security/pins.py).
    trust: Mapped[bytes | None] = mapped_column(LargeBinary)


class GrantRow(Base):
    """One permission (use, export, manage) of one user on one object (model, dataset)."""

    __tablename__ = "grants"
    __table_args__ = (UniqueConstraint("user_id", "obj_type", "obj_id", "permission", name="uq_grants_user_object"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    obj_type: Mapped[str] = mapped_column(String(32), nullable=False)
    obj_id: Mapped[str] = mapped_column(String(200), nullable=False)
    permission: Mapped[str] = mapped_column(String(16), nullable=False)
    granted_by: Mapped[int | None] = mapped_column(Integer)
    granted_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class LoginAttemptRow(Base):
    """Consecutive failed logins, kept across restarts, per subject: "user:<id>" for an existing account, and
    "name:<4 hex digits>" (a keyed hash of the name, cut to 16 bits) for a name that does not exist, so that
    unknown names are throttled alike without storing what was typed (people type passwords as names)."""

    __tablename__ = "login_attempts"

    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime)
