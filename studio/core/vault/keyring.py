"""The keyring: which data key opens which file, and who can open it.

Key hierarchy (docs/vault-format.md, section 2):

    user X25519 key pair (accounts; private half unlocked by the user's password)
      └─ wraps ─ each artifact's data key, for every recipient of its model (owner, and everyone shared with)
    vault recovery X25519 key pair (made with the vault)
      ├─ its private half wrapped to every administrator's public key
      └─ wraps ─ every artifact's data key too, so an administrator can always recover a model
    data key (32 random bytes per file)  ──HKDF──>  the file's header and payload keys (stream.py)

Access to a model is enforced by these wraps, not only by the policy: a user with no wrap and no recovery
wrap cannot decrypt, whatever a button says.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy.orm import Session

from studio.core.db.tables.vault import VaultArtifactRow, VaultMetaRow
from studio.core.errors import IntegrityError, NotFoundError
from studio.core.stores.vault import VaultStore
from studio.core.vault import wrap
from studio.core.vault.errors import VaultError, VaultKeyError
from studio.core.vault.keys import KeyDirectory

log = logging.getLogger(__name__)

RECOVERY = "recovery"
USER = "user"


def create_vault(store: VaultStore, s: Session, directory: KeyDirectory, actor_id: int,
                 actor_public: bytes, actor_is_admin: bool) -> VaultMetaRow:
    """Make the vault's id and recovery key pair; wrap the recovery private key to every administrator.
    The private half exists in memory only here, for as long as it takes to wrap it."""
    admins = {i: directory.public_key(s, i) for i in directory.admin_user_ids(s)}
    if actor_is_admin:
        admins[actor_id] = actor_public
    if not admins:
        raise VaultError("The vault needs at least one administrator with a key before it can store anything.")
    recovery = X25519PrivateKey.generate()
    meta = store.add_meta(s, os.urandom(16), wrap.raw_public(recovery))
    secret = wrap.raw_private(recovery)
    for admin_id, public in sorted(admins.items()):
        store.set_recovery_wrap(s, admin_id, wrap.wrap(secret, public, wrap.info_recovery_key(meta.vault_id, admin_id)))
    log.info("vault created; recovery key wrapped for %d administrator(s)", len(admins))
    return meta


class Keyring:
    """Data keys for one operation of one actor. Caches the recovery private key for the operation only."""

    def __init__(self, store: VaultStore, s: Session, meta: VaultMetaRow, user_id: int, is_admin: bool,
                 private_key: X25519PrivateKey, directory: KeyDirectory):
        self.store, self.s, self.meta = store, s, meta
        self.user_id, self.is_admin = user_id, is_admin
        self._private = private_key
        self.public = wrap.raw_public(private_key)
        self.directory = directory
        self._recovery: X25519PrivateKey | None = None

    @property
    def vault_id(self) -> bytes:
        return self.meta.vault_id

    # --- opening --------------------------------------------------------------------------------------------

    def recovery_private(self) -> X25519PrivateKey:
        if self._recovery is None:
            blob = self.store.recovery_wrap(self.s, self.user_id) if self.is_admin else None
            if blob is None:
                raise VaultKeyError(
                    "You hold no key for this model: ask its owner to share it"
                    + ("." if not self.is_admin else ", or another administrator to share the recovery key with you.")
                )
            raw = wrap.unwrap(blob, self._private, wrap.info_recovery_key(self.vault_id, self.user_id))
            key = X25519PrivateKey.from_private_bytes(raw)
            # Anyone can wrap a key of their own to an administrator's public key: only the vault's own
            # recovery key (its public half is in the verified vault_meta row) is taken.
            if wrap.raw_public(key) != bytes(self.meta.recovery_public):
                raise VaultKeyError("The recovery key wrapped for you is not this vault's (its wrap was replaced "
                                    "outside the studio); another administrator can share the real one with you.")
            self._recovery = key
        return self._recovery

    def data_key(self, artifact: VaultArtifactRow) -> bytes:
        """The artifact's data key, through the actor's own wrap, else (administrators) the recovery key."""
        return self.open_key(
            lambda: self.store.wrapped_key(self.s, artifact.id, USER, self.user_id),
            lambda: self.store.wrapped_key(self.s, artifact.id, RECOVERY),
            lambda recipient, user_id: wrap.info_data_key(self.vault_id, artifact.uid, recipient, user_id),
            f"The artifact {artifact.name}",
        )

    def open_key(self, own: Callable[[], bytes | None], recovery: Callable[[], bytes | None],
                 info: Callable[[str, int], bytes], what: str) -> bytes:
        """A data key kept as wraps (a model file's, a dataset's): the actor's own wrap (`own()`), else,
        for an administrator, the recovery wrap (`recovery()`) opened with the recovery key. `info(recipient,
        user_id)` is what each wrap is bound to."""
        blob = own()
        if blob is not None:
            return wrap.unwrap(blob, self._private, info(USER, self.user_id))
        private = self.recovery_private()
        blob = recovery()
        if blob is None:
            raise VaultKeyError(f"{what} has no recovery key: the vault is damaged.")
        return wrap.unwrap(blob, private, info(RECOVERY, 0))

    def wraps_for(self, data_key: bytes, recipients: dict[int, bytes],
                  info: Callable[[str, int], bytes]) -> list[tuple[str, int, bytes]]:
        """(recipient, user id, wrapped key) for each user (their public keys) and for the recovery key."""
        wraps = [(USER, uid, wrap.wrap(data_key, public, info(USER, uid))) for uid, public in sorted(recipients.items())]
        wraps.append((RECOVERY, 0, wrap.wrap(data_key, self.meta.recovery_public, info(RECOVERY, 0))))
        return wraps

    def wrap_one(self, data_key: bytes, user_id: int, public: bytes, info: Callable[[str, int], bytes]) -> bytes:
        return wrap.wrap(data_key, public, info(USER, user_id))

    def can_open(self, artifact: VaultArtifactRow) -> bool:
        try:
            self.data_key(artifact)
        except VaultKeyError:
            return False
        return True

    # --- sealing --------------------------------------------------------------------------------------------

    def public_keys(self, user_ids: Iterable[int]) -> dict[int, bytes]:
        """Public keys of these users; the actor's own comes from their session. A user the directory no
        longer knows (deleted) is left out: there is nobody to wrap for."""
        keys: dict[int, bytes] = {}
        for uid in user_ids:
            if uid == self.user_id:
                keys[uid] = self.public
                continue
            try:
                keys[uid] = self.directory.public_key(self.s, uid)
            except NotFoundError:
                log.warning("user %s has no public key any more; not wrapping for them", uid)
        return keys

    def seal(self, artifact_id: int, artifact_uid: bytes, data_key: bytes, recipients: dict[int, bytes]) -> None:
        """Store the data key wrapped for each recipient and for the recovery key."""
        def info(recipient: str, user_id: int) -> bytes:
            return wrap.info_data_key(self.vault_id, artifact_uid, recipient, user_id)

        for recipient, uid, blob in self.wraps_for(data_key, recipients, info):
            self.store.add_wrapped_key(self.s, artifact_id, recipient, uid, blob)

    def wrap_for(self, artifact: VaultArtifactRow, user_id: int, public: bytes) -> bool:
        """Give one more user the artifact's key (grant). False when they hold it already."""
        if self.store.wrapped_key(self.s, artifact.id, USER, user_id) is not None:
            return False
        key = self.data_key(artifact)
        self.store.add_wrapped_key(self.s, artifact.id, USER, user_id, wrap.wrap(
            key, public, wrap.info_data_key(self.vault_id, artifact.uid, USER, user_id)))
        return True

    def share_recovery(self, admin_id: int, public: bytes) -> None:
        """Wrap the recovery private key for another administrator (needs the actor to hold it)."""
        secret = wrap.raw_private(self.recovery_private())
        self.store.set_recovery_wrap(self.s, admin_id, wrap.wrap(
            secret, public, wrap.info_recovery_key(self.vault_id, admin_id)))

    def rewrap_user(self, user_id: int, new_public: bytes) -> int:
        """After a user's key pair changed (a password reset): re-wrap every data key they had to their new
        public key, opening each through the recovery key. Returns how many keys were re-wrapped."""
        recovery = self.recovery_private()
        count = 0
        for row in self.store.user_wrap_rows(self.s, user_id):
            artifact = self.s.get(VaultArtifactRow, row.artifact_id)
            model_id = self.store.model_of_artifact(self.s, artifact)
            if user_id not in self.store.recipients(self.s, model_id):
                # a wrap for someone the model's verified rows do not name: never re-wrap a real key for it
                raise IntegrityError(
                    f"vault_wrapped_keys row {row.id} holds a key of model {model_id} for user {user_id}, who is not "
                    "one of its recipients: it was added outside the studio. Nothing was re-wrapped; restore "
                    "studio.db from a backup you trust.")
            blob = self.store.wrapped_key(self.s, artifact.id, RECOVERY)
            key = wrap.unwrap(blob, recovery, wrap.info_data_key(self.vault_id, artifact.uid, RECOVERY))
            row.wrapped = wrap.wrap(key, new_public, wrap.info_data_key(self.vault_id, artifact.uid, USER, user_id))
            count += 1
        return count
