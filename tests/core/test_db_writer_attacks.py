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
from studio.core.errors import IntegrityError
from studio.core.safepaths import UnsafePathError
from studio.core.security.rowauth import TamperedRowError
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
    # The edited row no longer verifies (the dataset's access rows cover storage_key); and were it forged with a
    # valid MAC (an insider holding the audit secret), the path itself would still be refused (safepaths).
    with pytest.raises(IntegrityError) as refused:
        studio.datasets.delete(owner, info.id)
    assert isinstance(refused.value, TamperedRowError | UnsafePathError)
    assert (victim / "precious.txt").read_text() == "keep me"
    with pytest.raises(IntegrityError):
        studio.datasets.open_arrays(owner, info.id)
    # the refusal is in the log, and the dataset is still there
    last = studio.audit_store.page(limit=1)[0]
    assert (last.action, last.outcome) == ("dataset.read", "failed")
    assert last.details["error"] in ("TamperedRowError", "UnsafePathError")
    sql(studio.paths.db, "UPDATE datasets SET storage_key = ? WHERE id = ?", (info.storage_key, info.id))
    assert studio.datasets.get(owner, info.id).name == "diary"


def test_a_path_that_verifies_is_still_confined(studio, owner, corpus):
    """The insider's case: a storage_key that passes the row check (re-authenticated here as a holder of the
    audit secret could) is still refused before anything is deleted."""
    from studio.core.security import rowauth

    info = import_dataset(studio, owner, corpus, encrypt=False)
    sql(studio.paths.db, "UPDATE datasets SET storage_key = '../../victim' WHERE id = ?", (info.id,))
    with studio.datasets.acting_session(owner) as s:
        rowauth.adopt(s, [f"dataset:{info.id}"])
    with pytest.raises(UnsafePathError):
        studio.datasets.delete(owner, info.id)


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


# -- access rows trusted as written ----------------------------------------------------------------------
# The attacker: "mallory", a trainer with an account of her own (she knows her password, not the audit
# secret's other copies), editing studio.db with plain sqlite3. What she wants: a key of the owner's model.

@pytest.fixture
def shop(studio, owner, make_user):
    from tests.core.vault.conftest import tiny_tensors

    mallory = make_user("trainer", "mallory")
    bob = make_user("viewer", "bob")
    studio.vault.add_version(owner, None, tiny_tensors(), name="secret")
    model_id = studio.vault.model_id("secret", owner)
    studio.vault.share(owner, "secret", "bob", "use")
    return {"owner": owner, "mallory": mallory, "bob": bob, "model": model_id,
            "admin": studio.accounts.login("root", TEST_PASSWORD)}


def uid(studio, name):
    return studio.accounts.user(name).id


def keys_of(studio, name) -> int:
    """How many wrapped keys (model files, datasets) exist for this user."""
    user = uid(studio, name)
    return (sql(studio.paths.db, "SELECT COUNT(*) FROM vault_wrapped_keys WHERE recipient = 'user' AND user_id = ?",
                (user,))[0][0] + sql(studio.paths.db, "SELECT COUNT(*) FROM dataset_keys WHERE recipient = 'user' "
                                                       "AND user_id = ?", (user,))[0][0])


def gets_nothing(studio, who, model="secret"):
    """No key for her, and no plaintext through the studio."""
    from studio.core.errors import StudioError

    assert keys_of(studio, who.user_name) == 0
    with pytest.raises(StudioError):
        studio.vault.load(who, model)


def last_failure(studio):
    entry = next(e for e in studio.audit_store.page(limit=20) if e.outcome in ("failed", "denied"))
    return entry


