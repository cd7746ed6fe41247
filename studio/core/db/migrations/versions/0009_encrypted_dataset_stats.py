"""the statistics of encrypted datasets no longer keep their most frequent tokens in studio.db

New imports keep them in an encrypted file of the dataset (stats.json, studio.core.datasets.stats). Rows of
datasets imported before lose them here: a migration holds no key to encrypt them with, and they describe the
content (words, phrases) that the dataset's encryption is meant to hide.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    conn.exec_driver_sql("PRAGMA secure_delete=ON")  # overwrite the old text in the freed pages too
    for dataset_id, text in conn.execute(sa.text("SELECT id, stats_json FROM datasets WHERE encrypted = 1")).all():
        stats = json.loads(text or "{}")
        if stats.pop("top_tokens", None) is not None:
            conn.execute(sa.text("UPDATE datasets SET stats_json = :s WHERE id = :i"),
                         {"s": json.dumps(stats, sort_keys=True, ensure_ascii=False), "i": dataset_id})


def downgrade() -> None:
    pass  # nothing to restore: the removed statistics were not kept anywhere
