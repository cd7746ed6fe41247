import pytest
from sqlalchemy import text

from studio.core.db import Database
from studio.core.db.tables.settings import SettingRow
from studio.core.errors import DatabaseBusyError, DatabaseError


def test_connections_get_wal_foreign_keys_and_busy_timeout(studio):
    with studio.db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000


def test_session_commits_on_success_and_rolls_back_on_error(studio):
    with studio.db.session() as s:
        s.add(SettingRow(key="a", value_json="1"))
    with pytest.raises(RuntimeError):
        with studio.db.session() as s:
            s.add(SettingRow(key="b", value_json="2"))
            s.flush()
            raise RuntimeError("boom")
    assert studio.settings.all() == {"a": 1}


def test_database_errors_become_studio_errors(studio):
    with pytest.raises(DatabaseError) as info:
        with studio.db.session() as s:
            s.add(SettingRow(key="dup", value_json="1"))
            s.flush()
            s.add(SettingRow(key="dup", value_json="2"))
            s.flush()
    assert "conflicts" in str(info.value)


def test_lock_held_by_another_connection_is_reported_as_busy(tmp_path, monkeypatch):
    import sqlite3

    import studio.core.db.engine as engine_mod

    monkeypatch.setattr(engine_mod, "BUSY_TIMEOUT_MS", 50)
    db = Database(tmp_path / "x.db")
    with db.connection() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    holder = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseBusyError) as info:
            with db.connection() as conn:
                conn.exec_driver_sql("INSERT INTO t VALUES (2)")
        assert "busy" in str(info.value)
    finally:
        holder.rollback()
        holder.close()


def test_settings_store_round_trips_json_values(studio):
    studio.settings.set("idle_lock_minutes", 15)
    studio.settings.set("recent", ["a", "b"])
    studio.settings.set("idle_lock_minutes", 20)
    assert studio.settings.get("idle_lock_minutes") == 20
    assert studio.settings.get("recent") == ["a", "b"]
    assert studio.settings.get("missing", "dflt") == "dflt"
