"""access rows authenticated: acl_scopes (one MAC per object's rows), users.trust (each user's pin of their
copy of the audit secret)

Existing rows get their MACs at the first administrator login after the upgrade (security/adopt.py), and each
user pins their copy of the audit secret at their first login.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "acl_scopes",
        sa.Column("scope", sa.String(length=240), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Text(), nullable=False),
        sa.Column("tag", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_acl_scopes")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trust", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("trust")
    op.drop_table("acl_scopes")
