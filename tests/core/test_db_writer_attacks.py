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
