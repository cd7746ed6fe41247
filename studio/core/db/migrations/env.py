"""Alembic environment. The studio runs migrations itself (studio.core.db.migrate) and hands the
connection over in config.attributes; `python -m studio.devtools.migrations` does the same for developers."""

from __future__ import annotations

from alembic import context

import studio.core.db.tables  # noqa: F401  (registers every table on the metadata)
from studio.core.db.base import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached through a misconfigured alembic call
    raise RuntimeError("Run migrations through studio.core.db.migrate, which passes a connection.")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
