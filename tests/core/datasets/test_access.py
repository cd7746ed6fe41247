"""Datasets with the real accounts and the vault: the "dataset" object type and its grants, what each user
sees and may do, encryption at rest (ciphertext on disk, keys that follow the grants, re-encryption when the
last grant goes, crypto-shredding on delete) and removing the source after an import."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sqlalchemy import func, select

from studio.core.datasets.encrypted import EncryptedStorage
from studio.core.datasets.options import ImportOptions
from studio.core.db.tables.datasets import DatasetKeyRow, DatasetRow
from studio.core.errors import AccessDenied, NotFoundError, ValidationError
from studio.core.vault.errors import VaultKeyError, VaultLockedError
from tests.conftest import TEST_PASSWORD

SENTENCE = "The lighthouse keeper counted eleven silver herons before dawn."
NEW_PASSWORD = "Granite-Otter-5528"


@pytest.fixture
def corpus(tmp_path):
    src = tmp_path / "private.txt"
    src.write_text("\n\n".join([SENTENCE] + [f"Entry {i} notes {i * 7 % 13} quiet harbours." for i in range(300)]))
    return src


@pytest.fixture
def alice(admin, make_user):
    return make_user("trainer", "alice")


def options(path, name="diary", **kw):
    kw.setdefault("tokenizer", "byte")
    kw.setdefault("split", (1.0, 0.0, 0.0))
    return ImportOptions(path=str(path), name=name, **kw)


def needles() -> dict[str, bytes]:
    """What a plaintext dataset shows on disk: the text, its byte-tokenizer ids (uint16), the tokenizer."""
    return {"text": SENTENCE.encode(), "token ids": np.frombuffer(SENTENCE.encode(), np.uint8).astype("<u2").tobytes(),
            "tokenizer": b'"studio_tokenizer"', "manifest": b'"studio-dataset"'}


def readable(blob: bytes) -> list[bytes]:
    """A file's bytes, and their zstd decompression when they are zstd frames (the plaintext document text)."""
    import io

    import zstandard

    if blob[:4] != b"\x28\xb5\x2f\xfd":
        return [blob]
    return [blob, zstandard.ZstdDecompressor().stream_reader(io.BytesIO(blob), read_across_frames=True).read()]


def found_on_disk(studio) -> set[str]:
    """Which needles occur in any file of the data folder (database and its WAL included), read as they are
    or decompressed."""
    blobs = [b for p in studio.paths.root.rglob("*") if p.is_file() for b in readable(p.read_bytes())]
    return {name for name, needle in needles().items() if any(needle in blob for blob in blobs)}


def arrays_of(studio, who, dataset):
    a = studio.datasets.open_arrays(who, dataset)
    return {s: np.array(a.split(s)) for s in ("train", "val", "test")}


def key_rows(studio, dataset_id=None) -> list[tuple[str, int]]:
    with studio.db.session() as s:
        query = select(DatasetKeyRow.recipient, DatasetKeyRow.user_id)
        if dataset_id is not None:
            query = query.where(DatasetKeyRow.dataset_id == dataset_id)
        return sorted(tuple(r) for r in s.execute(query))


def row_of(studio, dataset_id) -> tuple[str, int]:
    with studio.db.session() as s:
        row = s.get(DatasetRow, dataset_id)
        return row.storage_key, row.key_epoch


def test_encrypted_at_rest_the_text_and_arrays_are_ciphertext(studio, alice, corpus):
    plain = studio.datasets.import_dataset(alice, options(corpus, name="plain", encrypt=False))
    assert found_on_disk(studio) == set(needles())  # the search finds a plaintext dataset's content
    studio.datasets.delete(alice, plain.id)
    info = studio.datasets.import_dataset(alice, options(corpus))  # encrypted is the default
    assert info.encrypted and info.storage_format == "vault-v1"
    assert found_on_disk(studio) == set()
    files = sorted(p.name for p in (studio.paths.datasets / info.storage_key).iterdir())
    assert "train.tokens" in files and "docs.text" in files
    assert all((studio.paths.datasets / info.storage_key / f).read_bytes()[:8] == b"\x93MSVAULT" for f in files)
    # and training reads it back exactly
    reader = studio.datasets.open_reader(alice, info.id)
    try:
        assert reader.text(0) == SENTENCE
    finally:
        reader.close()
    train = studio.datasets.open_arrays(alice, info.id).train
    assert bytes(train[:len(SENTENCE)].astype(np.uint8)) == SENTENCE.encode()


