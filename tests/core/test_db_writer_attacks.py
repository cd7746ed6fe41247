"""The attacker of docs/threat-model.md who can write the data folder but knows no password (another process
of the same OS account, a script, a restored copy), and the one who also has an account of their own. Each
test prepares a real data folder through the services, then edits it with plain sqlite3 (or the file
system) and checks that the studio detects the change, or that it has no effect: no key, no plaintext, no
silent change of the log."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from studio.core.datasets.options import ImportOptions
from studio.core.safepaths import UnsafePathError
from studio.core.services import Studio
from tests.conftest import TEST_PASSWORD

SENTENCE = "The lighthouse keeper counted eleven silver herons before dawn."


def sql(path, statement: str, params: tuple = ()) -> list[tuple]:
    """Run one statement on a SQLite file the way an attacker would: plain sqlite3, committed at once."""
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute(statement, params).fetchall()
        conn.commit()
        return rows


@pytest.fixture
def corpus(tmp_path):
    src = tmp_path / "private.txt"
    src.write_text("\n\n".join([SENTENCE] + [f"Entry {i} notes {i * 7 % 13} quiet harbours." for i in range(200)]))
    return src


@pytest.fixture
def owner(admin, make_user):
    return make_user("trainer", "owner")


def import_dataset(studio, who, corpus, name="diary", encrypt=True):
    return studio.datasets.import_dataset(who, ImportOptions(path=str(corpus), name=name, tokenizer="byte",
                                                             split=(1.0, 0.0, 0.0), encrypt=encrypt))


# -- paths read from the database ------------------------------------------------------------------------

@pytest.mark.parametrize("storage_key", ["../../victim", "/tmp/victim", "..", "a/../../victim",
                                         "..\\..\\victim", ""])
def test_an_edited_storage_key_deletes_nothing_outside(studio, owner, corpus, tmp_path, storage_key):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me")
    info = import_dataset(studio, owner, corpus, encrypt=False)
    sql(studio.paths.db, "UPDATE datasets SET storage_key = ? WHERE id = ?",
        (storage_key if storage_key != "/tmp/victim" else str(victim), info.id))
    with pytest.raises(UnsafePathError) as refused:
        studio.datasets.delete(owner, info.id)
    assert "altered" in str(refused.value)
    assert (victim / "precious.txt").read_text() == "keep me"
    with pytest.raises(UnsafePathError):
        studio.datasets.open_arrays(owner, info.id)
    # the refusal is in the log, and the dataset is still there
    last = studio.audit_store.page(limit=1)[0]
    assert (last.action, last.outcome, last.details["error"]) == ("dataset.read", "failed", "UnsafePathError")
    assert studio.datasets.get(owner, info.id).name == "diary"


def test_a_dataset_folder_swapped_for_a_link_is_not_followed(studio, owner, corpus, tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me")
    info = import_dataset(studio, owner, corpus, encrypt=False)
    folder = studio.paths.datasets / info.storage_key
    moved = tmp_path / "moved-away"
    folder.rename(moved)
    folder.symlink_to(victim, target_is_directory=True)
    with pytest.raises(UnsafePathError):
        studio.datasets.delete(owner, info.id)
    assert (victim / "precious.txt").read_text() == "keep me"


def test_an_edited_vault_file_name_is_refused(studio, owner, tmp_path):
    from tests.core.vault.conftest import tiny_tensors

    version = studio.vault.add_version(owner, None, tiny_tensors(), name="m")
    outside = tmp_path / "outside.msv"
    outside.write_bytes(b"x")
    sql(studio.paths.db, "UPDATE vault_artifacts SET blob = ? WHERE version_id = ?", (f"../../{outside.name}",
                                                                                      version.id))
    with pytest.raises(UnsafePathError):
        studio.vault.delete(owner, "m")
    assert outside.exists()


# -- the schema turned against the log -------------------------------------------------------------------

DROP_EXPORTS = ("CREATE TRIGGER drop_exports AFTER INSERT ON audit_log WHEN NEW.action = 'model.update' "
                "BEGIN DELETE FROM audit_log WHERE seq = NEW.seq; END")


@pytest.mark.parametrize("statement", [
    DROP_EXPORTS,
    "CREATE VIEW exports AS SELECT * FROM audit_log WHERE action = 'model.export'",
    "CREATE INDEX ix_sneaky ON audit_log (outcome)",
    "CREATE TABLE notes (x)",
    # the log's table rebuilt with a constraint that silently swallows a second entry of any action
    "REBUILD audit_log WITH UNIQUE (action) ON CONFLICT IGNORE",
])
def test_a_studio_db_with_foreign_schema_is_not_opened(data_dir, statement):
    from studio.core.db.schema import SchemaTamperedError

    Studio.open(data_dir).close()
    with closing(sqlite3.connect(data_dir / "studio.db")) as conn:
        if statement.startswith("REBUILD "):
            table, clause = statement[len("REBUILD "):].split(" WITH ")
            create, indexes = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0], [
                r[0] for r in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                                           "AND sql IS NOT NULL", (table,))]
            conn.executescript(f"ALTER TABLE {table} RENAME TO old_t; {create.rstrip().rstrip(')')}, {clause}); "
                               f"INSERT INTO {table} SELECT * FROM old_t; DROP TABLE old_t; " + "; ".join(indexes))
        else:
            conn.executescript(statement)
    with pytest.raises(SchemaTamperedError) as refused:
        Studio.open(data_dir)
    assert "studio.db does not have the schema" in str(refused.value)


def test_a_trigger_added_while_the_studio_runs_stops_the_next_operation(studio, owner):
    from studio.core.db.schema import SchemaTamperedError
    from tests.core.vault.conftest import tiny_tensors

    studio.vault.add_version(owner, None, tiny_tensors(), name="m")
    before = studio.audit_store.max_seq()
    sql(studio.paths.db, DROP_EXPORTS)
    with pytest.raises(SchemaTamperedError):
        studio.vault.update(owner, "m", name="renamed")
    with pytest.raises(SchemaTamperedError):  # nothing works until it is gone, logging in neither
        studio.accounts.login("root", TEST_PASSWORD)
    assert sql(studio.paths.db, "SELECT name FROM vault_models") == [("m",)]
    assert studio.audit_store.max_seq() == before  # nothing was written, nothing deleted


def test_a_trigger_added_during_an_operation_rolls_it_back(studio, owner):
    """The trigger appears after the operation's first check, before its audit entry: the check inside the
    append (under the write lock) refuses, and the change and the entry roll back together."""
    from studio.core import operations as ops
    from studio.core.db.schema import SchemaTamperedError
    from studio.core.db.tables.settings import SettingRow
    from studio.core.services.base import Service

    with pytest.raises(SchemaTamperedError):
        with Service(studio).operation(owner, ops.MODEL_IMPORT, "model", None) as op:
            sql(studio.paths.db, DROP_EXPORTS.replace("'model.update'", "'model.import'"))
            op.session.add(SettingRow(key="k", value_json="1"))
    with studio.db.session() as s:
        assert s.get(SettingRow, "k") is None


@pytest.mark.parametrize("statement", [
    "CREATE TRIGGER frozen BEFORE UPDATE ON anchor BEGIN SELECT RAISE(IGNORE); END",
    "CREATE VIEW v AS SELECT * FROM anchor",
    "CREATE TABLE more (x)",
])
def test_the_anchor_file_is_held_to_its_schema_too(studio, owner, statement):
    from studio.core.db.schema import SchemaTamperedError

    assert studio.paths.audit_anchor.exists()
    sql(studio.paths.audit_anchor, statement)
    with pytest.raises(SchemaTamperedError) as refused:  # the running studio: at the next seal
        studio.accounts.login("owner", TEST_PASSWORD)
    assert "audit-anchor.db does not have the schema" in str(refused.value)
    studio.close()
    with pytest.raises(SchemaTamperedError):  # and at the next start
        Studio.open(studio.paths.root)
