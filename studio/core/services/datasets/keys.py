"""Who can open an encrypted dataset: its data key, wrapped like a model file's key, through the vault's
keyring (studio/core/vault/keyring.py) and following the accounts' grants through the vault's hooks
(studio/core/services/vault/hooks.py, where this service is attached as the holder of "dataset" keys).

    user X25519 key pair ──wraps── the dataset's data key, for its owner and every holder of a grant on it
    vault recovery key   ──wraps── it too: an administrator can always open a dataset
    data key             ──HKDF──> each file's keys (the vault's stream format, studio/core/vault/stream.py)

- import: a new data key; the files are encrypted as they are written (studio/core/datasets/encrypted.py);
  the key is wrapped for the owner and the recovery key in the transaction that inserts the row;
- a grant (use, export or manage) on dataset:ID: the key is wrapped for the holder;
- the holder's last grant revoked: their wrap goes and the dataset is re-encrypted under a new data key
  (key epoch + 1, a new folder), so an old copy of their wrap or of the data key opens nothing current;
- an administrator's password reset: the user's remaining wraps (their own datasets) are re-wrapped to the
  new key pair through the recovery key;
- delete: the wraps are destroyed first (secure_delete, then a WAL checkpoint), then the files (crypto-shred).

Everything runs on the session of the operation, or of the accounts' change that calls the hook: never a
nested operation (SQLite has one writer).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from studio.core.db.tables.accounts import GrantRow
from studio.core.db.tables.datasets import DatasetRow
from studio.core.errors import ValidationError
from studio.core.fsutil import WriterLock
from studio.core.safepaths import confined
from studio.core.services.base import Service
from studio.core.services.vault.access import after_transaction
from studio.core.services.vault.base import Progress
from studio.core.stores.datasets import DatasetStore
from studio.core.tasks import TaskState
from studio.core.vault import files, stream, wrap
from studio.core.vault.errors import VaultKeyError
from studio.core.vault.keyring import RECOVERY, USER

if TYPE_CHECKING:  # numpy comes with it: loaded on first use, not with the window
    from studio.core.datasets.encrypted import DatasetKey

log = logging.getLogger(__name__)

STAGING_PREFIX = ".staging-"


def staging_lock(folder: Path, storage_key: str) -> WriterLock:
    """The writer lock of a dataset folder being made (an import, a re-encryption): `.staging-<key>.lock`, held
    from before its staging folder exists until the row naming `<key>` committed or the work was removed."""
    folder.mkdir(parents=True, exist_ok=True)
    return WriterLock(folder / f"{STAGING_PREFIX}{storage_key}.lock")
STORAGE_KEY_RE = re.compile(r"[0-9a-f]{32}")  # uuid4().hex: what an import or a re-encryption names a folder


def key_info(vault_id: bytes, uid: bytes) -> Callable[[str, int], bytes]:
    """What each wrap of this dataset's key is bound to (HPKE info)."""

    def info(recipient: str, user_id: int) -> bytes:
        return wrap.info_dataset_key(vault_id, uid, recipient, user_id)

    return info


