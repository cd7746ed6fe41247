"""The schema check (studio.core.db.schema): the expected schema of studio.db is what the migrations make, kept
in schema_expected.json; a file with anything else is refused with a message that says what and what to do.
The attacks themselves (triggers, views, altered tables in every SQLite file) are in test_db_writer_attacks.py."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from studio.core.db.migrate import head_revision
from studio.core.db.schema import (
    EXPECTED_FILE,
    SchemaTamperedError,
    expected_file_contents,
    expected_objects,
    migrated_objects,
    normalize_sql,
)
from studio.core.services import Studio


def test_the_expected_schema_file_is_what_the_migrations_make():
    fresh = expected_file_contents(head_revision(), migrated_objects())
    assert EXPECTED_FILE.read_text(encoding="utf-8") == fresh, (
        f"{EXPECTED_FILE.name} is out of date (a migration was added or changed): run "
        "`python -m studio.devtools.schema` and commit the file")


def test_a_stale_expected_file_falls_back_to_migrating_in_memory(monkeypatch, tmp_path):
    stale = tmp_path / "schema_expected.json"
    stale.write_text('{"revision": "0000", "objects": []}')
    monkeypatch.setattr("studio.core.db.schema.EXPECTED_FILE", stale)
    expected_objects.cache_clear()
    try:
        assert expected_objects(head_revision()) == migrated_objects()
    finally:
        expected_objects.cache_clear()


@pytest.mark.parametrize(("a", "b"), [
    ('CREATE TABLE t (\n\t"key" VARCHAR(200) NOT NULL)', "create table t (key varchar(200) not null)"),
    ("CREATE INDEX ix ON t (a) -- a comment", "CREATE  INDEX ix ON t(a) /* another */"),
    ("CREATE TABLE [T] (`a` INT)", 'CREATE TABLE "t" (a int)'),
])
def test_layout_quoting_and_case_do_not_matter(a, b):
    assert normalize_sql(a) == normalize_sql(b)


@pytest.mark.parametrize(("a", "b"), [
    ("CREATE TABLE t (a INT, UNIQUE (a))", "CREATE TABLE t (a INT, UNIQUE (a) ON CONFLICT IGNORE)"),
    ("CREATE TABLE t (a INT DEFAULT 'x')", "CREATE TABLE t (a INT DEFAULT 'X')"),
    ("CREATE TABLE t (a INT)", "CREATE TABLE t (a INT CHECK (a > 0))"),
    ('CREATE TABLE t ("a b" INT)', 'CREATE TABLE t ("a  b" INT)'),
])
def test_anything_that_changes_meaning_does(a, b):
    assert normalize_sql(a) != normalize_sql(b)


def test_the_message_names_the_objects_and_says_what_to_do(data_dir):
    Studio.open(data_dir).close()
    with closing(sqlite3.connect(data_dir / "studio.db")) as conn:
        conn.execute("CREATE TRIGGER quiet AFTER INSERT ON audit_log BEGIN SELECT 1; END")
        conn.execute("CREATE VIEW v AS SELECT 1")
        conn.commit()
    with pytest.raises(SchemaTamperedError) as refused:
        Studio.open(data_dir)
    text = str(refused.value)
    assert "trigger 'quiet' on audit_log that its migrations did not make" in text
    assert "view 'v'" in text
    assert 'DROP TRIGGER "quiet"; DROP VIEW "v";' in text and "backup you trust" in text
    assert refused.value.exit_code == 3


def test_an_altered_or_missing_object_can_only_be_restored(data_dir):
    Studio.open(data_dir).close()
    with closing(sqlite3.connect(data_dir / "studio.db")) as conn:
        conn.execute("DROP INDEX ix_audit_log_ts")
        conn.commit()
    with pytest.raises(SchemaTamperedError) as refused:
        Studio.open(data_dir)
    assert "index 'ix_audit_log_ts' on audit_log is missing" in str(refused.value)
    assert "DROP" not in str(refused.value) and "Restore" in str(refused.value)
