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
from studio.core.security.anchor import _tag as head_tag
from studio.core.security.session import audit_keys_of
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


def test_an_upgrade_that_rebuilds_a_table_keeps_the_rows_that_point_at_it(data_dir):
    """0010 rebuilds vault_models (a batch migration copies, drops and renames a SQLite table): with foreign
    keys on, the drop cascaded and every version, file and wrapped key of every model was deleted."""
    import torch

    from tests.conftest import TEST_PASSWORD

    with Studio.open(data_dir) as s:
        root = s.accounts.create_first_admin("root", TEST_PASSWORD)
        s.vault.add_version(root, None, {"w": torch.arange(6.0)}, name="kept")
        anchor_key = audit_keys_of(root).anchor_key
    db = Database(data_dir / "studio.db")
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()  # the downgrade rebuilds the table too
        with conn.begin():
            command.downgrade(alembic_config(conn), "0009")
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        conn.commit()
    db.dispose()
    # Going below 0012 drops the access rows' MACs: the folder is then one from before them again, which its next
    # administrator login adopts (tests/core/test_access_rows.py); say so in its anchor as such a folder would.
    anchor = sqlite3.connect(data_dir / "audit-anchor.db")
    seq, mac = anchor.execute("SELECT seq, mac FROM anchor").fetchone()
    anchor.execute("UPDATE anchor SET tag = ?", (head_tag(anchor_key, seq, mac, adopted=False),))
    anchor.execute("DELETE FROM acl_anchor")
    anchor.commit()
    anchor.close()
    with Studio.open(data_dir) as s:
        assert s.system.schema() == (head_revision(), head_revision())
        root = s.accounts.login("root", TEST_PASSWORD)
        assert [v.number for v in s.vault.versions(root, "kept")] == [1]
        assert torch.equal(s.vault.load(root, "kept").tensors["w"], torch.arange(6.0))
        with s.db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # on again after the migration


def test_0013_keeps_every_dataset_its_keys_and_grants(data_dir, tmp_path):
    """0013 rebuilds `datasets` (names unique per owner): its wrapped keys (ON DELETE CASCADE) and its access rows
    survive, so the dataset still opens, for its owner and its grantee, after the upgrade."""
    from studio.core.datasets.options import ImportOptions
    from tests.conftest import TEST_PASSWORD

    text_file = tmp_path / "t.txt"
    text_file.write_text("\n\n".join(f"note {i} on the harbour" for i in range(50)))
    with Studio.open(data_dir) as s:
        root = s.accounts.create_first_admin("root", TEST_PASSWORD)
        s.accounts.create_user(root, "bob", "trainer", TEST_PASSWORD)
        info = s.datasets.import_dataset(root, ImportOptions(path=str(text_file), name="notes", tokenizer="byte",
                                                             split=(1.0, 0.0, 0.0)))
        s.grants.add(root, "bob", "dataset", info.id, "use")
        before = s.datasets.open_arrays(root, info.id).train.tolist()
    db = Database(data_dir / "studio.db")
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()
        with conn.begin():
            command.downgrade(alembic_config(conn), "0012")
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        conn.commit()
    db.dispose()
    with Studio.open(data_dir) as s:
        assert s.system.schema() == (head_revision(), head_revision())
        bob = s.accounts.login("bob", TEST_PASSWORD)
        assert s.datasets.open_arrays(bob, "notes").train.tolist() == before
        assert s.datasets.get(s.accounts.login("root", TEST_PASSWORD), "notes").id == info.id


def test_0014_keeps_every_run_its_metrics_events_and_checkpoint_slots(data_dir):
    """0014 rebuilds `runs` (names unique per owner): the rows that point at a run (ON DELETE CASCADE) all
    survive, its access row still verifies, and afterwards two owners may give a run the same name."""
    import json

    from studio.core.db.tables.runs import RunCheckpointRow, RunEventRow, RunMetricRow, RunRow
    from studio.core.stores.runs import utcnow
    from tests.conftest import TEST_PASSWORD

    def add_run(s, who, name, loss):
        with s.runs.acting_session(who) as ss:  # a run's owner is an access row: written as its owner
            row = RunRow(name=name, owner_id=who.user_id, status="completed", created_at=utcnow(),
                         model_config_json=json.dumps({}), train_config_json=json.dumps({}))
            ss.add(row)
            ss.flush()
            ss.add_all([RunMetricRow(run_id=row.id, metric="train_loss", step=step, value=loss + step)
                        for step in (1, 2, 3)])
            ss.add(RunEventRow(run_id=row.id, ts=utcnow(), kind="status", message=f"completed: {name}"))
            ss.add(RunCheckpointRow(run_id=row.id, attempt=1, slot="best", state="kept", step=3, ref="{}"))
            return row.id

    def counts(s):
        with s.db.engine.connect() as conn:
            return {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar()
                    for t in ("runs", "run_metrics", "run_events", "run_checkpoints")}

    with Studio.open(data_dir) as s:
        root = s.accounts.create_first_admin("root", TEST_PASSWORD)
        s.accounts.create_user(root, "bob", "trainer", TEST_PASSWORD)
        bob = s.accounts.login("bob", TEST_PASSWORD)
        ids = {"first": add_run(s, root, "first", 1.0), "second": add_run(s, bob, "second", 5.0)}
        before = counts(s)
    db = Database(data_dir / "studio.db")
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()
        with conn.begin():
            command.downgrade(alembic_config(conn), "0013")
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        conn.commit()
    db.dispose()
    with Studio.open(data_dir) as s:
        assert s.system.schema() == (head_revision(), head_revision())
        assert counts(s) == before
        bob = s.accounts.login("bob", TEST_PASSWORD)
        assert s.runs.get(bob, "second").id == ids["second"]
        assert s.runs.metrics(bob, "second")["train_loss"].values.tolist() == [6.0, 7.0, 8.0]
        assert [e.message for e in s.runs.events(bob, "second")] == ["completed: second"]
        assert [c.step for c in s.runs.checkpoints(bob, "second", usable_only=False)] == [3]
        root = s.accounts.login("root", TEST_PASSWORD)
        assert s.runs.get(root, "first").id == ids["first"]
        mine = add_run(s, bob, "first", 0.0)  # refused by the old UNIQUE (name)
        assert s.runs.get(bob, "first").id == mine and s.runs.get(root, ids["first"]).name == "first"