def test_the_issues_attack_a_grant_and_a_recipient_row_for_oneself(studio, shop):
    """Issue 14, defect 1, as reported: two rows inserted, then the owner's next rotate would have wrapped the
    new keys for the attacker."""
    m, mallory = shop["model"], shop["mallory"]
    sql(studio.paths.db, "INSERT INTO vault_recipients (model_id, user_id, granted_by, created_at) VALUES "
                         "(?, ?, ?, '2026-12-01 00:00:00')", (m, mallory.user_id, shop["owner"].user_id))
    sql(studio.paths.db, "INSERT INTO grants (user_id, obj_type, obj_id, permission, granted_by, granted_at) VALUES "
                         "(?, 'model', ?, 'export', ?, '2026-12-01 00:00:00')", (mallory.user_id, str(m),
                                                                                 shop["owner"].user_id))
    for attempt in (lambda: studio.vault.rotate(shop["owner"], "secret"),
                    lambda: studio.vault.add_version(shop["owner"], "secret", {"x": __import__("torch").zeros(2)}),
                    lambda: studio.vault.export(mallory, "secret", studio.paths.root / "stolen.safetensors")):
        with pytest.raises(TamperedRowError) as refused:
            attempt()
        assert "model" in str(refused.value) and "vault_recipients row" in str(refused.value)
        assert f"grants row ({mallory.user_id}, export)" in str(refused.value)
    entry = last_failure(studio)
    assert entry.details["error"] == "TamperedRowError" and "do not verify" in entry.details["message"]
    gets_nothing(studio, mallory)
    assert not (studio.paths.root / "stolen.safetensors").exists()


@pytest.mark.parametrize("edit", [
    "UPDATE grants SET permission = 'manage' WHERE obj_type = 'model'",      # bob's use becomes manage
    "UPDATE grants SET user_id = {mallory} WHERE obj_type = 'model'",         # bob's grant moved to mallory
    "DELETE FROM grants WHERE obj_type = 'model'",                            # a row deleted
    "UPDATE vault_recipients SET user_id = {mallory} WHERE user_id = {bob}",  # bob's place taken
    "UPDATE vault_models SET owner_id = {mallory}",                           # ownership taken
])
def test_edited_or_deleted_grants_recipients_and_owners_are_refused(studio, shop, edit):
    ids = {"mallory": shop["mallory"].user_id, "bob": shop["bob"].user_id}
    sql(studio.paths.db, edit.format(**ids))
    with pytest.raises(TamperedRowError):
        studio.vault.rotate(shop["owner"], "secret")
    with pytest.raises(TamperedRowError):
        studio.vault.load(shop["bob"], "secret")
    gets_nothing(studio, shop["mallory"])


def test_reordered_rows_change_nothing(studio, shop):
    """Renumbering the grants (a reordering of the table) is no change of what they say."""
    sql(studio.paths.db, "UPDATE grants SET id = id + 100")
    studio.vault.load(shop["bob"], "secret")
    assert studio.vault.rotate(shop["owner"], "secret") == 1


def test_a_role_raised_in_the_database_gives_no_power_and_no_recovery_key(studio, shop):
    mallory = shop["mallory"]
    sql(studio.paths.db, "UPDATE users SET role = 'admin' WHERE name = 'mallory'")
    with pytest.raises(TamperedRowError):
        studio.vault.list_models(mallory)
    with pytest.raises(TamperedRowError):
        studio.accounts.login("mallory", TEST_PASSWORD)
    with pytest.raises(TamperedRowError):  # an administrator's recovery sharing sees the forged administrator
        studio.vault.share_recovery(shop["admin"], mallory.user_id)
    assert sql(studio.paths.db, "SELECT COUNT(*) FROM vault_recovery_wraps WHERE user_id = ?",
               (mallory.user_id,))[0][0] == 0
    gets_nothing(studio, mallory)


def test_a_public_key_swapped_for_the_attackers_gets_no_key_wrapped_to_it(studio, shop, make_user):
    carol = make_user("trainer", "carol")
    mallory_key = sql(studio.paths.db, "SELECT public_key FROM users WHERE name = 'mallory'")[0][0]
    sql(studio.paths.db, "UPDATE users SET public_key = ? WHERE name = 'carol'", (mallory_key,))
    with pytest.raises(TamperedRowError) as refused:
        studio.vault.share(shop["owner"], "secret", "carol", "use")
    assert "user" in str(refused.value)
    assert keys_of(studio, "carol") == 0 and keys_of(studio, "mallory") == 0
    with pytest.raises(studio_error()):
        studio.vault.load(carol, "secret")


def studio_error():
    from studio.core.errors import StudioError

    return StudioError


