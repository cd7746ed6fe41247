from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from studio.core.db.base import Base


class DatasetRow(Base):
    """An imported dataset. Its files live in <data folder>/datasets/<storage_key>/ (see
    studio.core.datasets.docstore); statistics and import options are JSON here."""

    __tablename__ = "datasets"
    # Names are the owner's: a dataset someone cannot see never stops them from using a name (migration 0013).
    __table_args__ = (UniqueConstraint("owner_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    owner_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    source: Mapped[str] = mapped_column(Text, nullable=False)
    source_format: Mapped[str] = mapped_column(String(40), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # text | sft
    tokenizer: Mapped[str] = mapped_column(String(20), nullable=False)  # byte | char | bpe | file
    vocab_size: Mapped[int] = mapped_column(Integer, nullable=False)
    eos_id: Mapped[int] = mapped_column(Integer, nullable=False)
    dtype: Mapped[str] = mapped_column(String(10), nullable=False)
    documents: Mapped[int] = mapped_column(BigInteger, nullable=False)
    tokens: Mapped[int] = mapped_column(BigInteger, nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    storage_key: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    storage_format: Mapped[str] = mapped_column(String(40), nullable=False)
    encrypted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # encrypted datasets: the 16-byte id bound into every file, and the key epoch (+1 at each re-encryption)
    key_uid: Mapped[bytes | None] = mapped_column(LargeBinary(16), nullable=True)
    key_epoch: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    tags_json: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    options_json: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    stats_json: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class DatasetKeyRow(Base):
    """An encrypted dataset's data key wrapped for one user (recipient "user": its owner and every holder of
    a grant on it) or for the vault's recovery key (recipient "recovery", user_id 0)."""

    __tablename__ = "dataset_keys"
    __table_args__ = (UniqueConstraint("dataset_id", "recipient", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False, index=True)
    recipient: Mapped[str] = mapped_column(String(16), nullable=False)
    user_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
