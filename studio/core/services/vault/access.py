"""Who can open a model. The accounts' grants decide, and the vault's keys follow them in the same
transaction (studio.core.services.vault.hooks): a grant of use (or more) on a model wraps its keys for the
holder; when a holder's last grant on it goes, their wraps are forgotten and every file is re-encrypted
under a new data key (rotation), so an old copy of a wrapped key opens nothing current. Administrators open
everything through the vault's recovery key, which follows the admin role the same way; an administrator's
password reset re-wraps the user's keys to their new key pair through it.

`share` and `revoke` here are the vault's words for the same grants (`studio.grants.add/revoke` on
"model:ID" do exactly the same)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from studio.core import operations as ops
from studio.core.db.tables.accounts import GrantRow
from studio.core.db.tables.vault import VaultModelRow
from studio.core.errors import ConflictError, NotFoundError, ValidationError
from studio.core.fsutil import atomic_writer
from studio.core.security import policy
from studio.core.services.vault.base import Progress, VaultBase
from studio.core.tasks import TaskState
from studio.core.vault import stream
from studio.core.vault.blobs import BlobStore, NewBlobs
from studio.core.vault.errors import VaultError
from studio.core.vault.keys import private_key_of

log = logging.getLogger(__name__)


@dataclass
class _Call:
    """What a share/revoke call passes to the hooks it triggers through the grants service (same thread),
    and what they report back."""

    state: TaskState | None = None
    keys: int = 0
    rotated: int = 0


_CALL: ContextVar[_Call | None] = ContextVar("vault_access_call", default=None)


@contextlib.contextmanager
def _call(state: TaskState | None = None) -> Iterator[_Call]:
    call = _Call(state)
    token = _CALL.set(call)
    try:
        yield call
    finally:
        _CALL.reset(token)


def after_transaction(s: Session, on_commit, on_rollback) -> None:
    """Run one of two clean-ups when the transaction of `s` ends (a hook cannot know whether the accounts'
    change it belongs to will commit)."""
    event.listen(s, "after_commit", lambda _s: on_commit(), once=True)
    event.listen(s, "after_rollback", lambda _s: on_rollback(), once=True)


class AccessMixin(VaultBase):
    # --- the vault's words for grants -------------------------------------------------------------------------

    def share(self, actor: Any, model: int | str, user: int | str, permission: str = "use") -> int:
        """Grant `user` (id or name) `permission` (use, export or manage) on the model, which wraps every
        key of the model for them (and of every version stored later). Returns the keys newly wrapped."""
        model_id = self.model_id(model, actor)
        self.check(actor, ops.GRANT_ADD, "model", model_id)
        with self.studio.db.session() as s:
            name = self.directory.user_name(s, self.user_id_of(s, user))
        with _call() as call:
            self.studio.grants.add(actor, name, "model", model_id, permission)
        return call.keys

    def revoke(self, actor: Any, model: int | str, user: int | str, *, state: TaskState | None = None) -> int:
        """Take every grant of `user` on the model away: their keys are forgotten and every file of the model
        is re-encrypted under new data keys. Returns the files re-encrypted."""
        model_id = self.model_id(model, actor)
        self.check(actor, ops.GRANT_REVOKE, "model", model_id)
        with self.studio.db.session() as s:
            row = self.store.model_row(s, model_id)
            user_id = self.user_id_of(s, user)
            name = self.directory.user_name(s, user_id)
            if user_id == row.owner_id:
                raise ValidationError("The owner of a model always holds its keys; delete the model instead.")
            held = sorted(s.scalars(select(GrantRow.permission).where(
                GrantRow.user_id == user_id, GrantRow.obj_type == "model", GrantRow.obj_id == str(model_id))),
                key=policy.level)
        if not held:
            raise NotFoundError(f"{name} holds no grant on the model {row.name!r}.")
        with _call(state) as call:
            for permission in held:  # the last one re-encrypts the model
                self.studio.grants.revoke(actor, name, "model", model_id, permission)
        return call.rotated

    def rotate(self, actor: Any, model: int | str, *, state: TaskState | None = None) -> int:
        """Re-encrypt every file of the model under new data keys. Returns the files re-encrypted."""
        with NewBlobs(self.blobs).guard() as new, \
                self.operation(actor, ops.MODEL_ROTATE, "model", self.model_id(model, actor)) as op:
            row = self.model_for(op.session, actor, model)
            old = self._rotate(op.session, actor, row, new, drop_user=None, state=state)
            op.details.update(model=row.name, rotated=len(old))
        self.blobs.remove(old)
        return len(old)

    # --- hooks: inside the accounts' transaction, on its session ---------------------------------------------

    def grant_added(self, s: Session, actor: Any, model_id: int, user_id: int) -> int:
        """A grant on a model: wrap every key of the model (pending versions too) for the holder."""
        row = s.get(VaultModelRow, model_id)
        if row is None or self.store.meta(s) is None:
            return 0
        keyring = self.keyring(s, actor)
        row = self.model_for(s, actor, model_id)
        public = keyring.public_keys([user_id]).get(user_id)
        if public is None:
            raise ValidationError(f"User {user_id} has no key pair.")
        self.store.add_recipient(s, row.id, user_id, actor.user_id)
        arts = self.store.model_artifact_rows(s, row.id, include_pending=True)
        wrapped = sum(keyring.wrap_for(a, user_id, public) for a in arts)
        log.info("vault: wrapped %d key(s) of model %s for user %s", wrapped, row.id, user_id)
        return wrapped

    def grant_revoked(self, s: Session, actor: Any, model_id: int, user_id: int,
                      state: TaskState | None = None) -> int:
        """A grant on a model went. If it was the holder's last one (and they do not own it), forget their
        wraps and rotate the model. Returns the files re-encrypted."""
        row = s.get(VaultModelRow, model_id)
        if row is None or self.store.meta(s) is None or user_id == row.owner_id:
            return 0
        if user_id not in self.store.recipients(s, row.id):
            return 0
        if s.scalar(select(GrantRow.id).where(GrantRow.user_id == user_id, GrantRow.obj_type == "model",
                                              GrantRow.obj_id == str(model_id)).limit(1)) is not None:
            return 0  # still holds use (or more) through another grant
        new = NewBlobs(self.blobs)
        with new.guard(release=False):  # the accounts' transaction, not this block, decides
            old = self._rotate(s, actor, self.model_for(s, actor, model_id), new, drop_user=user_id, state=state)
        after_transaction(s, on_commit=lambda: (self.blobs.remove(old), new.release()),
                          on_rollback=lambda: (self.blobs.remove(new.names), new.release()))
        return len(old)

    def key_reset(self, s: Session, actor: Any, user_id: int) -> int:
        """An administrator gave the user a new key pair (password reset): re-wrap every key they still
        hold (their own models; their grants were revoked first) and, for an administrator, the recovery key,
        to the new public key, through the recovery key. Returns the data keys re-wrapped."""
        if self.store.meta(s) is None:
            return 0
        keyring = self.keyring(s, actor)
        public = self.directory.public_key(s, user_id)
        count = keyring.rewrap_user(user_id, public)
        if self.store.recovery_wrap(s, user_id) is not None:
            keyring.share_recovery(user_id, public)
        log.info("vault: re-wrapped %d key(s) of user %s after a key reset", count, user_id)
        return count

    def role_changed(self, s: Session, actor: Any, user_id: int, old: str | None, new: str) -> None:
        """The recovery key follows the admin role: wrapped for a new administrator, forgotten for one who
        stops being one (refused for the last holder: the role change is then undone)."""
        if self.store.meta(s) is None or (old == "admin") == (new == "admin"):
            return
        if new == "admin":
            self.keyring(s, actor).share_recovery(user_id, self.directory.public_key(s, user_id))
            return
        if self.store.recovery_holders(s) == [user_id]:
            raise VaultError("This is the last administrator holding the vault's recovery key; make another "
                             "administrator first.")
        self.store.remove_recovery_wrap(s, user_id)

    def _rotate(self, s, actor: Any, row, new: NewBlobs, drop_user: int | None, state: TaskState | None) -> list[str]:
        """Re-encrypt every file of the model under new data keys: its versions, and what a writer that is gone
        left in pending versions (a run's checkpoints, committed later). Refused while a live process writes
        pending versions of the model: it holds their data keys and would keep writing under them after this
        returned (a revocation would not reach the files it writes next)."""
        writers = self.live_writers(s, row.id)
        if writers:
            raise ConflictError(
                f"{', '.join(writers)} is writing the checkpoints of {row.name!r} with keys it was given when it "
                "started; a revocation or a rotation cannot reach the files it writes next. Stop the run (its "
                "last checkpoint is kept), then try again; a resumed run gets new keys.")
        keyring = self.keyring(s, actor)
        versions = {v.id: v for v in self.store.version_rows(s, row.id, include_pending=True)}
        arts = [a for a in self.store.model_artifact_rows(s, row.id, include_pending=True)
                if versions[a.version_id].state == "ready" or self.blob_path(a).is_file()]
        keys = {a.id: keyring.data_key(a) for a in arts}  # every old key opens, or nothing starts
        progress = Progress(state, sum(a.plaintext_size for a in arts), "Re-encrypting")
        fresh = []
        for a in arts:
            ref = self.ref(keyring.meta, a, versions[a.version_id])
            key, epoch = stream.new_data_key(), a.key_epoch + 1
            blob = BlobStore.name_for(a.uid, epoch)
            with open(self.stored_file(a), "rb") as src, atomic_writer(new.add(blob)) as dst:
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

    # --- the administrators' recovery key, by hand (repairs; the hooks above do it as roles change) -------------

    def share_recovery(self, actor: Any, admin_id: int) -> None:
        """Wrap the recovery key for an administrator."""
        with self.operation(actor, ops.VAULT_RECOVERY, "user", admin_id, what="share") as op:
            keyring = self.keyring(op.session, actor)
            if admin_id not in self.directory.admin_user_ids(op.session):
                raise ValidationError("Only administrators hold the vault's recovery key.")
            keyring.share_recovery(admin_id, self.directory.public_key(op.session, admin_id))

    def revoke_recovery(self, actor: Any, admin_id: int) -> bool:
        """Forget one administrator's wrap of the recovery key."""
        with self.operation(actor, ops.VAULT_RECOVERY, "user", admin_id, what="revoke") as op:
            private_key_of(actor)
            holders = self.store.recovery_holders(op.session)
            if holders == [admin_id]:
                raise VaultError("This is the last administrator holding the recovery key; share it first.")
            return self.store.remove_recovery_wrap(op.session, admin_id)

    def rewrap_user(self, actor: Any, user_id: int) -> int:
        """Re-wrap every data key `user_id` holds to their current public key, through the recovery key (what
        a password reset does by itself). One transaction: a crash leaves all old wraps or all new ones."""
        with self.operation(actor, ops.VAULT_RECOVERY, "user", user_id, what="rewrap") as op:
            private_key_of(actor)
            count = self.key_reset(op.session, actor, user_id)
            op.details.update(keys=count)
            return count


def current_call() -> _Call | None:
    """The share/revoke call (if any) that the running hook belongs to."""
    return _CALL.get()