def test_an_account_enabled_or_added_in_the_database_cannot_log_in(studio, shop):
    studio.accounts.set_disabled(shop["admin"], "mallory", True)
    sql(studio.paths.db, "UPDATE users SET disabled = 0 WHERE name = 'mallory'")
    with pytest.raises(TamperedRowError):
        studio.accounts.login("mallory", TEST_PASSWORD)
    # a whole account written by hand (her own password and key pair, role admin)
    sql(studio.paths.db, "INSERT INTO users (name, name_key, role, disabled, must_change_password, created_at, "
                         "password_changed_at, password_phc, key_kdf, public_key, wrapped_private_key, key_generation, "
                         "sealed_audit_secret, trust) SELECT 'eve', 'eve', 'admin', 0, 0, created_at, "
                         "password_changed_at, password_phc, key_kdf, public_key, wrapped_private_key, key_generation, "
                         "sealed_audit_secret, trust FROM users WHERE name = 'bob'")
    from studio.core.errors import StudioError

    with pytest.raises(StudioError):  # bob's key material does not open as eve's, and the row is not authentic
        studio.accounts.login("eve", TEST_PASSWORD)
    gets_nothing(studio, shop["mallory"])


def test_a_revocation_undone_from_an_older_copy_of_the_rows_is_refused(studio, shop, tmp_path):
    """Copy the rows that gave bob his key, revoke him (the model rotates), then put the old rows back (the
    grant, the recipient and their authentication record): the version kept outside studio.db is newer."""
    m = shop["model"]
    saved = {t: sql(studio.paths.db, f"SELECT * FROM {t} WHERE {w}", (str(m),) if t != "vault_recipients" else (m,))
             for t, w in (("grants", "obj_type = 'model' AND obj_id = ?"), ("vault_recipients", "model_id = ?"),
                          ("acl_scopes", "scope = 'model:' || ?"))}
    studio.vault.revoke(shop["owner"], "secret", "bob")
    for table, rows in saved.items():
        sql(studio.paths.db, f"DELETE FROM {table} WHERE " + {"grants": "obj_type = 'model'", "vault_recipients":
                                                               "1", "acl_scopes": "scope LIKE 'model:%'"}[table])
        for row in rows:
            sql(studio.paths.db, f"INSERT INTO {table} VALUES ({', '.join('?' * len(row))})", row)
    with pytest.raises(TamperedRowError) as refused:
        studio.vault.rotate(shop["owner"], "secret")
    assert "older copy" in str(refused.value)
    assert keys_of(studio, "bob") == 0


def test_a_whole_older_copy_of_studio_db_stops_all_work(studio, shop, tmp_path):
    from studio.core.db.migrate import backup_database
    from studio.core.errors import AuditTamperedError

    copy = backup_database(studio.paths.db, tmp_path, "before")
    studio.vault.revoke(shop["owner"], "secret", "bob")
    studio.close()
    copy.replace(studio.paths.db)
    for suffix in ("-wal", "-shm"):
        (studio.paths.root / f"studio.db{suffix}").unlink(missing_ok=True)
    with Studio.open(studio.paths.root) as again:
        owner = again.accounts.login("owner", TEST_PASSWORD)
        with pytest.raises(AuditTamperedError):
            again.vault.rotate(owner, "secret")  # would have wrapped the new keys for bob again
        bob = again.accounts.login("bob", TEST_PASSWORD)
        with pytest.raises(AuditTamperedError):
            again.vault.load(bob, "secret")


def test_a_forged_key_row_gets_no_real_key_at_a_password_reset(studio, shop):
    """A garbage wrap row for mallory on the model, then she asks for a password reset: the reset re-wraps
    the keys she holds through the recovery key; it must not re-wrap this one."""
    art = sql(studio.paths.db, "SELECT id FROM vault_artifacts LIMIT 1")[0][0]
    sql(studio.paths.db, "INSERT INTO vault_wrapped_keys (artifact_id, recipient, user_id, wrapped, created_at) "
                         "VALUES (?, 'user', ?, ?, '2026-12-01 00:00:00')", (art, shop["mallory"].user_id, b"x" * 90))
    from studio.core.errors import IntegrityError as Refused

    with pytest.raises(Refused) as refused:
        studio.accounts.reset_password(shop["admin"], "mallory", "Granite-Otter-5528")
    assert "vault_wrapped_keys row" in str(refused.value)
    wrap = sql(studio.paths.db, "SELECT wrapped FROM vault_wrapped_keys WHERE user_id = ?", (shop["mallory"].user_id,))
    assert wrap == [(b"x" * 90,)]  # the reset rolled back: nothing real was wrapped for her


