"""Every ORM table, one module per aggregate. Importing this package registers them all on Base.metadata
(Alembic autogenerate and the schema test compare against it)."""

from studio.core.db.tables import datasets, settings  # noqa: F401
