"""The vault's rows, read and written. Methods take the SQLAlchemy session of the operation they belong to
(studio.core.services.base: the change and its audit record commit together) and return frozen
dataclasses; ORM rows stay inside this module and the vault service."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from studio.core.db.tables.accounts import GrantRow
from studio.core.db.tables.vault import (
    VaultArtifactRow,
    VaultLineageRow,
    VaultMetaRow,
    VaultModelRow,
    VaultRecipientRow,
    VaultRecoveryWrapRow,
    VaultVersionRow,
    VaultWrappedKeyRow,
)
from studio.core.errors import NotFoundError
from studio.core.security import rowauth

LINEAGE_KINDS = ("dataset", "run", "source_version", "recipe")

# What decides who receives a model's keys (security/rowauth.py): its owner and its recipients, in the model's
# scope (with the grants on it); the vault's recovery public key, which every key is also wrapped to.
rowauth.protect(VaultModelRow, "model", ("id", "owner_id"), id_column="id")
rowauth.protect(VaultRecipientRow, "model", ("model_id", "user_id", "granted_by"), id_column="model_id",
                key=("user_id",))
rowauth.protect(VaultMetaRow, "vault", ("id", "vault_id", "recovery_public"), id_column="id")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)  # stored naive, always UTC


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ArtifactInfo:
    id: int
    uid: str  # hex of the 16-byte id bound into the file
    role: str
    name: str
    plaintext_size: int
    stored_size: int
    chunk_size: int
    key_epoch: int
    blob: str


@dataclass(frozen=True)
class LineageEdge:
    kind: str  # dataset, run, source_version, recipe
    ref: str
    label: str = ""


@dataclass(frozen=True)
class VersionInfo:
    id: int
    model_id: int
    model_name: str
    number: int
    state: str
    kind: str
    architecture: str
    parameter_count: int
    dtype: str
    size_bytes: int
    notes: str
    created_by: int | None
    created_at: datetime
    metadata: dict[str, Any] = field(default_factory=dict)
    artifacts: tuple[ArtifactInfo, ...] = ()
    lineage: tuple[LineageEdge, ...] = ()

    @property
    def stored_bytes(self) -> int:
        return sum(a.stored_size for a in self.artifacts)


@dataclass(frozen=True)
class ModelInfo:
    id: int
    name: str
    owner_id: int
    tags: tuple[str, ...]
    notes: str
    created_at: datetime
    updated_at: datetime
    version_count: int
    latest: VersionInfo | None
    # the newest version still being written (a live run's checkpoint, reserved but not committed): the Vault
    # lists a model that has nothing else yet by it instead of by an empty row
    writing: VersionInfo | None = None


@dataclass(frozen=True)
class ModelDetails:
    model: ModelInfo
    versions: tuple[VersionInfo, ...]  # oldest first
    recipients: tuple[int, ...]  # user ids the keys are wrapped for (owner included)
    derived: tuple[VersionInfo, ...]  # versions of other models made from one of these versions


def _artifact(row: VaultArtifactRow) -> ArtifactInfo:
    return ArtifactInfo(row.id, row.uid.hex(), row.role, row.name, row.plaintext_size, row.stored_size,
                        row.chunk_size, row.key_epoch, row.blob)


def not_found(model: int | str) -> NotFoundError:
    """The one answer for a model that does not exist, or exists but is not the asker's to see."""
    return NotFoundError(f"No model {model!r} in the vault. `studio vault list` shows the models.")


