"""Engine and session scope. Every connection gets WAL, foreign keys and a busy timeout; every database
error leaves the scope as one of the project's own exceptions."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

from studio.core.errors import DatabaseBusyError, DatabaseError, StudioError

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000


def _set_pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # NORMAL is durable in WAL except for the last commits on power loss; the audit log asks for FULL
        # around its own writes (see studio.core.security).
        cur.execute("PRAGMA synchronous=NORMAL")
    finally:
        cur.close()


def _restore_synchronous(dbapi_conn: sqlite3.Connection, record) -> None:
    # A connection that committed durably goes back to the pool with the default again.
    if record is not None and record.info.pop("synchronous_full", False):
        try:
            dbapi_conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error:  # pragma: no cover - a broken connection is discarded by the pool anyway
            record.invalidate()


def translate_db_error(error: exc.SQLAlchemyError) -> StudioError:
    text = str(getattr(error, "orig", None) or error)
    if isinstance(error, exc.OperationalError) and "locked" in text:
        return DatabaseBusyError(
            "The database stayed busy for too long (another Model Studio process is writing). Try again."
        )
    if isinstance(error, exc.IntegrityError):
        return DatabaseError(f"The change conflicts with data already stored ({text}).")
    return DatabaseError(f"Database error: {text}")


class Database:
    """One SQLite file. Use `with db.session() as s:`; it commits on success and rolls back on error."""

    def __init__(self, path: Path, echo: bool = False):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(
            f"sqlite:///{self.path}", echo=echo, connect_args={"check_same_thread": False, "timeout": 30}
        )
        event.listen(self.engine, "connect", _set_pragmas)
        event.listen(self.engine, "checkin", _restore_synchronous)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)
        # Set by Studio.open once the file passed its first check (studio.core.db.schema); then every
        # operation and every audit append checks again.
        self.schema_guard = None

    @property
    def sessionmaker(self) -> sessionmaker:
        """The factory of this database's sessions (for session event listeners: security/rowauth.py)."""
        return self._factory

    def verify_schema(self, target: Session | sqlite3.Connection) -> None:
        """Raise SchemaTamperedError unless the file still has exactly the expected schema (no-op before
        Studio.open installed the guard). `target`: a session, or a DB-API connection."""
        if self.schema_guard is not None:
            conn = target.connection().connection.driver_connection if isinstance(target, Session) else target
            self.schema_guard.verify(conn)

    @contextmanager
    def session(self, durable: bool = False) -> Iterator[Session]:
        """`durable=True` commits with synchronous=FULL (the WAL is synced at the commit, so a power loss
        cannot undo it); the audit log asks for it around every write it makes."""
        session = self._factory()
        try:
            if durable:
                conn = session.connection()
                conn.exec_driver_sql("PRAGMA synchronous=FULL")
                conn.connection.info["synchronous_full"] = True
            yield session
            session.commit()
        except exc.SQLAlchemyError as error:
            session.rollback()
            log.warning("database error: %s", error.__class__.__name__)
            raise translate_db_error(error) from error
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def connection(self) -> Iterator[object]:
        """A Core connection in a transaction (for bulk inserts with executemany)."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except exc.SQLAlchemyError as error:
            raise translate_db_error(error) from error

    @contextmanager
    def immediate(self) -> Iterator[Connection]:
        """A Core connection in a write transaction that takes the write lock at once (BEGIN IMMEDIATE),
        waiting up to the busy timeout for another writer. For processes that write often next to others
        (training workers): a deferred transaction that read first could fail at its first write with
        "database is locked" without waiting, when another process committed in between."""
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.rollback()
                    raise
                conn.commit()
        except exc.SQLAlchemyError as error:
            raise translate_db_error(error) from error

    def dispose(self) -> None:
        self.engine.dispose()
