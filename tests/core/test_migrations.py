import sqlite3

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

import studio.core.db.tables  # noqa: F401
from studio.core.db import Database
from studio.core.db.base import Base
from studio.core.db.migrate import alembic_config, current_revision, head_revision, upgrade_database
from studio.core.errors import SchemaTooNewError
from studio.core.services import Studio


def test_migrated_schema_equals_orm_metadata(tmp_path):
    db = Database(tmp_path / "s.db")
    upgrade_database(db.engine, db.path, tmp_path / "backups")
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    assert current_revision(db.engine) == head_revision()


def test_new_database_needs_no_backup(tmp_path):
    db = Database(tmp_path / "s.db")
    assert upgrade_database(db.engine, db.path, tmp_path / "backups") is None
    assert not (tmp_path / "backups").exists()


def test_older_database_is_backed_up_then_migrated(data_dir):
    Studio.open(data_dir).close()
    db = Database(data_dir / "studio.db")
    with db.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0001")
        conn.execute(text("INSERT INTO app_settings (key, value_json) VALUES ('test.kept', '42')"))
    db.dispose()

    with Studio.open(data_dir) as s:
        assert s.migration_backup is not None
        assert s.system.schema() == (head_revision(), head_revision())
        assert s.settings.get("test.kept") == 42
        backup = sqlite3.connect(s.migration_backup)
        try:
            assert backup.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert backup.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0001"
            assert backup.execute("SELECT value_json FROM app_settings WHERE key = 'test.kept'").fetchone()[0] == "42"
        finally:
            backup.close()


def test_database_from_a_newer_version_is_refused(data_dir):
    Studio.open(data_dir).close()
    conn = sqlite3.connect(data_dir / "studio.db")
    conn.execute("UPDATE alembic_version SET version_num = 'f00dfeed9999'")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNewError) as info:
        Studio.open(data_dir)
    assert "newer version of Model Studio" in str(info.value)
    assert "f00dfeed9999" in str(info.value)