class VaultStore:
    """Every query of the vault's tables."""

    # --- the vault itself ---------------------------------------------------------------------------------

    def meta(self, s: Session, verify: bool = True) -> VaultMetaRow | None:
        """The vault's identity and recovery public key (every key is also wrapped to it), once verified.
        `verify=False` only for checks that wrap and open no key (the studio committing a worker's files: the
        vault id is also bound into every file, which a forged one would not match)."""
        row = s.get(VaultMetaRow, 1)
        if row is not None and verify:
            rowauth.verify(s, "vault:1")
        return row

    def add_meta(self, s: Session, vault_id: bytes, recovery_public: bytes) -> VaultMetaRow:
        row = VaultMetaRow(id=1, vault_id=vault_id, recovery_public=recovery_public, created_at=utcnow())
        s.add(row)
        s.flush()
        return row

    def recovery_wrap(self, s: Session, user_id: int) -> bytes | None:
        row = s.get(VaultRecoveryWrapRow, user_id)
        return None if row is None else row.wrapped

    def recovery_holders(self, s: Session) -> list[int]:
        return list(s.scalars(select(VaultRecoveryWrapRow.user_id).order_by(VaultRecoveryWrapRow.user_id)))

    def set_recovery_wrap(self, s: Session, user_id: int, wrapped: bytes) -> None:
        row = s.get(VaultRecoveryWrapRow, user_id)
        if row is None:
            s.add(VaultRecoveryWrapRow(user_id=user_id, wrapped=wrapped, created_at=utcnow()))
        else:
            row.wrapped, row.created_at = wrapped, utcnow()

    def remove_recovery_wrap(self, s: Session, user_id: int) -> bool:
        return s.execute(delete(VaultRecoveryWrapRow).where(VaultRecoveryWrapRow.user_id == user_id)).rowcount > 0

    # --- models -------------------------------------------------------------------------------------------

    def model_row(self, s: Session, model: int | str) -> VaultModelRow:
        """By id (an int or a string of digits). Names are resolved for an actor, among the models they can
        see (VaultBase.resolve): they are unique per owner only."""
        row = s.get(VaultModelRow, int(model)) if isinstance(model, int) or str(model).isdigit() else None
        if row is None:
            raise not_found(model)
        return row

    def models_named(self, s: Session, name: str, seen_by: int | None = None) -> list[VaultModelRow]:
        """The models called `name` (every one for seen_by None) that user `seen_by` owns, is a recipient of or
        holds a grant on, as written (the caller verifies them): only that user's rows are looked at, so the
        queries do not depend on models of that name that others own."""
        query = select(VaultModelRow).where(VaultModelRow.name == name).order_by(VaultModelRow.id)
        if seen_by is not None:
            granted = {int(i) for i in s.scalars(select(GrantRow.obj_id).where(
                GrantRow.user_id == seen_by, GrantRow.obj_type == "model")) if i.isdigit()}
            query = query.where(or_(VaultModelRow.owner_id == seen_by, VaultModelRow.id.in_(granted),
                                    VaultModelRow.id.in_(select(VaultRecipientRow.model_id).where(
                                        VaultRecipientRow.user_id == seen_by))))
        return list(s.scalars(query))

    def find_model(self, s: Session, name: str, owner_id: int) -> VaultModelRow | None:
        """The owner's model of that name (names are unique per owner)."""
        return s.scalar(select(VaultModelRow).where(VaultModelRow.name == name, VaultModelRow.owner_id == owner_id))

    def add_model(self, s: Session, name: str, owner_id: int, tags: Sequence[str], notes: str) -> VaultModelRow:
        now = utcnow()
        row = VaultModelRow(name=name, owner_id=owner_id, tags_json=json.dumps(sorted(set(tags))), notes=notes,
                            created_at=now, updated_at=now)
        s.add(row)
        s.flush()
        self.add_recipient(s, row.id, owner_id, owner_id)
        return row

    def model_ids(self, s: Session, visible_to: int | None) -> list[int]:
        """All models (visible_to None: an administrator) or those whose keys are wrapped for the user; each
        model's access rows verified."""
        query = select(VaultModelRow.id).order_by(VaultModelRow.name)
        if visible_to is not None:
            query = query.join(VaultRecipientRow, VaultRecipientRow.model_id == VaultModelRow.id).where(
                VaultRecipientRow.user_id == visible_to
            )
        ids = list(s.scalars(query))
        for model_id in ids:
            rowauth.verify(s, rowauth.scope_name("model", model_id))
        return ids

    def model_info(self, s: Session, row: VaultModelRow) -> ModelInfo:
        count = s.scalar(select(func.count()).select_from(VaultVersionRow).where(
            VaultVersionRow.model_id == row.id, VaultVersionRow.state == "ready"))
        latest_row = s.scalar(select(VaultVersionRow).where(
            VaultVersionRow.model_id == row.id, VaultVersionRow.state == "ready").order_by(VaultVersionRow.number.desc()))
        latest = None if latest_row is None else self.version_info(s, latest_row, row)
        pending_row = s.scalar(select(VaultVersionRow).where(
            VaultVersionRow.model_id == row.id, VaultVersionRow.state == "pending").order_by(VaultVersionRow.number.desc()))
        writing = None if pending_row is None else self.version_info(s, pending_row, row)
        return ModelInfo(row.id, row.name, row.owner_id, tuple(json.loads(row.tags_json)), row.notes,
                         _aware(row.created_at), _aware(row.updated_at), count or 0, latest, writing)

    def list_models(self, s: Session, visible_to: int | None, search: str = "") -> list[ModelInfo]:
        models = [self.model_info(s, s.get(VaultModelRow, i)) for i in self.model_ids(s, visible_to)]
        needle = search.strip().lower()
        if not needle:
            return models

        def hit(m: ModelInfo) -> bool:
            latest = m.latest
            fields = [m.name, m.notes, *m.tags]
            if latest is not None:
                fields += [latest.architecture, latest.dtype]
            return any(needle in f.lower() for f in fields)

        return [m for m in models if hit(m)]

    def details(self, s: Session, row: VaultModelRow) -> ModelDetails:
        versions = tuple(self.version_info(s, v, row) for v in s.scalars(select(VaultVersionRow).where(
            VaultVersionRow.model_id == row.id, VaultVersionRow.state == "ready").order_by(VaultVersionRow.number)))
        ids = [str(v.id) for v in versions]
        derived_ids = list(s.scalars(select(VaultLineageRow.version_id).where(
            VaultLineageRow.kind == "source_version", VaultLineageRow.ref.in_(ids)))) if ids else []
        derived = tuple(self.version_info(s, s.get(VaultVersionRow, i)) for i in derived_ids
                        if s.get(VaultVersionRow, i).model_id != row.id)
        return ModelDetails(self.model_info(s, row), versions, tuple(self.recipients(s, row.id)), derived)

    def update_model(self, s: Session, row: VaultModelRow, name: str | None, tags: Iterable[str] | None,
                     notes: str | None) -> None:
        if name is not None:
            row.name = name
        if tags is not None:
            row.tags_json = json.dumps(sorted(set(tags)))
        if notes is not None:
            row.notes = notes
        row.updated_at = utcnow()

    # --- versions and artifacts ---------------------------------------------------------------------------

    def version_row(self, s: Session, model: VaultModelRow, number: int | None = None) -> VaultVersionRow:
        query = select(VaultVersionRow).where(VaultVersionRow.model_id == model.id, VaultVersionRow.state == "ready")
        if number is None:
            row = s.scalar(query.order_by(VaultVersionRow.number.desc()))
        else:
            row = s.scalar(query.where(VaultVersionRow.number == number))
        if row is None:
            what = "no versions yet" if number is None else f"no version {number}"
            raise NotFoundError(f"Model {model.name!r} has {what}. `studio vault versions {model.name}` lists them.")
        return row

    def version_rows(self, s: Session, model_id: int, include_pending: bool = False) -> list[VaultVersionRow]:
        query = select(VaultVersionRow).where(VaultVersionRow.model_id == model_id)
        if not include_pending:
            query = query.where(VaultVersionRow.state == "ready")
        return list(s.scalars(query.order_by(VaultVersionRow.number)))

    def next_version_number(self, s: Session, model_id: int) -> int:
        top = s.scalar(select(func.max(VaultVersionRow.number)).where(VaultVersionRow.model_id == model_id))
        return (top or 0) + 1

    def add_version(self, s: Session, model: VaultModelRow, *, state: str, kind: str, architecture: str,
                    parameter_count: int, dtype: str, size_bytes: int, notes: str, metadata: dict[str, Any],
                    created_by: int | None, lineage: Iterable[LineageEdge]) -> VaultVersionRow:
        row = VaultVersionRow(model_id=model.id, number=self.next_version_number(s, model.id), state=state, kind=kind,
                              architecture=architecture, parameter_count=parameter_count, dtype=dtype,
                              size_bytes=size_bytes, notes=notes, metadata_json=json.dumps(metadata, sort_keys=True),
                              created_by=created_by, created_at=utcnow())
        s.add(row)
        s.flush()
        for edge in lineage:
            if edge.kind not in LINEAGE_KINDS:
                raise ValueError(f"unknown lineage kind {edge.kind!r}")
            s.add(VaultLineageRow(version_id=row.id, kind=edge.kind, ref=str(edge.ref), label=edge.label))
        model.updated_at = utcnow()
        return row

    def version_info(self, s: Session, row: VaultVersionRow, model: VaultModelRow | None = None) -> VersionInfo:
        model = model or s.get(VaultModelRow, row.model_id)
        artifacts = tuple(_artifact(a) for a in self.artifact_rows(s, row.id))
        lineage = tuple(LineageEdge(e.kind, e.ref, e.label) for e in s.scalars(
            select(VaultLineageRow).where(VaultLineageRow.version_id == row.id).order_by(VaultLineageRow.id)))
        return VersionInfo(row.id, row.model_id, model.name, row.number, row.state, row.kind, row.architecture,
                           row.parameter_count, row.dtype, row.size_bytes, row.notes, row.created_by,
                           _aware(row.created_at), json.loads(row.metadata_json), artifacts, lineage)

    def artifact_rows(self, s: Session, version_id: int) -> list[VaultArtifactRow]:
        return list(s.scalars(select(VaultArtifactRow).where(VaultArtifactRow.version_id == version_id)
                              .order_by(VaultArtifactRow.id)))

    def model_artifact_rows(self, s: Session, model_id: int, include_pending: bool = False) -> list[VaultArtifactRow]:
        ids = [v.id for v in self.version_rows(s, model_id, include_pending)]
        if not ids:
            return []
        return list(s.scalars(select(VaultArtifactRow).where(VaultArtifactRow.version_id.in_(ids))
                              .order_by(VaultArtifactRow.id)))

    def add_artifact(self, s: Session, version: VaultVersionRow, *, uid: bytes, role: str, name: str, blob: str,
                     plaintext_size: int, stored_size: int, chunk_size: int, key_epoch: int = 0) -> VaultArtifactRow:
        row = VaultArtifactRow(uid=uid, version_id=version.id, role=role, name=name, blob=blob,
                               plaintext_size=plaintext_size, stored_size=stored_size, chunk_size=chunk_size,
                               key_epoch=key_epoch, created_at=utcnow())
        s.add(row)
        s.flush()
        return row

    def model_of_artifact(self, s: Session, artifact: VaultArtifactRow) -> int:
        return s.get(VaultVersionRow, artifact.version_id).model_id

    def all_blobs(self, s: Session) -> set[str]:
        return set(s.scalars(select(VaultArtifactRow.blob)))

    # --- wrapped keys and recipients ----------------------------------------------------------------------

    def wrapped_key(self, s: Session, artifact_id: int, recipient: str, user_id: int = 0) -> bytes | None:
        return s.scalar(select(VaultWrappedKeyRow.wrapped).where(
            VaultWrappedKeyRow.artifact_id == artifact_id, VaultWrappedKeyRow.recipient == recipient,
            VaultWrappedKeyRow.user_id == user_id))

    def add_wrapped_key(self, s: Session, artifact_id: int, recipient: str, user_id: int, wrapped: bytes) -> None:
        s.add(VaultWrappedKeyRow(artifact_id=artifact_id, recipient=recipient, user_id=user_id, wrapped=wrapped,
                                 created_at=utcnow()))

    def delete_wrapped_keys(self, s: Session, artifact_ids: Sequence[int], user_id: int | None = None) -> int:
        """Every wrap of these artifacts (user_id None), or only that user's."""
        if not artifact_ids:
            return 0
        query = delete(VaultWrappedKeyRow).where(VaultWrappedKeyRow.artifact_id.in_(list(artifact_ids)))
        if user_id is not None:
            query = query.where(VaultWrappedKeyRow.recipient == "user", VaultWrappedKeyRow.user_id == user_id)
        return s.execute(query).rowcount

    def user_wrap_rows(self, s: Session, user_id: int) -> list[VaultWrappedKeyRow]:
        return list(s.scalars(select(VaultWrappedKeyRow).where(
            VaultWrappedKeyRow.recipient == "user", VaultWrappedKeyRow.user_id == user_id)))

    def recipients(self, s: Session, model_id: int) -> list[int]:
        """Who the model's keys are wrapped for (owner and grantees), once the model's access rows verified:
        every key the vault wraps for someone else goes to these users only."""
        rowauth.verify(s, rowauth.scope_name("model", model_id))
        return list(s.scalars(select(VaultRecipientRow.user_id).where(VaultRecipientRow.model_id == model_id)
                              .order_by(VaultRecipientRow.user_id)))

    def add_recipient(self, s: Session, model_id: int, user_id: int, granted_by: int | None) -> bool:
        if s.get(VaultRecipientRow, (model_id, user_id)) is not None:
            return False
        s.add(VaultRecipientRow(model_id=model_id, user_id=user_id, granted_by=granted_by, created_at=utcnow()))
        s.flush()
        return True

    def remove_recipient(self, s: Session, model_id: int, user_id: int) -> bool:
        row = s.get(VaultRecipientRow, (model_id, user_id))
        if row is None:
            return False
        s.delete(row)  # through the ORM: the model's access rows are tagged again (security/rowauth.py)
        s.flush()
        return True

    def source_version_row(self, s: Session, version_id: int) -> VaultVersionRow | None:
        return s.get(VaultVersionRow, version_id)
