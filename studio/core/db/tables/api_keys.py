from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from studio.core.db.base import Base


class ApiKeyRow(Base):
    """An API key of one user, for the OpenAI-compatible server. The key itself is never stored: only its
    keyed hash (HMAC under a key derived from the audit secret, which a database writer without a password
    does not have), and `mac` authenticates the whole row the same way (security/apikeys.py), so that an
    edited owner, expiry or revocation is refused rather than believed."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)  # the public start of the key, for display
    key_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False, unique=True)
    key_generation: Mapped[int] = mapped_column(Integer, nullable=False)  # the user's, at creation
    rate_per_min: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    created_by: Mapped[int | None] = mapped_column(Integer)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_by: Mapped[int | None] = mapped_column(Integer)
    mac: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
