"""Versions written by another process (a training worker): reserve, let the worker write, commit.

reserve_version needs the unlocked session (it wraps the new data keys); the worker needs only its tickets
(studio.core.vault.worker); commit_version and abandon_version read and decrypt nothing and hold no key.
Only the user who reserved the version (or an administrator) may commit or abandon it, or the studio itself
(studio.core.actor.SYSTEM): the policy refuses a locked session, so a run that started unlocked finishes its
checkpoints overnight through the run service acting as SYSTEM (the audit entry then names "system").
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from studio.core import operations as ops
from studio.core.actor import SYSTEM
from studio.core.db.tables.accounts import GrantRow
from studio.core.db.tables.vault import VaultModelRow, VaultVersionRow
from studio.core.errors import NotFoundError, StudioError, ValidationError
from studio.core.services.vault.base import VaultBase, check_name
from studio.core.stores.vault import LineageEdge, VersionInfo
from studio.core.vault import stream
from studio.core.vault.blobs import BlobStore
from studio.core.vault.errors import VaultIntegrityError, VaultKeyError
from studio.core.vault.keys import private_key_of
from studio.core.vault.stream import ArtifactRef
from studio.core.vault.worker import ArtifactTicket

log = logging.getLogger(__name__)

DEFAULT_FILES = (("model.safetensors", "weights"),)


@dataclass(frozen=True)
class PendingVersion:
    version_id: int
    model_id: int
    number: int
    tickets: tuple[ArtifactTicket, ...]  # one per file; each holds its data key


def _is_system(actor: Any) -> bool:
    return actor is SYSTEM or (getattr(actor, "role", None) == "system" and getattr(actor, "user_id", 0) is None)


class CheckpointsMixin(VaultBase):
    def reserve_version(self, actor: Any, model: int | str | None, files: Sequence[tuple[str, str]] = DEFAULT_FILES,
                        *, name: str | None = None, kind: str = "checkpoint", lineage: Sequence[LineageEdge] = (),
                        notes: str = "", metadata: Mapping[str, Any] | None = None, architecture: str = "",
                        parameter_count: int = 0) -> PendingVersion:
        """A new, still invisible version of `model` (or of a new model `name`) with one ticket per file
        (name, role). Send each ticket's to_bytes() to the worker through a pipe."""
        if len({n for n, _ in files}) != len(files) or not files:
            raise ValidationError("Give each file of a version once.")
        model_id = self.model_id(model, actor) if model is not None else None
        with self.operation(actor, ops.MODEL_IMPORT, "model", model_id, kind=kind) as op:
            private_key_of(actor)
            ident = self.identity(actor)
            s = op.session
            row = (self.model_for(s, actor, model_id) if model_id is not None
                   else self.model_by_name_for_new_version(s, actor, name or ""))
            keyring = self.keyring(s, actor)
            row = row or self.store.add_model(s, check_name(name or ""), actor.user_id, (), "")
            version = self.store.add_version(s, row, state="pending", kind=kind, architecture=architecture,
                                             parameter_count=parameter_count,
                                             dtype="", size_bytes=0, notes=notes, metadata=dict(metadata or {}),
                                             created_by=actor.user_id, lineage=lineage)
            publics = keyring.public_keys(self.store.recipients(s, row.id))
            tickets = []
            for file_name, role in files:
                uid, key = os.urandom(16), stream.new_data_key()
                blob = BlobStore.name_for(uid, 0)
                a = self.store.add_artifact(s, version, uid=uid, role=role, name=file_name, blob=blob,
                                            plaintext_size=0, stored_size=0, chunk_size=self.chunk_size)
                keyring.seal(a.id, uid, key, publics)
                tickets.append(ArtifactTicket(ArtifactRef(ident.vault_id, uid, version.number, role), key,
                                              str(self.blobs.path(blob)), file_name, self.chunk_size, version.id))
            op.obj_id = str(row.id)
            op.details.update(model=row.name, version=version.number, pending=True)
            return PendingVersion(version.id, row.id, version.number, tuple(tickets))

    def settle_dead_runs(self) -> None:
        """Before a listing says a version is "being written": a run whose worker died behind the studio's
        back (kill -9, a crash, the machine went down) is found now and its reserved versions are committed or
        dropped (the run service's reconcile, as the studio itself), so that nothing dead is listed as live."""
        runs = getattr(self.studio, "runs", None)
        if runs is None:
            return
        with self.studio.db.session() as s:
            if not s.scalar(select(func.count()).select_from(VaultVersionRow)
                            .where(VaultVersionRow.state == "pending")):
                return  # nothing reserved: no run to look at (the usual case, one cheap query)
        try:
            runs.reconcile()
        except StudioError as error:
            log.warning("could not check the training runs: %s", error)

    def version_state(self, version_id: int) -> str | None:
        """"pending", "ready", or None when the version is gone (settling reads it; no key, no record)."""
        with self.studio.db.session() as s:
            row = s.get(VaultVersionRow, version_id)
            return None if row is None else row.state

    def _pending(self, s, actor: Any, version_id: int) -> VaultVersionRow:
        row = s.get(VaultVersionRow, version_id)
        if row is None or row.state != "pending":
            raise NotFoundError(f"No pending version {version_id}.")
        if row.created_by != actor.user_id and not _is_system(actor) and not self.is_admin(s, actor):
            raise VaultKeyError("Only the user who reserved this version can commit or abandon it.")
        return row

    def _version_model(self, version_id: int) -> int:
        with self.studio.db.session() as s:
            row = s.get(VaultVersionRow, version_id)
            if row is None:
                raise NotFoundError(f"No version {version_id}.")
            return row.model_id

    def commit_version(self, actor: Any, version_id: int, *, architecture: str = "", parameter_count: int = 0,
                       dtype: str = "", metadata: Mapping[str, Any] | None = None) -> VersionInfo:
        """Make a reserved version visible once every file is in place, names its artifact and has a
        consistent size (the worker checked the tags with worker.verify; every load checks them again)."""
        with self.operation(actor, ops.MODEL_IMPORT, "model", self._version_model(version_id), kind="commit") as op:
            s = op.session
            vrow = self._pending(s, actor, version_id)
            meta = self.store.meta(s, verify=False)  # as SYSTEM too: no key is read or wrapped here
            if meta is None:
                raise NotFoundError("The vault is empty.")
            total, written = 0, 0.0
            for a in self.store.artifact_rows(s, vrow.id):
                path = self.blob_path(a)
                if not path.is_file():
                    raise ValidationError(f"{a.name} of this version has not been written yet.")
                written = max(written, path.stat().st_mtime)
                with open(path, "rb") as fh:
                    header = stream.read_header(fh)
                size = path.stat().st_size
                if header.ref != self.ref(meta, a, vrow):
                    raise VaultIntegrityError("wrong_artifact", f"{a.name}: the file belongs to another artifact.")
                plain = stream.plaintext_size(size, header)
                if stream.encrypted_size(plain, header.chunk_size, a.role) != size:
                    raise VaultIntegrityError("truncated", f"{a.name}: the file is cut short.")
                a.plaintext_size, a.stored_size, a.chunk_size = plain, size, header.chunk_size
                total += plain
            vrow.state, vrow.size_bytes = "ready", total
            # Created = when the worker wrote these files (a rolling slot is rewritten until the run ends),
            # not when the slot was reserved at the run's start.
            vrow.created_at = datetime.fromtimestamp(written, UTC).replace(tzinfo=None)
            vrow.architecture, vrow.parameter_count, vrow.dtype = architecture, parameter_count, dtype
            if metadata:
                vrow.metadata_json = json.dumps({**json.loads(vrow.metadata_json), **metadata}, sort_keys=True)
            op.details.update(version=vrow.number)
            s.flush()
            return self.store.version_info(s, vrow)

    def abandon_version(self, actor: Any, version_id: int) -> bool:
        """Drop a reserved version and whatever the worker wrote of it. A model left without any version
        (it was made for reservations that all came to nothing: a run that died before its first checkpoint)
        goes too, with its grants, so that no empty model stays in the vault; returns whether it went."""
        with self.operation(actor, ops.MODEL_DELETE, "model", self._version_model(version_id), kind="abandon") as op:
            s = op.session
            vrow = self._pending(s, actor, version_id)
            model_id = vrow.model_id
            arts = self.store.artifact_rows(s, vrow.id)
            self.store.delete_wrapped_keys(s, [a.id for a in arts])
            names = [a.blob for a in arts]
            s.delete(vrow)
            s.flush()
            removed = not s.scalar(select(func.count()).select_from(VaultVersionRow)
                                   .where(VaultVersionRow.model_id == model_id))
            if removed:  # no version, so no artifact and no wrapped key: nothing to shred
                for grant in s.scalars(select(GrantRow).where(GrantRow.obj_type == "model",
                                                              GrantRow.obj_id == str(model_id))).all():
                    s.delete(grant)
                model = s.get(VaultModelRow, model_id)
                if model is not None:
                    op.details["model_removed"] = model.name
                    s.delete(model)
        self.blobs.remove(names)
        return removed

    def retire_checkpoint(self, actor: Any, version_id: int) -> None:
        """Drop a checkpoint version that its run no longer keeps (its retention: the last K and the best,
        studio.core.training.checkpoints.retained): wraps and rows in one transaction, then the files. Only
        versions of kind checkpoint; like abandon_version it reads no key, so the studio itself may do it."""
        with self.operation(actor, ops.MODEL_DELETE, "model", self._version_model(version_id), kind="retire") as op:
            s = op.session
            vrow = s.get(VaultVersionRow, version_id)
            if vrow is None or vrow.kind != "checkpoint":
                raise NotFoundError(f"No checkpoint version {version_id}.")
            if vrow.created_by != actor.user_id and not _is_system(actor) and not self.is_admin(s, actor):
                raise VaultKeyError("Only the user who reserved this checkpoint can drop it.")
            arts = self.store.artifact_rows(s, vrow.id)
            self.store.delete_wrapped_keys(s, [a.id for a in arts])
            names = [a.blob for a in arts]
            op.details.update(version=vrow.number)
            s.delete(vrow)
        self.blobs.remove(names)