def test_dataset_key_rows_and_grants_for_oneself_are_refused(studio, shop, corpus):
    owner, mallory = shop["owner"], shop["mallory"]
    info = import_dataset(studio, owner, corpus)
    studio.grants.add(owner, "bob", "dataset", info.id, "use")
    sql(studio.paths.db, "INSERT INTO dataset_keys (dataset_id, recipient, user_id, wrapped, created_at) VALUES "
                         "(?, 'user', ?, ?, '2026-12-01 00:00:00')", (info.id, mallory.user_id, b"x" * 90))
    sql(studio.paths.db, "INSERT INTO grants (user_id, obj_type, obj_id, permission, granted_by, granted_at) VALUES "
                         "(?, 'dataset', ?, 'use', ?, '2026-12-01 00:00:00')", (mallory.user_id, str(info.id),
                                                                               owner.user_id))
    with pytest.raises(TamperedRowError):  # the re-encryption would have wrapped the new key for mallory
        studio.grants.revoke(owner, "bob", "dataset", info.id, "use")
    with pytest.raises(TamperedRowError):
        studio.datasets.open_arrays(mallory, info.id)
    assert sql(studio.paths.db, "SELECT wrapped FROM dataset_keys WHERE user_id = ?", (mallory.user_id,)) == [
        (b"x" * 90,)]


def test_a_dataset_file_restored_from_before_a_re_encryption_opens_nothing(studio, shop, corpus, tmp_path):
    """An older copy of one file of an encrypted dataset, put back after the revocation that re-encrypted it (into
    a new folder, under a new key epoch): it is bound to its old epoch, so it does not open in the new place, and
    the revoked user's old key opens nothing current."""
    import shutil

    from studio.core.errors import StudioError

    owner = shop["owner"]
    info = import_dataset(studio, owner, corpus)
    studio.grants.add(owner, "bob", "dataset", info.id, "use")
    old = tmp_path / "train.tokens"
    shutil.copy(studio.paths.datasets / info.storage_key / "train.tokens", old)
    studio.grants.revoke(owner, "bob", "dataset", info.id, "use")  # the last grant: re-encrypted
    now = studio.datasets.get(owner, info.id).storage_key
    assert now != info.storage_key
    shutil.copy(old, studio.paths.datasets / now / "train.tokens")
    with pytest.raises(StudioError, match="damaged or was replaced"):
        studio.datasets.open_arrays(owner, info.id)


def test_an_audit_secret_sealed_to_a_user_by_someone_else_is_refused(studio, shop):
    """Public keys are public: anyone can seal a secret of their choosing to a user. A login that took it would
    let that person MAC access rows that the user's sessions accept."""
    from studio.core.security import keys as userkeys

    public = sql(studio.paths.db, "SELECT public_key FROM users WHERE name = 'owner'")[0][0]
    chosen = b"k" * 32
    sql(studio.paths.db, "UPDATE users SET sealed_audit_secret = ? WHERE name = 'owner'",
        (userkeys.seal(public, chosen, b"model-studio audit secret v1"),))
    with pytest.raises(TamperedRowError) as refused:
        studio.accounts.login("owner", TEST_PASSWORD)
    assert "audit secret" in str(refused.value)
    sql(studio.paths.db, "UPDATE users SET trust = NULL WHERE name = 'owner'")  # and without the pin
    with pytest.raises(TamperedRowError):
        studio.accounts.login("owner", TEST_PASSWORD)


def test_the_vaults_recovery_key_replaced_gets_nothing_wrapped_to_it(studio, shop):
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from studio.core.vault import wrap

    theirs = X25519PrivateKey.generate()
    sql(studio.paths.db, "UPDATE vault_meta SET recovery_public = ?", (wrap.raw_public(theirs),))
    before = sql(studio.paths.db, "SELECT COUNT(*) FROM vault_wrapped_keys")[0][0]
    from tests.core.vault.conftest import tiny_tensors

    with pytest.raises(TamperedRowError) as refused:
        studio.vault.add_version(shop["owner"], None, tiny_tensors(1), name="next")
    assert "vault 1" in str(refused.value)
    assert sql(studio.paths.db, "SELECT COUNT(*) FROM vault_wrapped_keys")[0][0] == before