def stats_in_db(studio, dataset_id) -> dict:
    import sqlite3

    conn = sqlite3.connect(studio.paths.db)
    try:
        return json.loads(conn.execute("SELECT stats_json FROM datasets WHERE id = ?", (dataset_id,)).fetchone()[0])
    finally:
        conn.close()


def test_the_frequent_tokens_of_an_encrypted_dataset_stay_encrypted(studio, alice, make_user, corpus):
    plain = studio.datasets.import_dataset(alice, options(corpus, name="plain", encrypt=False))
    secret = studio.datasets.import_dataset(alice, options(corpus, name="secret"))
    assert stats_in_db(studio, plain.id)["top_tokens"]
    assert "top_tokens" not in stats_in_db(studio, secret.id)  # studio.db says nothing about the content
    assert not next(i for i in studio.datasets.list(alice) if i.id == secret.id).stats.top_tokens
    # who holds the key reads them, decrypted from the dataset's own files
    assert studio.datasets.get(alice, secret.id).stats.top_tokens == plain.stats.top_tokens
    bob = make_user("viewer", "bob")
    studio.grants.add(alice, "bob", "dataset", secret.id, "use")
    assert studio.datasets.get(bob, secret.id).stats.top_tokens == plain.stats.top_tokens
    folder = studio.paths.datasets / secret.storage_key
    assert (folder / "stats.json").read_bytes()[:8] == b"\x93MSVAULT"


def test_the_migration_drops_them_from_datasets_imported_before(studio, alice, corpus):
    import sqlite3

    from alembic import command

    from studio.core.db.migrate import alembic_config

    secret = studio.datasets.import_dataset(alice, options(corpus, name="secret"))
    plain = studio.datasets.import_dataset(alice, options(corpus, name="plain", encrypt=False))
    conn = sqlite3.connect(studio.paths.db)  # as an older studio stored it
    conn.execute("UPDATE datasets SET stats_json = ? WHERE id = ?",
                 (json.dumps({**stats_in_db(studio, secret.id), "top_tokens": [{"id": 1, "text": "harbour",
                                                                                 "count": 9, "share": 0.5}]}),
                  secret.id))
    conn.commit()
    conn.close()
    from alembic.script import ScriptDirectory

    ours = next(r for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()
                if r.path.endswith("_encrypted_dataset_stats.py"))
    with studio.db.engine.begin() as c:
        command.downgrade(alembic_config(c), ours.down_revision)
        command.upgrade(alembic_config(c), ours.revision)
    assert "top_tokens" not in stats_in_db(studio, secret.id)
    assert stats_in_db(studio, plain.id)["top_tokens"]  # a plaintext dataset keeps them


def test_grants_on_datasets_follow_the_accounts(studio, alice, make_user, corpus):
    bob, vic, carol = make_user("trainer", "bob"), make_user("viewer", "vic"), make_user("trainer", "carol")
    info = studio.datasets.import_dataset(alice, options(corpus))
    assert [d.name for d in studio.datasets.list(alice)] == ["diary"]
    assert studio.datasets.list(bob) == [] and studio.datasets.list(vic) == []
    with pytest.raises(NotFoundError):
        studio.grants.add(studio.accounts.login("admin", TEST_PASSWORD), "bob", "dataset", 999, "use")
    with pytest.raises(AccessDenied):
        studio.grants.add(carol, "bob", "dataset", info.id, "use")  # only its owner, an admin or a manager
    studio.grants.add(alice, "vic", "dataset", info.id, "use")
    studio.grants.add(alice, "bob", "dataset", info.id, "manage")
    assert key_rows(studio, info.id) == [("recovery", 0), ("user", alice.user_id), ("user", bob.user_id),
                                         ("user", vic.user_id)]
    # a viewer with use sees it and trains on it, and may not change it
    assert [d.name for d in studio.datasets.list(vic)] == ["diary"]
    assert studio.datasets.get(vic, info.id).name == "diary"
    np.testing.assert_array_equal(arrays_of(studio, vic, info.id)["train"], arrays_of(studio, alice, info.id)["train"])
    for change in (lambda: studio.datasets.rename(vic, info.id, "mine"), lambda: studio.datasets.delete(vic, info.id),
                   lambda: studio.datasets.set_tags(vic, info.id, ["x"])):
        with pytest.raises(AccessDenied):
            change()
    # a manager renames, tags and shares onward (with the key his grant gave him)
    assert studio.datasets.rename(bob, info.id, "shared diary").name == "shared diary"
    studio.grants.add(bob, "carol", "dataset", info.id, "use")
    assert studio.datasets.open_arrays(carol, info.id).train.size == info.tokens
    # nobody can give a viewer more than use
    with pytest.raises(ValidationError, match="viewer"):
        studio.grants.add(alice, "vic", "dataset", info.id, "export")


