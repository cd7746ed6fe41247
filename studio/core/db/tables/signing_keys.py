from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from studio.core.db.base import Base


class SigningKeyRow(Base):
    """A user's key for signing exports (OpenSSF model signing: ECDSA P-256). The private key exists only
    sealed to the user's X25519 public key (security/keys.seal), so only their logged-in session opens it; the
    public key and its fingerprint are what a verifier matches a signature to. `mac` authenticates the row with
    a key derived from the audit secret (security/signing_keys.py), so that a database writer without a
    password cannot put their key under another user's name. A row is kept after it is retired (a password
    reset makes a new one), so that what it signed still verifies."""

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    key_generation: Mapped[int] = mapped_column(Integer, nullable=False)  # the user's, at creation
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)  # sha256 of the public PEM
    public_pem: Mapped[str] = mapped_column(Text, nullable=False)
    sealed_private: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime)
    mac: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