def test_a_recovery_key_wrapped_to_an_administrator_by_someone_else_is_not_taken(studio, shop):
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from studio.core.vault import wrap
    from studio.core.vault.errors import VaultKeyError

    admin = shop["admin"]
    vault_id = sql(studio.paths.db, "SELECT vault_id FROM vault_meta")[0][0]
    theirs = X25519PrivateKey.generate()
    sql(studio.paths.db, "UPDATE vault_recovery_wraps SET wrapped = ? WHERE user_id = ?",
        (wrap.wrap(wrap.raw_private(theirs), admin.public_key, wrap.info_recovery_key(vault_id, admin.user_id)),
         admin.user_id))
    with pytest.raises(VaultKeyError) as refused:
        studio.vault.load(admin, "secret")  # through the recovery key: the one wrapped for it is not the vault's
    assert "not this vault's" in str(refused.value)


def test_a_run_pointed_at_someone_elses_model_sends_it_no_checkpoint(studio, shop, make_user):
    """runs.checkpoint_model_id is written by the run's own machinery and not authenticated: pointing a victim's
    run at the attacker's model (shared with the victim so that it would open) must not make the victim's
    checkpoints land there."""
    from studio.core.stores.runs import RunStore
    from studio.core.training.vault_checkpoints import VaultCheckpoints
    from tests.core.vault.conftest import tiny_tensors

    mallory, owner = shop["mallory"], shop["owner"]
    studio.vault.add_version(mallory, None, tiny_tensors(2), name="trap")
    studio.vault.share(mallory, "trap", "owner", "use")
    trap = studio.vault.model_id("trap", mallory)
    run = _a_run(studio, owner)
    RunStore(studio.db).update(run.id, checkpoint_model_id=trap)
    with pytest.raises(IntegrityError) as refused:
        VaultCheckpoints().reserve(studio, owner, studio.runs.get(owner, run.id), ["latest"])
    assert "does not own" in str(refused.value)
    assert [v.number for v in studio.vault.versions(mallory, "trap")] == [1]


def _a_run(studio, owner):
    import json

    from studio.core.db.tables.runs import RunRow
    from studio.core.stores.runs import utcnow

    with studio.runs.acting_session(owner) as s:
        row = RunRow(name="victims-run", owner_id=owner.user_id, status="stopped", created_at=utcnow(),
                     model_config_json=json.dumps({"n_layer": 1, "n_embd": 8}), train_config_json=json.dumps({}))
        s.add(row)
        s.flush()
        run_id = row.id
    return studio.runs.get(owner, run_id)


def test_an_api_key_revoked_then_restored_from_an_older_copy_is_refused(studio, shop):
    """The key's row MAC alone would accept its older copy (it was authentic then): its version is kept outside
    studio.db like every access row's."""
    from studio.core import operations as ops
    from studio.core.security import policy
    from studio.core.services.keys import authority_of

    user = shop["bob"]
    made = studio.keys.create(user, "k")
    row = sql(studio.paths.db, "SELECT * FROM api_keys")[0]
    acl = sql(studio.paths.db, "SELECT * FROM acl_scopes WHERE scope = ?", (f"apikey:{row[0]}",))[0]
    studio.keys.revoke(user, "k")
    sql(studio.paths.db, "DELETE FROM api_keys")
    sql(studio.paths.db, f"INSERT INTO api_keys VALUES ({', '.join('?' * len(row))})", row)
    sql(studio.paths.db, "UPDATE acl_scopes SET epoch = ?, rows = ?, tag = ? WHERE scope = ?", (*acl[1:], acl[0]))
    actor = studio.keys.authenticate(authority_of(user), made.token)  # its own MAC passes: it was genuine once
    with studio.db.session() as s:
        decision = policy.decide(s, actor, ops.SERVE_REQUEST, "model", str(shop["model"]))
    assert not decision.allowed and decision.code == "tampered" and "older copy" in decision.reason