def test_a_non_grantee_cannot_open_it_even_with_the_files(studio, alice, make_user, corpus):
    bob, carol = make_user("trainer", "bob"), make_user("trainer", "carol")
    info = studio.datasets.import_dataset(alice, options(corpus))
    studio.grants.add(alice, "bob", "dataset", info.id, "use")
    with pytest.raises(AccessDenied):  # the policy refuses, and says so in the audit log
        studio.datasets.open_arrays(carol, info.id)
    assert studio.audit_store.page(limit=1)[0].outcome == "denied"
    with studio.db.session() as s:  # past the policy, with the files and the database: no key opens
        row = s.get(DatasetRow, info.id)
        with pytest.raises(VaultKeyError, match="no key"):
            studio.datasets.open_key(s, carol, row)
        bobs = studio.datasets.store.wrapped_key(s, info.id, "user", bob.user_id)
        with pytest.raises(VaultKeyError):  # bob's wrap does not open with carol's key
            studio.vault.keyring(s, carol).open_key(lambda: bobs, lambda: None, lambda r, u: b"x", "it")
        good = studio.datasets.open_key(s, alice, row)
    wrong = EncryptedStorage(type(good)(b"\x01" * 32, good.vault_id, good.uid, good.epoch))
    with pytest.raises(Exception, match="damaged or was replaced"):
        wrong.read_array(studio.paths.datasets / info.storage_key / "train.tokens", np.uint16)
    # an administrator opens every dataset through the vault's recovery key
    admin = studio.accounts.login("admin", TEST_PASSWORD)
    assert ("user", admin.user_id) not in key_rows(studio, info.id)
    assert studio.datasets.open_arrays(admin, info.id).train.size == info.tokens
    studio.grants.add(admin, "carol", "dataset", info.id, "use")  # and shares it with the key it opened
    assert studio.datasets.open_arrays(carol, info.id).train.size == info.tokens
    # a locked session opens nothing
    bob.lock()
    with pytest.raises((AccessDenied, VaultLockedError)):
        studio.datasets.open_arrays(bob, info.id)


def test_revoking_the_last_grant_re_encrypts(studio, alice, make_user, corpus):
    bob = make_user("trainer", "bob")
    info = studio.datasets.import_dataset(alice, options(corpus))
    before = arrays_of(studio, alice, info.id)
    studio.grants.add(alice, "bob", "dataset", info.id, "use")
    studio.grants.add(alice, "bob", "dataset", info.id, "export")
    with studio.db.session() as s:
        bobs_key = studio.datasets.open_key(s, bob, s.get(DatasetRow, info.id))  # what bob could have copied
    folder = row_of(studio, info.id)
    studio.grants.revoke(alice, "bob", "dataset", info.id, "export")
    assert row_of(studio, info.id) == folder  # he still holds use: nothing changes
    assert studio.datasets.open_arrays(bob, info.id).train.size == info.tokens
    studio.grants.revoke(alice, "bob", "dataset", info.id, "use")
    storage_key, epoch = row_of(studio, info.id)
    assert storage_key != folder[0] and epoch == 1
    assert not (studio.paths.datasets / folder[0]).exists()
    assert sorted(p.name for p in studio.paths.datasets.iterdir()) == [storage_key]
    assert key_rows(studio, info.id) == [("recovery", 0), ("user", alice.user_id)]
    with pytest.raises(AccessDenied):
        studio.datasets.open_arrays(bob, info.id)
    with pytest.raises(Exception, match="damaged or was replaced"):  # his old key opens nothing current
        EncryptedStorage(bobs_key).read_array(studio.paths.datasets / storage_key / "train.tokens", np.uint16)
    after = arrays_of(studio, alice, info.id)
    assert all(np.array_equal(before[s], after[s]) for s in before)
    assert found_on_disk(studio) == set()


