"""compression reports

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "compression_reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("source_version", sa.Integer(), nullable=False),
        sa.Column("result_model_id", sa.Integer(), nullable=True),
        sa.Column("result_model_name", sa.String(length=200), nullable=True),
        sa.Column("result_version", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("recipe_json", sa.Text(), nullable=False),
        sa.Column("dataset", sa.String(length=200), nullable=True),
        sa.Column("split", sa.String(length=10), nullable=True),
        sa.Column("results_json", sa.Text(), nullable=False),
        sa.Column("log_json", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compression_reports")),
    )
    with op.batch_alter_table("compression_reports") as batch:
        batch.create_index(batch.f("ix_compression_reports_model_id"), ["model_id"], unique=False)
        batch.create_index(batch.f("ix_compression_reports_result_model_id"), ["result_model_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("compression_reports") as batch:
        batch.drop_index(batch.f("ix_compression_reports_result_model_id"))
        batch.drop_index(batch.f("ix_compression_reports_model_id"))
    op.drop_table("compression_reports")