class DatasetKeysMixin(Service):
    store: DatasetStore
    folder: Path
    chunk_size: int = stream.DEFAULT_CHUNK_SIZE

    def dataset_folder(self, storage_key: str) -> Path:
        """The folder of a dataset's files, from its row's storage_key, confined to the datasets folder
        (the row may have been edited: studio.core.safepaths)."""
        return confined(self.folder, storage_key, what="dataset folder", pattern=STORAGE_KEY_RE)

    # -- keys for the dataset service's own operations ---------------------------------------------------
    def new_key(self, actor: Any) -> DatasetKey:
        """A fresh key for a dataset about to be imported. Creates the vault on first use, in its own short
        transaction: call it inside the import operation before it writes anything."""
        from studio.core.datasets.encrypted import DatasetKey

        identity = self.studio.vault.identity(actor)
        return DatasetKey(stream.new_data_key(), identity.vault_id, os.urandom(16), 0, self.chunk_size)

    def open_key(self, s: Session, actor: Any, row: DatasetRow) -> DatasetKey:
        """The dataset's key for the actor: through their own wrap (owner, grantee), else (administrators)
        through the vault's recovery key. No wrap, no key, whatever the policy said."""
        keyring = self.studio.vault.keyring(s, actor)
        own = self.store.wrapped_key(s, row.id, USER, actor.user_id)
        if own is None and not keyring.is_admin:
            raise VaultKeyError(f"You hold no key for the dataset {row.name!r}: ask its owner to share it.")
        key = keyring.open_key(lambda: own, lambda: self.store.wrapped_key(s, row.id, RECOVERY),
                               key_info(keyring.vault_id, row.key_uid), f"The dataset {row.name!r}")
        from studio.core.datasets.encrypted import DatasetKey

        return DatasetKey(key, keyring.vault_id, row.key_uid, row.key_epoch, self.chunk_size)

    def seal_new(self, s: Session, actor: Any, dataset_id: int, key: DatasetKey, owner_id: int) -> None:
        """Wrap a new dataset's key for its owner and the recovery key (in the import's transaction)."""
        keyring = self.studio.vault.keyring(s, actor)
        for recipient, user_id, blob in keyring.wraps_for(key.key, keyring.public_keys([owner_id]),
                                                          key_info(key.vault_id, key.uid)):
            self.store.add_wrapped_key(s, dataset_id, recipient, user_id, blob)

    # -- hooks: inside the accounts' transaction, on its session -----------------------------------------
    def grant_added(self, s: Session, actor: Any, dataset_id: int, user_id: int) -> int:
        """A grant on an encrypted dataset: wrap its key for the holder. Returns the keys wrapped (0 or 1)."""
        row = s.get(DatasetRow, dataset_id)
        if row is None or not row.encrypted or self.store.wrapped_key(s, dataset_id, USER, user_id) is not None:
            return 0
        keyring = self.studio.vault.keyring(s, actor)
        public = keyring.public_keys([user_id]).get(user_id)
        if public is None:
            raise ValidationError(f"User {user_id} has no key pair.")
        key = self.open_key(s, actor, row)
        self.store.add_wrapped_key(s, dataset_id, USER, user_id,
                                   keyring.wrap_one(key.key, user_id, public, key_info(key.vault_id, key.uid)))
        log.info("datasets: wrapped the key of dataset %s for user %s", dataset_id, user_id)
        return 1

    def grant_revoked(self, s: Session, actor: Any, dataset_id: int, user_id: int,
                      state: TaskState | None = None) -> int:
        """A grant went. If it was the holder's last one on the dataset (and they do not own it), their wrap
        goes and the dataset is re-encrypted under a new key. Returns the files re-encrypted."""
        row = s.get(DatasetRow, dataset_id)
        if row is None or not row.encrypted or user_id == row.owner_id:
            return 0
        if self.store.wrapped_key(s, dataset_id, USER, user_id) is None:
            return 0
        if s.scalar(select(GrantRow.id).where(GrantRow.user_id == user_id, GrantRow.obj_type == "dataset",
                                              GrantRow.obj_id == str(dataset_id)).limit(1)) is not None:
            return 0  # still holds use (or more) through another grant
        return self.rotate_key(s, actor, row, drop_user=user_id, state=state)

    def key_reset(self, s: Session, actor: Any, user_id: int) -> int:
        """An administrator gave the user a new key pair: re-wrap the dataset keys they still hold (their
        grants were revoked first, so: their own datasets) to it, through the recovery key."""
        rows = self.store.user_wrap_rows(s, user_id)
        if not rows:
            return 0
        keyring = self.studio.vault.keyring(s, actor)
        public = self.studio.vault.directory.public_key(s, user_id)
        for wrapped in rows:
            row = s.get(DatasetRow, wrapped.dataset_id)
            info = key_info(keyring.vault_id, row.key_uid)
            key = keyring.open_key(lambda: None, lambda r=row: self.store.wrapped_key(s, r.id, RECOVERY), info,
                                   f"The dataset {row.name!r}")
            wrapped.wrapped = keyring.wrap_one(key, user_id, public, info)
        s.flush()
        log.info("datasets: re-wrapped %d dataset key(s) of user %s after a key reset", len(rows), user_id)
        return len(rows)

    # -- re-encryption -------------------------------------------------------------------------------------
    def rotate_key(self, s: Session, actor: Any, row: DatasetRow, drop_user: int | None = None,
                   state: TaskState | None = None) -> int:
        """Re-encrypt every file of the dataset under a new data key into a new folder, then switch the row
        and the wraps to it on `s` (minus `drop_user`'s); the old folder goes after the commit, the new one
        after a rollback. Returns the files re-encrypted."""
        from studio.core.datasets.encrypted import DatasetKey

        old = self.open_key(s, actor, row)
        new = DatasetKey(stream.new_data_key(), old.vault_id, old.uid, old.epoch + 1, self.chunk_size)
        old_folder = self.dataset_folder(row.storage_key)
        storage_key = uuid.uuid4().hex
        staging, final = self.folder / f"{STAGING_PREFIX}{storage_key}", self.folder / storage_key
        names = sorted(p.name for p in old_folder.iterdir() if p.is_file())
        progress = Progress(state, sum((old_folder / n).stat().st_size for n in names), "Re-encrypting")
        writing = staging_lock(self.folder, storage_key)  # held until the transaction ends: see remove_leftovers
        staging.mkdir(parents=True)
        try:
            for name in names:
                with open(old_folder / name, "rb") as src, \
                        files.atomic_encrypted_writer(staging / name, new.key, new.ref(name), new.chunk_size) as dst:
                    for chunk in stream.iter_plaintext(src, old.key, old.ref(name), progress.step(f"Re-encrypting {name}"),
                                                       mapped=True):
                        dst.write(chunk)
            os.replace(staging, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            writing.release()
            raise
        holders = [u for u in self.store.key_holders(s, row.id) if u != drop_user]
        self.store.delete_wrapped_keys(s, row.id)
        keyring = self.studio.vault.keyring(s, actor)
        for recipient, user_id, blob in keyring.wraps_for(new.key, keyring.public_keys(holders),
                                                          key_info(new.vault_id, new.uid)):
            self.store.add_wrapped_key(s, row.id, recipient, user_id, blob)
        row.storage_key, row.key_epoch = storage_key, new.epoch
        s.flush()
        after_transaction(s, on_commit=lambda: (shutil.rmtree(old_folder, ignore_errors=True), writing.release()),
                          on_rollback=lambda: (shutil.rmtree(final, ignore_errors=True), writing.release()))
        log.info("datasets: re-encrypted dataset %s (%d files, key epoch %d)", row.id, len(names), new.epoch)
        return len(names)