def test_a_revocation_whose_re_encryption_fails_is_undone(studio, alice, make_user, corpus):
    bob = make_user("trainer", "bob")
    info = studio.datasets.import_dataset(alice, options(corpus))
    studio.grants.add(alice, "bob", "dataset", info.id, "use")
    path = studio.paths.datasets / info.storage_key / "docs.index"
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(data)
    with pytest.raises(Exception, match="does not verify"):
        studio.grants.revoke(alice, "bob", "dataset", info.id, "use")
    assert sorted(p.name for p in studio.paths.datasets.iterdir()) == [info.storage_key]  # nothing new left
    assert row_of(studio, info.id) == (info.storage_key, 0)
    assert [g.permission for g in studio.accounts_store.grants(user_id=bob.user_id)] == ["use"]
    assert studio.datasets.open_arrays(bob, info.id).train.size == info.tokens  # still his, key and all


def test_a_password_reset_rewraps_own_datasets_and_revokes_granted_ones(studio, admin, alice, make_user, corpus,
                                                                         tmp_path):
    make_user("trainer", "bob")
    bobs_src = tmp_path / "bobs.txt"
    bobs_src.write_text("\n\n".join(f"bob's line {i}" for i in range(50)))
    bob = studio.accounts.login("bob", TEST_PASSWORD)
    bobs = studio.datasets.import_dataset(bob, options(bobs_src, name="bobs"))
    alices = studio.datasets.import_dataset(alice, options(corpus))
    studio.grants.add(alice, "bob", "dataset", alices.id, "use")
    studio.accounts.reset_password(admin, "bob", NEW_PASSWORD)
    bob = studio.accounts.login("bob", NEW_PASSWORD)
    assert studio.datasets.open_arrays(bob, bobs.id).train.size == bobs.tokens  # re-wrapped to his new key
    with pytest.raises(AccessDenied):  # the reset revoked his grant on alice's dataset...
        studio.datasets.open_arrays(bob, alices.id)
    assert row_of(studio, alices.id)[1] == 1  # ...which was re-encrypted


def test_delete_crypto_shreds(studio, alice, make_user, corpus, tmp_path):
    make_user("trainer", "bob")
    info = studio.datasets.import_dataset(alice, options(corpus))
    studio.grants.add(alice, "bob", "dataset", info.id, "use")
    copy = {p.name: p.read_bytes() for p in (studio.paths.datasets / info.storage_key).iterdir()}
    studio.datasets.delete(alice, info.id)
    assert key_rows(studio) == [] and list(studio.paths.datasets.iterdir()) == []
    assert studio.accounts_store.grants(obj_type="dataset") == []  # a later dataset may get the same id
    entry = studio.audit_store.page(limit=1)[0]
    details = json.loads(entry.details_json)
    assert (entry.action, details["keys_destroyed"], len(details["revoked_grants"])) == ("dataset.delete", 3, 1)
    with studio.db.session() as s:
        assert s.scalar(select(func.count()).select_from(DatasetRow)) == 0
    assert copy and all(blob[:8] == b"\x93MSVAULT" and SENTENCE.encode() not in blob for blob in copy.values())


def test_a_failed_encrypted_import_leaves_no_key_and_no_file(studio, alice, tmp_path):
    src = tmp_path / "d.jsonl"
    src.write_text("".join(f'{{"text": "row {i}"}}\n' for i in range(3000)) + "{broken\n")
    with pytest.raises(ValidationError, match="line 3001"):
        studio.datasets.import_dataset(alice, options(src), block_bytes=1024)
    assert key_rows(studio) == [] and list(studio.paths.datasets.iterdir()) == []


def test_remove_the_source_after_import(studio, alice, corpus, tmp_path):
    info = studio.datasets.import_dataset(alice, options(corpus, remove_source=True))
    assert info.removed_sources == (str(corpus),) and not corpus.exists()
    assert studio.datasets.get(alice, info.id).documents == 301
    folder = tmp_path / "notes"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("first note\n\nsecond note")
    (folder / "sub" / "b.md").write_text("third note")
    (folder / "keep.bin").write_bytes(b"\x00\x01")  # not a known format: not read, so not removed
    info = studio.datasets.import_dataset(alice, options(folder, name="notes", remove_source=True))
    assert info.documents == 2 and sorted(p.name for p in folder.rglob("*")) == ["keep.bin"]
    assert str(folder / "sub") in info.removed_sources
    # a failed import removes nothing
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x"}\n{oops\n')
    with pytest.raises(ValidationError):
        studio.datasets.import_dataset(alice, options(bad, name="bad", remove_source=True))
    assert bad.exists()


