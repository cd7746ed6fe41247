"""Every ORM table, one module per aggregate. Importing this package registers them all on Base.metadata
(Alembic autogenerate and the schema test compare against it)."""

from studio.core.db.tables import accounts, audit, compression, datasets, runs, settings, vault  # noqa: F401
