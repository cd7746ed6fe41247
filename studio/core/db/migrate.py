"""Bring a database to the schema this version of the studio expects, on every start.

- A new (empty) file is migrated to head.
- A database made by an older studio is first copied with SQLite's online backup API into the data
  folder's backups/, then migrated.
- A database made by a newer studio (a revision this version does not know) is refused with a clear
  message: downgrading silently would lose data.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, inspect, text

from studio.core.errors import DatabaseError, SchemaTooNewError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(connection=None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def _script_revisions() -> tuple[str, tuple[str, ...]]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    heads = script.get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"Migrations have {len(heads)} heads; merge them: {heads}")
    known = tuple(rev.revision for rev in script.walk_revisions())
    return heads[0], known


def head_revision() -> str:
    return _script_revisions()[0]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        return row[0] if row else None


def _has_user_tables(engine: Engine) -> bool:
    with engine.connect() as conn:
        return any(not name.startswith("sqlite_") for name in inspect(conn).get_table_names())


def backup_database(db_path: Path, backup_dir: Path, label: str) -> Path:
    """Copy a live database consistently (SQLite backup API, never a file copy)."""
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = backup_dir / f"studio-{label}-{stamp}.db"
    src = sqlite3.connect(db_path)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return target


def upgrade_database(engine: Engine, db_path: Path, backup_dir: Path) -> Path | None:
    """Migrate to head. Returns the backup made before migrating, if one was needed."""
    head, known = _script_revisions()
    current = current_revision(engine)
    if current == head:
        return None
    if current is not None and current not in known:
        raise SchemaTooNewError(
            f"The database {db_path} was made by a newer version of Model Studio (schema {current}). "
            "Install that version again, or start with another data folder (--data-dir)."
        )
    backup = None
    if _has_user_tables(engine):
        backup = backup_database(db_path, backup_dir, current or "base")
        log.info("backed up the database to %s before migrating from %s", backup, current)
    from alembic import command

    with engine.connect() as conn:
        # Batch migrations rebuild a SQLite table (copy, drop the old one, rename): with foreign keys on, the
        # drop cascades and deletes every row that points at the table (0010 rebuilt vault_models, and every
        # version, file and wrapped key of every model went with it). SQLite ignores this pragma inside a
        # transaction, so it is set before the migration's transaction begins, and the keys are checked after.
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()
        try:
            with conn.begin():
                before = len(conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall())
                command.upgrade(alembic_config(conn), "head")
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if len(broken) > before:
                    raise DatabaseError(f"The migration left {len(broken) - before} row(s) pointing at nothing "
                                        f"(first: {broken[0]}); the database was not changed. Report this.")
        finally:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()
    log.info("database migrated from %s to %s", current, head)
    return backup
