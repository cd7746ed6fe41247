"""dataset names are unique per owner, not across the studio

As for models (0010): a name taken by a dataset someone cannot see no longer stops them from using it (which
told them that the dataset existed); each owner has their own names, and a name resolves among the datasets
the actor can see (their own first).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import re

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# The table is rebuilt by hand from its own CREATE statement with the one constraint swapped: Alembic's batch
# mode lays out a rebuilt table's constraints in an order that changes from one process to the next, and
# studio.db must come out exactly as schema_expected.json says (studio/core/db/schema.py).
_BY_NAME = r"CONSTRAINT uq_datasets_name UNIQUE \(name\)"
_BY_OWNER = "CONSTRAINT uq_datasets_owner_id UNIQUE (owner_id, name)"


def _rebuild(old: str, new: str) -> None:
    conn = op.get_bind()
    sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'datasets'").scalar()
    changed, count = re.subn(old, new, sql, flags=re.I)
    if count != 1:
        raise RuntimeError(f"the datasets table is not the one migration 0012 left: {sql}")
    changed = re.sub(r'^\s*CREATE TABLE\s+"?datasets"?', "CREATE TABLE _new_datasets", changed, flags=re.I)
    columns = ", ".join(r[1] for r in conn.exec_driver_sql("PRAGMA table_info(datasets)"))
    conn.exec_driver_sql(changed)
    conn.exec_driver_sql(f"INSERT INTO _new_datasets ({columns}) SELECT {columns} FROM datasets")
    conn.exec_driver_sql("DROP TABLE datasets")  # migrations run with foreign keys off: its keys stay
    conn.exec_driver_sql("ALTER TABLE _new_datasets RENAME TO datasets")
    conn.exec_driver_sql("CREATE INDEX ix_datasets_owner_id ON datasets (owner_id)")


def upgrade() -> None:
    _rebuild(_BY_NAME, _BY_OWNER)


def downgrade() -> None:
    # fails (IntegrityError) while two owners have datasets of one name: rename one first
    _rebuild(re.escape(_BY_OWNER), "CONSTRAINT uq_datasets_name UNIQUE (name)")