# -- signing keys: who signed an export, and the key a user signs with ---------------------------------------
# A user's signing key rows (security/signing_keys.py) name the public key a signature is attributed to and hold
# the private key sealed to the user. Mallory wants a signature she made attributed to someone else, the owner to
# sign with a key she knows, or a retired key back in service.

def signed_file(studio, tmp_path, private, name="weights.bin"):
    from studio.core.exports.signing import sign

    path = tmp_path / name
    path.write_bytes(b"tensor bytes " + name.encode())
    sign(path, path.with_name(path.name + ".sig"), private)
    return path


def signing_rows(studio, name) -> list[tuple]:
    return sql(studio.paths.db, "SELECT * FROM signing_keys WHERE user_id = ? ORDER BY id", (uid(studio, name),))


def attackers_key():
    from studio.core.security import signing_keys as sk

    return sk.new_key()


@pytest.mark.parametrize("edit", ["moved to mallory", "public key swapped", "private key swapped", "deleted",
                                  "retired", "added for the owner"])
def test_edited_added_moved_or_deleted_signing_key_rows_are_refused(studio, shop, tmp_path, edit):
    from studio.core.security import keys as user_keys
    from studio.core.security import signing_keys as sk

    owner, mallory = shop["owner"], shop["mallory"]
    key = studio.signing.key_for(owner)
    genuine = signed_file(studio, tmp_path, key.private, "owners.bin")
    private, pem, fingerprint = attackers_key()
    forged = signed_file(studio, tmp_path, private, "mallorys.bin")
    me, her = uid(studio, "owner"), uid(studio, "mallory")
    db = studio.paths.db
    if edit == "moved to mallory":  # the owner's signatures would say "signed by mallory"
        sql(db, "UPDATE signing_keys SET user_id = ? WHERE user_id = ?", (her, me))
    elif edit == "public key swapped":  # mallory's signature would say "signed by owner"
        sql(db, "UPDATE signing_keys SET public_pem = ?, fingerprint = ? WHERE user_id = ?", (pem.decode(), fingerprint, me))
    elif edit == "private key swapped":  # the owner would sign with a key mallory holds
        owner_public = sql(db, "SELECT public_key FROM users WHERE id = ?", (me,))[0][0]
        sealed = user_keys.seal(bytes(owner_public), sk.private_bytes(private), sk.seal_aad(me, key.fingerprint))
        sql(db, "UPDATE signing_keys SET sealed_private = ? WHERE user_id = ?", (sealed, me))
    elif edit == "deleted":
        sql(db, "DELETE FROM signing_keys WHERE user_id = ?", (me,))
    elif edit == "retired":
        sql(db, "UPDATE signing_keys SET retired_at = created_at WHERE user_id = ?", (me,))
    else:  # a second row for the owner with mallory's key (its row MAC copied from the genuine row)
        row = signing_rows(studio, "owner")[0]
        sql(db, "INSERT INTO signing_keys (user_id, key_generation, fingerprint, public_pem, sealed_private, created_at,"
                " retired_at, mac) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)", (me, row[2], fingerprint, pem.decode(), row[5],
                                                                          row[6], row[8]))
    # the owner's own key is never opened on altered rows, and no other key is taken for it
    with pytest.raises(TamperedRowError, match="signing"):
        studio.signing.key_for(owner)
    assert last_failure(studio).action == "signing_key.create"
    with pytest.raises(TamperedRowError):
        studio.signing.public_key(mallory, "owner")
    # a signature is never attributed on altered rows: refused, or (its row gone) reported unchecked
    for path in (genuine, forged):
        try:
            check = studio.signing.verify(mallory, path)
        except TamperedRowError:
            continue
        assert not check.verified and check.signer is None, (edit, path.name, check)


