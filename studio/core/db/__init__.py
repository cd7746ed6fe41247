"""The database: SQLAlchemy 2 over SQLite (WAL), Alembic migrations applied on start."""

from studio.core.db.engine import Database

__all__ = ["Database"]
