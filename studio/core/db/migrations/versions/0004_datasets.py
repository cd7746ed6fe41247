"""datasets: imported corpora (owner -> users) and the wrapped data keys of encrypted ones

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("owner_name", sa.String(length=200), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_format", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("tokenizer", sa.String(length=20), nullable=False),
        sa.Column("vocab_size", sa.Integer(), nullable=False),
        sa.Column("eos_id", sa.Integer(), nullable=False),
        sa.Column("dtype", sa.String(length=10), nullable=False),
        sa.Column("documents", sa.BigInteger(), nullable=False),
        sa.Column("tokens", sa.BigInteger(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("storage_key", sa.String(length=64), nullable=False),
        sa.Column("storage_format", sa.String(length=40), nullable=False),
        sa.Column("encrypted", sa.Boolean(), nullable=False),
        sa.Column("key_uid", sa.LargeBinary(length=16), nullable=True),
        sa.Column("key_epoch", sa.Integer(), nullable=False),
        sa.Column("tags_json", sa.Text(), nullable=False),
        sa.Column("options_json", sa.Text(), nullable=False),
        sa.Column("stats_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_datasets_owner_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datasets")),
        sa.UniqueConstraint("name", name=op.f("uq_datasets_name")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_datasets_storage_key")),
    )
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_datasets_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "dataset_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"], name=op.f("fk_dataset_keys_dataset_id_datasets"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_keys")),
        sa.UniqueConstraint("dataset_id", "recipient", "user_id", name=op.f("uq_dataset_keys_dataset_id")),
    )
    with op.batch_alter_table("dataset_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dataset_keys_dataset_id"), ["dataset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dataset_keys_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dataset_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dataset_keys_user_id"))
        batch_op.drop_index(batch_op.f("ix_dataset_keys_dataset_id"))
    op.drop_table("dataset_keys")
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_datasets_owner_id"))
    op.drop_table("datasets")
