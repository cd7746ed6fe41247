"""What every vault operation shares: the unlocked key of the actor, the vault's identity, the keyring of
the operation, model lookup with visibility, and writing one artifact into an encrypted blob.

Shape of an operation (a write, e.g. an import):

    with NewBlobs(self.blobs).guard() as new:          # files written here vanish if the op fails
        with self.operation(actor, OP, "model", model_id) as op:
            key = private_key_of(actor)                # locked means locked
            ... reads ...                              # no write yet: no database lock held
            ... encrypt into new blob files ...        # the long part, cancellable
            ... all row changes, then commit ...       # one short transaction, with the audit record

pysqlite opens a transaction only at the first write, so the long encryption holds no database lock.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from studio.core.db.tables.vault import VaultArtifactRow, VaultMetaRow, VaultModelRow, VaultVersionRow
from studio.core.errors import AccessDenied, ConflictError, DatabaseError, NotFoundError, ValidationError
from studio.core.fsutil import atomic_writer
from studio.core.security.rowauth import TamperedRowError
from studio.core.services.base import OperationContext, Service
from studio.core.services.vault.directory import AccountDirectory
from studio.core.stores.vault import VaultStore, not_found
from studio.core.tasks import TaskState
from studio.core.vault import safetensors_io, stream
from studio.core.vault.blobs import BlobStore
from studio.core.vault.errors import VaultError, VaultIntegrityError, VaultKeyError, VaultLockedError
from studio.core.vault.importers import PlannedArtifact
from studio.core.vault.keyring import Keyring, create_vault
from studio.core.vault.keys import LOCKED_MESSAGE, KeyDirectory, private_key_of
from studio.core.vault.stream import ArtifactRef
from studio.core.vault.wrap import raw_public

log = logging.getLogger(__name__)

MAX_NAME = 200


@dataclass(frozen=True)
class VaultIdentity:
    vault_id: bytes
    recovery_public: bytes


class Progress:
    """Bytes done over bytes to do, reported to a TaskState (which also raises Cancelled)."""

    def __init__(self, state: TaskState | None, total: int, message: str):
        self.state, self.total, self.message = state, max(1, total), message
        self.base = 0

    def step(self, message: str | None = None) -> Callable[[int], None]:
        base = self.base
        if message:
            self.message = message

        def report(done: int) -> None:
            self.base = base + done
            if self.state is not None:
                self.state.report(min(1.0, self.base / self.total), self.message)

        return report

    def check(self) -> None:
        if self.state is not None:
            self.state.check()


def _holds_no_key(actor: Any) -> bool:
    """A locked or logged-out session, or a plain Actor: refused by the policy, and locked for the vault."""
    try:
        private_key_of(actor)
    except VaultLockedError:
        return True
    return False


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME or any(ord(c) < 32 for c in name):
        raise ValidationError(f"A model name must be 1 to {MAX_NAME} printable characters.", "name")
    if name.isdigit():
        raise ValidationError("A model name cannot be only digits (they are read as a model id).", "name")
    return name


class VaultBase(Service):
    def __init__(self, studio: Any, directory: KeyDirectory | None = None):
        super().__init__(studio)
        self.directory: KeyDirectory = directory or AccountDirectory()
        self.store = VaultStore()
        self.blobs = BlobStore(studio.paths.vault).ensure()
        self.chunk_size = stream.DEFAULT_CHUNK_SIZE
        self._names: dict[int, str] = {}
        self._writer_finders: list[Callable[[Session, int], list[str]]] = []

    # --- processes that write a model's pending versions -------------------------------------------------------

    def add_writer_finder(self, finder: Callable[[Session, int], list[str]]) -> None:
        """`finder(session, model_id)` names the live processes writing pending versions of the model with keys
        they were handed (a training run's worker: "run 'x' (id 3)"). The run service registers one."""
        self._writer_finders.append(finder)

    def live_writers(self, s: Session, model_id: int) -> list[str]:
        return [name for finder in self._writer_finders for name in finder(s, model_id)]

    # --- the door, with "locked" said as such ------------------------------------------------------------------

    @contextmanager
    def operation(self, actor: Any, action: str, obj_type: str | None = None, obj_id: object = None,
                  **details: Any) -> Iterator[OperationContext]:
        """Service.operation (policy, audit), where a refusal because the session holds no key (locked,
        logged out, a plain Actor) is a VaultLockedError: the denial is in the audit log all the same."""
        try:
            with super().operation(actor, action, obj_type, obj_id, **details) as op:
                yield op
        except AccessDenied as error:
            if _holds_no_key(actor):
                raise VaultLockedError(LOCKED_MESSAGE) from error
            raise

    def check(self, actor: Any, action: str, obj_type: str | None = None, obj_id: object = None,
              **details: Any) -> None:
        try:
            super().check(actor, action, obj_type, obj_id, **details)
        except AccessDenied as error:
            if _holds_no_key(actor):
                raise VaultLockedError(LOCKED_MESSAGE) from error
            raise

    # --- the vault's identity ------------------------------------------------------------------------------

    def identity(self, actor: Any) -> VaultIdentity:
        """The vault's id and recovery public key, creating the vault on first use (its own short
        transaction, so that the long work that follows holds no database lock). Call it inside an
        operation before the operation writes anything (SQLite has one writer)."""
        key = private_key_of(actor)
        with self.studio.db.session() as s:
            meta = self.store.meta(s)
            if meta is not None:
                return VaultIdentity(meta.vault_id, meta.recovery_public)
        try:
            with self.studio.db.session() as s:
                if self.store.meta(s) is None:
                    create_vault(self.store, s, self.directory, actor.user_id, raw_public(key), self.is_admin(s, actor))
        except DatabaseError:
            log.info("vault: another process created the vault first")
        with self.studio.db.session() as s:
            meta = self.store.meta(s)
            return VaultIdentity(meta.vault_id, meta.recovery_public)

    def _meta(self, s: Session) -> VaultMetaRow:
        meta = self.store.meta(s)
        if meta is None:
            raise VaultError("The vault is empty: nothing has been stored yet.")
        return meta

    def keyring(self, s: Session, actor: Any) -> Keyring:
        key = private_key_of(actor)
        return Keyring(self.store, s, self._meta(s), actor.user_id, self.is_admin(s, actor), key, self.directory)

    def user_label(self, user_id: int | None) -> str:
        """A user's name for display (their id when no account has it). Names never change, so they are
        remembered: tables call this for every painted row."""
        if user_id is None:
            return "system"
        if user_id not in self._names:
            try:
                with self.studio.db.session() as s:
                    self._names[user_id] = self.directory.user_name(s, user_id)
            except NotFoundError:
                return f"user {user_id}"
        return self._names[user_id]

    def user_id_of(self, s: Session, user: int | str) -> int:
        """A user named by id or name (a name made of digits is looked up as a name first)."""
        if isinstance(user, int):
            self.directory.user_name(s, user)  # NotFoundError for an unknown id
            return user
        try:
            return self.directory.user_id(s, user)
        except NotFoundError:
            if user.isdigit():
                return self.user_id_of(s, int(user))
            raise

    # --- models and what the actor may see -------------------------------------------------------------------

    def is_admin(self, s: Session, actor: Any) -> bool:
        """Whether the actor is an administrator now: the account's role as stored, not as it was when the
        session logged in (the policy reads it afresh too, so both agree after a role change)."""
        user_id = getattr(actor, "user_id", None)
        if user_id is None:
            return False
        check = getattr(self.directory, "is_admin", None)
        return check(s, user_id) if check is not None else user_id in self.directory.admin_user_ids(s)

    def visible_to(self, s: Session, actor: Any) -> int | None:
        """None (everything) for administrators, who hold the recovery key; else the actor's id."""
        return None if self.is_admin(s, actor) else actor.user_id

    def resolve(self, s: Session, actor: Any, model: int | str) -> VaultModelRow:
        """A model by id, or by name among the models the actor can see (their own first). Names are unique per
        owner only, and a model the actor cannot see does not exist for them: its name is free for them to use,
        and asking for it by name gets the answer a name nobody uses gets. An id is an id: the policy then
        decides (and records a denial)."""
        if isinstance(model, int):
            return self.store.model_row(s, model)
        if self.is_admin(s, actor):
            rows = self.store.models_named(s, model)
        else:  # only the actor's own rows are read: invisible models of the name cost nothing (store.models_named)
            rows = [r for r in self.store.models_named(s, model, getattr(actor, "user_id", None))
                    if self._may_see(s, actor, r.id)]
        own = [r for r in rows if r.owner_id == getattr(actor, "user_id", None)]
        if own or len(rows) == 1:
            return (own or rows)[0]
        if rows:
            listed = ", ".join(f"{r.id} ({self.directory.user_name(s, r.owner_id)}'s)" for r in rows)
            raise ConflictError(f"Several models you can see are called {model!r} (ids {listed}); give the id.")
        if model.isdigit():
            return self.store.model_row(s, model)
        raise not_found(model)

    def _may_see(self, s: Session, actor: Any, model_id: int) -> bool:
        """Whether the actor holds the model's keys; a model whose access rows do not verify counts as seen, so
        that the operation asked for goes on to it and refuses it there, recorded in the audit log (refusing
        this lookup instead would be unrecorded, and hiding the model would make a forgery look like nothing)."""
        try:
            return getattr(actor, "user_id", None) in self.store.recipients(s, model_id)
        except TamperedRowError:
            return True

    def model_id(self, model: int | str, actor: Any) -> int:
        """Resolve a name or id for `actor` before the operation starts (the policy decides on the id)."""
        with self.studio.db.session() as s:
            return self.resolve(s, actor, model).id

    def owner_id(self, actor: Any, model: int | str) -> int:
        """The model's owner, from its verified access rows."""
        with self.acting_session(actor) as s:
            row = self.resolve(s, actor, model)
            self.store.recipients(s, row.id)  # verifies the model's access rows
            return row.owner_id

    def model_for(self, s: Session, actor: Any, model: int | str) -> VaultModelRow:
        row = self.resolve(s, actor, model)
        if not self.is_admin(s, actor) and actor.user_id not in self.store.recipients(s, row.id):
            raise VaultKeyError(f"You hold no key for the model {row.name!r}: ask its owner to share it.")
        return row

    def model_by_name_for_new_version(self, s: Session, actor: Any, name: str) -> VaultModelRow | None:
        """The model a store-by-name adds a version to: the actor's own model of that name, or one of that
        name shared with them; None for a new model (names are the owner's: one that only someone else's
        model, invisible to the actor, carries is free for them)."""
        name = check_name(name)
        try:
            return self.resolve(s, actor, name)
        except NotFoundError:
            return None

    def ref(self, meta_or_id: VaultMetaRow | VaultIdentity | bytes, artifact: VaultArtifactRow,
            version: VaultVersionRow) -> ArtifactRef:
        vault_id = meta_or_id if isinstance(meta_or_id, bytes) else meta_or_id.vault_id
        return ArtifactRef(vault_id, artifact.uid, version.number, artifact.role)

    def blob_path(self, artifact: VaultArtifactRow) -> Path:
        return self.blobs.path(artifact.blob)

    def stored_file(self, artifact: VaultArtifactRow) -> Path:
        """The encrypted file of an artifact that is about to be read; a clear VaultIntegrityError ("missing")
        when it is not there (a data folder restored incompletely, a file deleted by hand), never a traceback."""
        path = self.blob_path(artifact)
        if not path.is_file():
            raise VaultIntegrityError(
                "missing", f"its encrypted file {path.name} is missing from the vault's folder (deleted outside the "
                "studio, or the data folder was restored without it). `studio vault verify` "
                "lists every missing or damaged file; restore the folder from a backup, or delete the version.",
                artifact.name)
        return path

    # --- writing one artifact ----------------------------------------------------------------------------------

    def write_artifact(self, path: Path, art: PlannedArtifact, key: bytes, ref: ArtifactRef,
                       progress: Callable[[int], None]) -> int:
        """Encrypt one planned artifact into `path` (atomically); returns the bytes stored."""
        cs = self.chunk_size
        with atomic_writer(path) as fh:
            if art.source is not None:
                read = [0]

                def counted(n: int) -> None:
                    read[0] = n
                    progress(n)

                with open(art.source, "rb") as src:
                    stream.encrypt_stream(src, fh, key, ref, cs, counted)
                if read[0] != art.size:
                    raise ValidationError(f"{art.name} changed while it was being imported; import it again.")
            else:
                writer = stream.StreamWriter(fh, key, ref, cs)
                if art.tensors is not None:
                    safetensors_io.write_tensors(writer, art.tensors, art.metadata, progress)
                else:
                    writer.write(art.data or b"")
                    progress(len(art.data or b""))
                writer.close()
        return stream.encrypted_size(art.size, cs, ref.role)

    @staticmethod
    def new_uid() -> bytes:
        return os.urandom(16)
