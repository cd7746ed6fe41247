"""Every ORM table, one module per aggregate. Importing this package registers them all on Base.metadata
(Alembic autogenerate and the schema test compare against it)."""

from studio.core.db.tables import (  # noqa: F401
    accounts,
    api_keys,
    audit,
    compression,
    datasets,
    runs,
    security,
    settings,
    signing_keys,
    vault,
)
