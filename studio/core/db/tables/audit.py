from __future__ import annotations

from sqlalchemy import Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from studio.core.db.base import Base


class AuditEntryRow(Base):
    """One audit entry. `mac` is HMAC-SHA256(key, previous mac || canonical form); it is NULL while the entry
    waits to be sealed (written when nobody holding the audit key was logged in). The sequence number is the
    row id, given out under SQLite's write lock (MAX(seq) + 1). See studio/core/security/chain.py."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    ts: Mapped[str] = mapped_column(String(32), nullable=False, index=True)  # UTC, ISO 8601 with microseconds
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    obj_type: Mapped[str | None] = mapped_column(String(32))
    obj_id: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    details: Mapped[str] = mapped_column(Text, nullable=False)  # canonical JSON
    mac: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    # Set only when the entry was written without a MAC (a failed login, the studio's own work) and sealed
    # later by this user: the MAC then covers it too, and it says that the entry's content was not
    # authenticated by whoever wrote it (anyone who can write studio.db could have appended it).
    sealed_late_by: Mapped[int | None] = mapped_column(Integer)