def test_the_shipped_sample_is_never_removed(studio, alice):
    from studio.core.datasets.sample import sample_qa_path

    info = studio.datasets.import_dataset(alice, options(sample_qa_path(), name="qa", remove_source=True))
    assert info.removed_sources == () and sample_qa_path().exists()


def statements_of(studio, call) -> tuple[list[str], BaseException | None]:
    """The SQL statements `call` runs (texts, without their parameters), and what it raised."""
    from sqlalchemy import event

    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(studio.db.engine, "before_cursor_execute", record)
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the answer is what is compared
        return seen, error
    finally:
        event.remove(studio.db.engine, "before_cursor_execute", record)
    return seen, None


def test_a_dataset_you_cannot_see_does_not_exist_for_you(studio, admin, alice, make_user, corpus):
    """Names are the owner's (issue 14, 12: importing under the name of a dataset one could not see was refused
    as "exists already", which told that it existed). A name only an invisible dataset carries is free, and every
    verb answers it exactly as, and at the cost of, a name nobody uses."""
    from studio.core.errors import ConflictError

    bob, carol = make_user("trainer", "bob"), make_user("trainer", "carol")
    secret = studio.datasets.import_dataset(alice, options(corpus, name="secret-project"))
    answers: dict[str, list] = {}
    verbs = {"get": lambda n: studio.datasets.get(bob, n), "arrays": lambda n: studio.datasets.open_arrays(bob, n),
             "rename": lambda n: studio.datasets.rename(bob, n, "x"), "tags": lambda n: studio.datasets.set_tags(bob, n, []),
             "delete": lambda n: studio.datasets.delete(bob, n), "holders": lambda n: studio.datasets.key_holders(bob, n)}
    for name in ("secret-project", "no-such-dataset"):
        for verb, call in verbs.items():
            statements, error = statements_of(studio, lambda call=call, name=name: call(name))
            assert isinstance(error, NotFoundError), (verb, name, error)
            answers.setdefault(verb, []).append((str(error).replace(name, "NAME"), statements))
    assert all(a == b for a, b in answers.values()), answers  # same message, same queries
    statements = [statements_of(studio, lambda n=n: studio.datasets.check_import(bob, options(corpus, name=n)))
                  for n in ("secret-project", "no-such-dataset")]
    assert statements[0] == statements[1] and statements[0][1] is None
    # the name is free for him; each owner's name resolves to their own
    mine = studio.datasets.import_dataset(bob, options(corpus, name="secret-project"))
    assert mine.id != secret.id and [d.name for d in studio.datasets.list(bob)] == ["secret-project"]
    assert studio.datasets.get(alice, "secret-project").id == secret.id
    assert studio.datasets.get(bob, "secret-project").id == mine.id
    with pytest.raises(ConflictError, match="exists already"):  # still unique per owner
        studio.datasets.import_dataset(bob, options(corpus, name="secret-project"))
    other = studio.datasets.import_dataset(bob, options(corpus, name="other"))
    with pytest.raises(ConflictError, match="exists already"):
        studio.datasets.rename(bob, other.id, "secret-project")
    # shared with him: his own comes first; shared with carol by both: she must give the id
    studio.grants.add(alice, "bob", "dataset", secret.id, "use")
    assert studio.datasets.get(bob, "secret-project").id == mine.id
    studio.grants.add(alice, "carol", "dataset", secret.id, "use")
    assert studio.datasets.get(carol, "secret-project").id == secret.id  # the one she can see
    studio.grants.add(bob, "carol", "dataset", mine.id, "use")
    for who in (carol, admin):
        with pytest.raises(ConflictError, match=rf"Several datasets you can see are called 'secret-project' "
                                                rf"\(ids {secret.id} \(alice's\), {mine.id} \(bob's\)\); give the id"):
            studio.datasets.get(who, "secret-project")
    assert studio.datasets.get(carol, mine.id).owner_name == "bob"  # by id
    # a run names its dataset the same way
    from studio.core.services.runs import data as run_data

    assert run_data.resolve(studio, bob, "secret-project") == mine.id
    with pytest.raises(NotFoundError):
        run_data.resolve(studio, make_user("trainer", "dan"), "secret-project")
