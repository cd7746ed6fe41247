"""model names are unique per owner, not across the vault

A name taken by a model someone cannot see no longer stops them from using it (which told them that the
model existed): each owner has their own names, and a name resolves among the models the actor can see.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("vault_models", schema=None) as batch_op:
        batch_op.drop_constraint("uq_vault_models_name", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_vault_models_owner_id"), ["owner_id", "name"])


def downgrade() -> None:
    with op.batch_alter_table("vault_models", schema=None) as batch_op:
        batch_op.drop_constraint("uq_vault_models_owner_id", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_vault_models_name"), ["name"])
