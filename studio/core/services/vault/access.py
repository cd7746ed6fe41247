"""Who can open a model: share (wrap its keys for one more user), revoke (forget that user's wraps and
rotate: every file re-encrypted under a new data key, so an old copy of a wrapped key opens nothing
current), rotate on demand, and the administrators' recovery key."""

from __future__ import annotations

import logging
from typing import Any

from studio.core import operations as ops
from studio.core.errors import ValidationError
from studio.core.fsutil import atomic_writer
from studio.core.services.vault.base import Progress, VaultBase
from studio.core.tasks import TaskState
from studio.core.vault import stream
from studio.core.vault.blobs import BlobStore, NewBlobs
from studio.core.vault.errors import VaultError
from studio.core.vault.keys import private_key_of

log = logging.getLogger(__name__)


class AccessMixin(VaultBase):
    def share(self, actor: Any, model: int | str, user_id: int) -> int:
        """Wrap every key of the model for `user_id` (and of every version stored later). Returns the
        number of keys wrapped. The policy grant (use/export/manage) is the accounts' side of sharing."""
        with self.operation(actor, ops.GRANT_ADD, "model", self.model_id(model), user=user_id) as op:
            s = op.session
            keyring = self.keyring(s, actor)
            row = self.model_for(s, actor, model)
            public = keyring.public_keys([user_id]).get(user_id)
            if public is None:
                raise ValidationError(f"User {user_id} has no key pair: they must log in once first.")
            self.store.add_recipient(s, row.id, user_id, actor.user_id)
            arts = self.store.model_artifact_rows(s, row.id, include_pending=True)
            for a in arts:
                keyring.wrap_for(a, user_id, public)
            op.details.update(model=row.name, keys=len(arts))
            return len(arts)

    def revoke(self, actor: Any, model: int | str, user_id: int, *, state: TaskState | None = None) -> int:
        """Take a user's keys away and rotate every file of the model. Returns the files re-encrypted."""
        with NewBlobs(self.blobs).guard() as new, \
                self.operation(actor, ops.GRANT_REVOKE, "model", self.model_id(model), user=user_id) as op:
            s = op.session
            row = self.model_for(s, actor, model)
            if user_id == row.owner_id:
                raise ValidationError("The owner of a model always holds its keys; delete the model instead.")
            old = self._rotate(s, actor, row, new, drop_user=user_id, state=state)
            op.details.update(model=row.name, rotated=len(old))
        self.blobs.remove(old)
        return len(old)

    def rotate(self, actor: Any, model: int | str, *, state: TaskState | None = None) -> int:
        """Re-encrypt every file of the model under new data keys. Returns the files re-encrypted."""
        with NewBlobs(self.blobs).guard() as new, \
                self.operation(actor, ops.MODEL_UPDATE, "model", self.model_id(model), what="rotate") as op:
            row = self.model_for(op.session, actor, model)
            old = self._rotate(op.session, actor, row, new, drop_user=None, state=state)
            op.details.update(model=row.name, rotated=len(old))
        self.blobs.remove(old)
        return len(old)

    def _rotate(self, s, actor: Any, row, new: NewBlobs, drop_user: int | None, state: TaskState | None) -> list[str]:
        keyring = self.keyring(s, actor)
        versions = {v.id: v for v in self.store.version_rows(s, row.id)}
        arts = self.store.model_artifact_rows(s, row.id)
        keys = {a.id: keyring.data_key(a) for a in arts}  # every old key opens, or nothing starts
        progress = Progress(state, sum(a.plaintext_size for a in arts), "Re-encrypting")
        fresh = []
        for a in arts:
            ref = self.ref(keyring.meta, a, versions[a.version_id])
            key, epoch = stream.new_data_key(), a.key_epoch + 1
            blob = BlobStore.name_for(a.uid, epoch)
            with open(self.blob_path(a), "rb") as src, atomic_writer(new.add(blob)) as dst:
                writer = stream.StreamWriter(dst, key, ref, self.chunk_size)
                for chunk in stream.iter_plaintext(src, keys[a.id], ref, progress.step(f"Re-encrypting {a.name}"),
                                                   mapped=True):
                    writer.write(chunk)
                writer.close()
            fresh.append((a, key, blob, epoch))
        # all new files are complete: switch every row to them in this one transaction
        if drop_user is not None:
            self.store.remove_recipient(s, row.id, drop_user)
            pending = self.store.model_artifact_rows(s, row.id, include_pending=True)
            self.store.delete_wrapped_keys(s, [a.id for a in pending], user_id=drop_user)
        self.store.delete_wrapped_keys(s, [a.id for a in arts])
        publics = keyring.public_keys(self.store.recipients(s, row.id))
        old = []
        for a, key, blob, epoch in fresh:
            old.append(a.blob)
            a.blob, a.key_epoch, a.chunk_size = blob, epoch, self.chunk_size
            a.stored_size = stream.encrypted_size(a.plaintext_size, self.chunk_size, a.role)
            s.flush()
            keyring.seal(a.id, a.uid, key, publics)
        log.info("vault: rotated %d file(s) of model %s", len(fresh), row.id)
        return old

    # --- the administrators' recovery key ---------------------------------------------------------------------

    def share_recovery(self, actor: Any, admin_id: int) -> None:
        """Wrap the recovery key for another administrator (call it when a user becomes an admin)."""
        with self.operation(actor, ops.VAULT_RECOVERY, "user", admin_id, what="share") as op:
            keyring = self.keyring(op.session, actor)
            if self.directory is not None and admin_id not in self.directory.admin_user_ids():
                raise ValidationError("Only administrators hold the vault's recovery key.")
            public = keyring.public_keys([admin_id]).get(admin_id)
            if public is None:
                raise ValidationError(f"User {admin_id} has no key pair.")
            keyring.share_recovery(admin_id, public)

    def revoke_recovery(self, actor: Any, admin_id: int) -> bool:
        """Forget one administrator's wrap of the recovery key (call it when an admin is demoted)."""
        with self.operation(actor, ops.VAULT_RECOVERY, "user", admin_id, what="revoke") as op:
            private_key_of(actor)
            holders = self.store.recovery_holders(op.session)
            if holders == [admin_id]:
                raise VaultError("This is the last administrator holding the recovery key; share it first.")
            return self.store.remove_recovery_wrap(op.session, admin_id)

    def rewrap_user(self, actor: Any, user_id: int) -> int:
        """After a user's key pair was replaced (an administrator reset their password, so the old private
        key is gone): re-wrap every data key they held to their new public key, through the recovery key.
        One transaction: a crash leaves all old wraps or all new ones. Returns the keys re-wrapped."""
        with self.operation(actor, ops.VAULT_RECOVERY, "user", user_id, what="rewrap") as op:
            keyring = self.keyring(op.session, actor)
            if self.directory is None:
                raise VaultError("The vault has no user directory: it cannot find the user's new key.")
            count = keyring.rewrap_user(user_id, self.directory.public_key(user_id))
            op.details.update(keys=count)
            return count
