"""How access rows are authenticated (studio.core.security.rowauth): one row per scope (an object and the rows
that name it), with its version and the MAC over what those rows say."""

from __future__ import annotations

from sqlalchemy import Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from studio.core.db.base import Base


class AclScopeRow(Base):
    __tablename__ = "acl_scopes"

    scope: Mapped[str] = mapped_column(String(240), primary_key=True)  # "model:12", "user:3", ...
    epoch: Mapped[int] = mapped_column(Integer, nullable=False)  # +1 at every change, anchored outside studio.db
    rows: Mapped[str] = mapped_column(Text, nullable=False)  # [[table, key, digest], ...] as JSON
    tag: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
