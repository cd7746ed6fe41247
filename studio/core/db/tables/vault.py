"""The vault's tables: models, their versions, the encrypted artifacts of each version, the wrapped data
keys of each artifact, who a model's keys are wrapped for, lineage, and the vault's own identity and
recovery key. Plaintext never reaches the database; wrapped keys are useless without a private key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from studio.core.db.base import Base


class VaultMetaRow(Base):
    """One row: the vault's id (bound into every file) and the public half of its recovery key."""

    __tablename__ = "vault_meta"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    vault_id: Mapped[bytes] = mapped_column(LargeBinary(16), nullable=False)
    recovery_public: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class VaultRecoveryWrapRow(Base):
    """The recovery private key, wrapped to one administrator's public key."""

    __tablename__ = "vault_recovery_wraps"

    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class VaultModelRow(Base):
    __tablename__ = "vault_models"
    # Names are the owner's: a model someone cannot see never stops them from using a name (migration 0010).
    __table_args__ = (UniqueConstraint("owner_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    owner_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    tags_json: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class VaultVersionRow(Base):
    __tablename__ = "vault_versions"
    __table_args__ = (UniqueConstraint("model_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("vault_models.id", ondelete="CASCADE"), nullable=False, index=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)  # "ready", or "pending" while a worker writes
    kind: Mapped[str] = mapped_column(String(32), nullable=False)  # import, trained, checkpoint, compressed, bundle
    architecture: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    parameter_count: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    dtype: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)  # plaintext, all artifacts
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    metadata_json: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class VaultArtifactRow(Base):
    """One encrypted file of a version (a weights shard, the config, the tokenizer, an optimizer state)."""

    __tablename__ = "vault_artifacts"
    __table_args__ = (UniqueConstraint("version_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[bytes] = mapped_column(LargeBinary(16), nullable=False, unique=True)  # bound into the file
    version_id: Mapped[int] = mapped_column(
        ForeignKey("vault_versions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(String(500), nullable=False)  # the file name it is exported as
    blob: Mapped[str] = mapped_column(String(100), nullable=False)  # file name under <data>/vault/blobs
    plaintext_size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    stored_size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    chunk_size: Mapped[int] = mapped_column(Integer, nullable=False)
    key_epoch: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # +1 at every rotation
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class VaultWrappedKeyRow(Base):
    """An artifact's data key wrapped for one user (recipient "user") or for the recovery key
    (recipient "recovery", user_id 0)."""

    __tablename__ = "vault_wrapped_keys"
    __table_args__ = (UniqueConstraint("artifact_id", "recipient", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    artifact_id: Mapped[int] = mapped_column(
        ForeignKey("vault_artifacts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    recipient: Mapped[str] = mapped_column(String(16), nullable=False)
    user_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class VaultRecipientRow(Base):
    """A user a model's keys are wrapped for (its owner and everyone it is shared with): every new
    artifact of the model is wrapped for each of them."""

    __tablename__ = "vault_recipients"

    model_id: Mapped[int] = mapped_column(ForeignKey("vault_models.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    granted_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class VaultLineageRow(Base):
    """Where a version came from: kind "dataset", "run", "source_version" (ref = that version's id) or
    "recipe" (label = the JSON of the compression or training recipe)."""

    __tablename__ = "vault_lineage"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("vault_versions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    ref: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    label: Mapped[str] = mapped_column(Text, nullable=False, default="")