def test_a_retired_signing_key_restored_from_an_older_copy_is_refused(studio, shop, tmp_path):
    """The owner's key K1 is retired by a password reset (a new key K2 signs from then on). Putting back the rows
    and their authentication record as they were before the reset would make K1 her current key again (what
    `keys signing-key --of owner` hands out), and drop K2: the version kept outside studio.db is newer."""
    owner, admin = shop["owner"], shop["admin"]
    old = studio.signing.key_for(owner)
    scope = f"signing:{uid(studio, 'owner')}"
    saved_rows = signing_rows(studio, "owner")
    saved_acl = sql(studio.paths.db, "SELECT * FROM acl_scopes WHERE scope = ?", (scope,))
    assert saved_acl, "the signing key rows are an authenticated scope"
    studio.accounts.reset_password(admin, "owner", "Granite-Otter-5528")
    owner = studio.accounts.login("owner", "Granite-Otter-5528")
    new = studio.signing.key_for(owner)
    assert new.fingerprint != old.fingerprint
    assert studio.signing.public_key(admin, "owner")[1] == new.fingerprint
    sql(studio.paths.db, "DELETE FROM signing_keys WHERE user_id = ?", (uid(studio, "owner"),))
    sql(studio.paths.db, "DELETE FROM acl_scopes WHERE scope = ?", (scope,))
    for row in saved_rows:
        sql(studio.paths.db, f"INSERT INTO signing_keys VALUES ({', '.join('?' * len(row))})", row)
    sql(studio.paths.db, f"INSERT INTO acl_scopes VALUES ({', '.join('?' * len(saved_acl[0]))})", saved_acl[0])
    with pytest.raises(TamperedRowError, match="older copy"):
        studio.signing.public_key(admin, "owner")
    with pytest.raises(TamperedRowError, match="older copy"):
        studio.signing.key_for(owner)
    with pytest.raises(TamperedRowError, match="older copy"):
        studio.signing.verify(admin, signed_file(studio, tmp_path, old.private))


def test_signing_key_rows_from_before_their_scope_are_adopted_once(studio, shop, tmp_path):
    """A folder whose signing keys were made before they were an access scope (0011-0013) has rows with their own
    MAC and no scope record: they are adopted at their first use. A record deleted later is not taken for that."""
    owner = shop["owner"]
    key = studio.signing.key_for(owner)
    scope = f"signing:{uid(studio, 'owner')}"
    path = signed_file(studio, tmp_path, key.private)
    studio.close()
    again = Studio.open(studio.paths.root)
    try:
        # as such a folder is: no record in studio.db, no version outside it
        sql(again.paths.db, "DELETE FROM acl_scopes WHERE scope = ?", (scope,))
        sql(again.paths.audit_anchor, "DELETE FROM acl_anchor WHERE scope = ?", (scope,))
        owner = again.accounts.login("owner", TEST_PASSWORD)
        assert again.signing.key_for(owner).fingerprint == key.fingerprint  # adopted, the same key
        assert sql(again.paths.db, "SELECT epoch FROM acl_scopes WHERE scope = ?", (scope,))
        check = again.signing.verify(owner, path)
        assert check.verified and check.signer == "owner"
        # once tagged, a deleted record is tampering (its version is anchored), even with genuine rows
        sql(again.paths.db, "DELETE FROM acl_scopes WHERE scope = ?", (scope,))
        with pytest.raises(TamperedRowError):
            again.signing.key_for(owner)
    finally:
        again.close()


def test_an_older_copy_of_the_anchor_file_alone_changes_nothing(studio, shop, tmp_path):
    """The other half of a one-file rollback (an older studio.db alone stops all work, above): audit-anchor.db put
    back as it was before a revocation. The rows in studio.db are newer than what it records, which it may lag
    anyway: the revocation holds, nothing is refused, and the versions move on from there."""
    older = tmp_path / "anchor-before.db"
    with closing(sqlite3.connect(studio.paths.audit_anchor)) as src, closing(sqlite3.connect(older)) as dst:
        src.backup(dst)
    studio.vault.revoke(shop["owner"], "secret", "bob")
    studio.close()
    older.replace(studio.paths.audit_anchor)
    for suffix in ("-wal", "-shm"):
        (studio.paths.root / f"audit-anchor.db{suffix}").unlink(missing_ok=True)
    with Studio.open(studio.paths.root) as again:
        bob = again.accounts.login("bob", TEST_PASSWORD)
        gets_nothing(again, bob)
        owner = again.accounts.login("owner", TEST_PASSWORD)
        again.vault.rotate(owner, "secret")
        assert keys_of(again, "bob") == 0 and again.vault.load(owner, "secret").tensors
        assert again.audit.verify(again.accounts.login("root", TEST_PASSWORD)).ok
