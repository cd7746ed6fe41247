"""run names are unique per owner, not across the studio

As for models (0010) and datasets (0013): a run name taken by a run someone cannot see no longer stops them
from using it (which told them that the run existed); each owner has their own names, and a name resolves
among the runs the actor can see (their own first).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

import re

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# Rebuilt by hand from its own CREATE statement, as in 0013: Alembic's batch mode lays out a rebuilt table's
# constraints in an order that changes from one process to the next, and studio.db must come out exactly as
# schema_expected.json says (studio/core/db/schema.py).
_BY_NAME = r"CONSTRAINT uq_runs_name UNIQUE \(name\)"
_BY_OWNER = "CONSTRAINT uq_runs_owner_id UNIQUE (owner_id, name)"
_INDEXES = ("dataset_id", "owner_id", "source_model_id", "status")


def _rebuild(old: str, new: str) -> None:
    conn = op.get_bind()
    sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'runs'").scalar()
    changed, count = re.subn(old, new, sql, flags=re.I)
    if count != 1:
        raise RuntimeError(f"the runs table is not the one migration 0013 left: {sql}")
    changed = re.sub(r'^\s*CREATE TABLE\s+"?runs"?', "CREATE TABLE _new_runs", changed, flags=re.I)
    columns = ", ".join(r[1] for r in conn.exec_driver_sql("PRAGMA table_info(runs)"))
    conn.exec_driver_sql(changed)
    conn.exec_driver_sql(f"INSERT INTO _new_runs ({columns}) SELECT {columns} FROM runs")
    # migrations run with foreign keys off: the metrics, events and checkpoint slots (ON DELETE CASCADE) stay
    conn.exec_driver_sql("DROP TABLE runs")
    conn.exec_driver_sql("ALTER TABLE _new_runs RENAME TO runs")
    for column in _INDEXES:
        conn.exec_driver_sql(f"CREATE INDEX ix_runs_{column} ON runs ({column})")


def upgrade() -> None:
    _rebuild(_BY_NAME, _BY_OWNER)


def downgrade() -> None:
    # fails (IntegrityError) while two owners have runs of one name: rename one first
    _rebuild(re.escape(_BY_OWNER), "CONSTRAINT uq_runs_name UNIQUE (name)")
