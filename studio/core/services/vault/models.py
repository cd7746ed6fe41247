"""Models in the vault: list, show, import, add a version from tensors, load into memory, edit, delete."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text

from studio.core import operations as ops
from studio.core.db.tables.accounts import GrantRow
from studio.core.errors import ConflictError, NotFoundError, ValidationError
from studio.core.services.vault.base import Progress, VaultBase, check_name
from studio.core.stores.vault import LineageEdge, ModelDetails, ModelInfo, VersionInfo
from studio.core.tasks import TaskState
from studio.core.vault import importers, safetensors_io, stream
from studio.core.vault.blobs import BlobStore, NewBlobs
from studio.core.vault.files import decrypt_file_to_buffer
from studio.core.vault.importers import ImportPlan, PlannedArtifact
from studio.core.vault.keys import private_key_of
from studio.core.vault.stream import ArtifactRef

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

TENSOR_ROLES = ("weights", "optimizer")


@dataclass(frozen=True)
class ImportResult:
    version: VersionInfo
    skipped: tuple[str, ...] = ()  # files of the source that were not stored (custom code, READMEs, ...)
    removed_originals: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # stored, but worth saying (a model type the studio's tests do not cover)
    signature: Any = None  # services.signing.SignatureCheck when the source was signed (who signed, checked or not)


@dataclass(frozen=True)
class LoadedModel:
    """A version in memory. `tensors` are the weights (all shards merged); `optimizer` the optimizer state
    when the version has one; `config` the parsed config.json; `tokenizer` the text of tokenizer.json;
    `files` every other non-tensor artifact by name."""

    version: VersionInfo
    tensors: dict[str, torch.Tensor]
    optimizer: dict[str, torch.Tensor] | None = None
    config: dict[str, Any] | None = None
    tokenizer: str | None = None
    files: dict[str, bytes] = field(default_factory=dict)

# What storing a version is recorded as, by its kind (the rest are imports). Both operations have the same
# policy (owners and administrators add versions; a new model is anyone's who may import).
_STORE_ACTIONS = {"compressed": ops.MODEL_COMPRESS, "merged": ops.MODEL_MERGE}


class ModelsMixin(VaultBase):
    # --- reading ------------------------------------------------------------------------------------------

    def list_models(self, actor: Any, search: str = "") -> list[ModelInfo]:
        """The models whose keys the actor holds (every model for an administrator). A list is checked by
        the policy but not recorded (the accounts' rule for lists); opening a model is."""
        self.check(actor, ops.MODEL_LIST)
        private_key_of(actor)
        self.settle_dead_runs()
        with self.studio.db.session() as s:
            return self.store.list_models(s, self.visible_to(s, actor), search)

    def list_versions(self, actor: Any) -> list[VersionInfo]:
        """Every ready version of the models the actor may see, by model and then number (a list: checked by
        the policy, not recorded, like list_models). For pickers such as the New-run form's "Start from"."""
        self.check(actor, ops.MODEL_LIST)
        private_key_of(actor)
        with self.studio.db.session() as s:
            out: list[VersionInfo] = []
            for model_id in self.store.model_ids(s, self.visible_to(s, actor)):
                row = self.store.model_row(s, model_id)
                out.extend(self.store.version_info(s, v, row) for v in self.store.version_rows(s, model_id))
            return out

    def show(self, actor: Any, model: int | str) -> ModelDetails:
        """The model's description, versions and lineage. Checked by the policy, not recorded: the Vault
        pane shows it on every click, and nothing of the weights is opened (load() is recorded)."""
        model_id = self.model_id(model, actor)
        self.check(actor, ops.MODEL_READ, "model", model_id)
        private_key_of(actor)
        self.settle_dead_runs()
        with self.studio.db.session() as s:
            row = self.model_for(s, actor, model_id)
            return self.store.details(s, row)

    def versions(self, actor: Any, model: int | str) -> list[VersionInfo]:
        return list(self.show(actor, model).versions)

    # --- storing --------------------------------------------------------------------------------------------

    def import_path(self, actor: Any, path: str | Path, *, name: str | None = None, tags: Sequence[str] = (),
                    notes: str = "", remove_original: bool = False, trust_key: str | Path | None = None,
                    state: TaskState | None = None) -> ImportResult:
        """Import a .safetensors file or a Hugging Face folder (a pickle .pt/.bin is refused unread) as a new
        model, or as a new version of the model of that name. Everything is validated before anything is
        written; on any failure or cancel nothing is left. A folder must be a model a family of the studio
        runs (vault/model_check.py: no remote code, every tensor shaped as config.json says, a tokenizer). `remove_original` deletes the plaintext source
        files after the import committed (a plain unlink: see docs/vault.md on secure erasure). A signature
        beside the source (model.sig in a folder, FILE.sig beside a file) is checked first: a file changed since
        signing is refused, naming it; `trust_key` is a public key (PEM) to check a signature from outside the
        studio with."""
        self.check(actor, ops.MODEL_IMPORT)  # refused (and recorded) before a byte of the source is read
        if state is not None:
            state.report(-1.0, "Checking the files")
        signature = self.studio.signing.verify_import(actor, path, trust_key, action=ops.MODEL_IMPORT)
        plan = importers.plan_import(Path(path))
        if signature is not None:
            plan.metadata["signature"] = signature.to_metadata()
            if not signature.verified:
                plan.warnings.append(signature.describe())
        version = self.store_plan(actor, plan, name=name or plan.default_name, kind="import", tags=tags,
                                  notes=notes, state=state)
        removed: list[str] = []
        if remove_original:
            for original in plan.originals:
                with contextlib.suppress(FileNotFoundError):
                    original.unlink()
                    removed.append(str(original))
        for warning in plan.warnings:
            log.warning("vault: import of %s: %s", version.model_name, warning)
        return ImportResult(version, tuple(plan.skipped), tuple(removed), tuple(plan.warnings), signature)

    def add_version(self, actor: Any, model: int | str | None, weights: Mapping[str, torch.Tensor], *,
                    name: str | None = None, config: Mapping[str, Any] | None = None,
                    tokenizer: str | bytes | Mapping[str, Any] | None = None,
                    optimizer: Mapping[str, torch.Tensor] | None = None,
                    extra: Sequence[PlannedArtifact] = (), kind: str = "trained", architecture: str = "",
                    lineage: Sequence[LineageEdge] = (), notes: str = "", tags: Sequence[str] = (),
                    metadata: Mapping[str, Any] | None = None, state: TaskState | None = None) -> VersionInfo:
        """Store tensors held in memory as a new version: of `model` (id or name), or of a new model
        called `name` (a new version of it when that name exists). The weights are streamed as safetensors
        into the encrypted file, one tensor at a time. `lineage` records the dataset, run, source version
        (LineageEdge("source_version", str(version.id))) and recipe it came from."""
        if model is None and not name:
            raise ValidationError("Give the model (id or name) to add a version to, or a name for a new model.")
        plan = ImportPlan("memory", name or "", [importers.tensors_artifact("model.safetensors", "weights", weights)])
        if config is not None:
            plan.artifacts.append(importers.json_artifact("config.json", "config", dict(config)))
        if tokenizer is not None:
            value = dict(tokenizer) if isinstance(tokenizer, Mapping) else tokenizer
            plan.artifacts.append(importers.json_artifact("tokenizer.json", "tokenizer", value))
        if optimizer is not None:
            plan.artifacts.append(importers.tensors_artifact("optimizer.safetensors", "optimizer", optimizer))
        plan.artifacts.extend(extra)
        importers.summarise(plan, [], dict(config) if config else None, weights)
        plan.architecture = architecture or plan.architecture
        plan.metadata.update(metadata or {})
        return self.store_plan(actor, plan, model=model, name=name, kind=kind, tags=tags, notes=notes,
                               lineage=lineage, state=state)

    def store_plan(self, actor: Any, plan: ImportPlan, *, name: str | None = None, model: int | str | None = None,
                   kind: str, tags: Sequence[str] = (), notes: str = "", lineage: Sequence[LineageEdge] = (),
                   state: TaskState | None = None) -> VersionInfo:
        names = [a.name for a in plan.artifacts]
        if len(set(names)) != len(names):
            raise ValidationError("Two artifacts of one version have the same file name.")
        model_id = self.model_id(model, actor) if model is not None else None
        progress = Progress(state, plan.size_bytes, "Encrypting")
        action = _STORE_ACTIONS.get(kind, ops.MODEL_IMPORT)
        with NewBlobs(self.blobs).guard() as new, \
                self.operation(actor, action, "model", model_id, kind=kind) as op:
            private_key_of(actor)
            ident = self.identity(actor)
            s = op.session
            if model_id is not None:
                existing = self.model_for(s, actor, model_id)
            else:
                existing = self.model_by_name_for_new_version(s, actor, name or "")
            self._check_lineage(s, lineage)
            number = self.store.next_version_number(s, existing.id) if existing else 1
            recipients = self.store.recipients(s, existing.id) if existing else [actor.user_id]
            sealed = []
            for art in plan.artifacts:
                uid = self.new_uid()
                key = stream.new_data_key()
                blob = BlobStore.name_for(uid, 0)
                ref = ArtifactRef(ident.vault_id, uid, number, art.role)
                stored = self.write_artifact(new.add(blob), art, key, ref, progress.step(f"Encrypting {art.name}"))
                sealed.append((art, uid, key, blob, stored))
            # every file is written: now one short transaction records them with their wrapped keys
            keyring = self.keyring(s, actor)
            architecture = plan.architecture
            if not architecture and existing is not None:  # a new checkpoint of the same network
                previous = self.store.version_rows(s, existing.id)
                architecture = previous[-1].architecture if previous else ""
            row = existing or self.store.add_model(s, check_name(name or ""), actor.user_id, tags, notes)
            version = self.store.add_version(
                s, row, state="ready", kind=kind, architecture=architecture, parameter_count=plan.parameter_count,
                dtype=plan.dtype, size_bytes=plan.size_bytes, notes=notes if existing else "",
                metadata=plan.metadata, created_by=actor.user_id, lineage=lineage)
            if version.number != number:
                raise ConflictError("Another version of this model was stored at the same moment; try again.")
            publics = keyring.public_keys(recipients)
            for art, uid, key, blob, stored in sealed:
                a = self.store.add_artifact(s, version, uid=uid, role=art.role, name=art.name, blob=blob,
                                            plaintext_size=art.size, stored_size=stored, chunk_size=self.chunk_size)
                keyring.seal(a.id, uid, key, publics)
            op.obj_id = str(row.id)
            op.details.update(model=row.name, version=version.number, artifacts=len(sealed))
            info = self.store.version_info(s, version, row)
        log.info("vault: stored model %s version %d (%d artifacts)", info.model_id, info.number, len(sealed))
        return info

    def _check_lineage(self, s, lineage: Sequence[LineageEdge]) -> None:
        for edge in lineage:
            if edge.kind not in ("dataset", "run", "source_version", "recipe"):
                raise ValidationError(f"Unknown lineage kind {edge.kind!r}.")
            if edge.kind == "source_version" and (
                    not str(edge.ref).isdigit() or self.store.source_version_row(s, int(edge.ref)) is None):
                raise NotFoundError(f"The source version {edge.ref!r} is not in the vault.")

    # --- loading -----------------------------------------------------------------------------------------------

    def load(self, actor: Any, model: int | str, version: int | None = None, *,
             roles: Collection[str] | None = None, state: TaskState | None = None,
             pending: bool = False) -> LoadedModel:
        """Decrypt a version into memory (the latest when `version` is None), each file chunk by chunk
        straight into one buffer; tensors are then views of that buffer (no copy). Every key is opened
        before any file is read, and every file must verify to its end: if anything fails, nothing is
        returned and the partial plaintext is overwritten. `pending` also finds a reserved version that is
        not committed yet (a paused run's checkpoint slot, whose worker writes nothing while paused): its
        files are read at the size they have, each still authenticated to its end."""
        with self.operation(actor, ops.MODEL_READ, "model", self.model_id(model, actor)) as op:
            s = op.session
            row = self.model_for(s, actor, model)
            vrow = (self._pending_row(s, row, version) if pending else None) or self.store.version_row(s, row, version)
            keyring = self.keyring(s, actor)
            arts = [a for a in self.store.artifact_rows(s, vrow.id) if roles is None or a.role in roles]
            keys = {a.id: keyring.data_key(a) for a in arts}
            info = self.store.version_info(s, vrow, row)
            op.details.update(version=vrow.number)
            progress = Progress(state, sum(a.plaintext_size for a in arts), "Decrypting")
            buffers: list[bytearray] = []
            try:
                for a in arts:
                    size = a.plaintext_size if vrow.state == "ready" else None  # pending: not recorded yet
                    buffers.append(decrypt_file_to_buffer(self.stored_file(a), keys[a.id], self.ref(keyring.meta, a, vrow),
                                                          progress.step(f"Decrypting {a.name}"), size))
            except BaseException:
                for buf in buffers:
                    stream.zero(buf)
                raise
        return _assemble(info, arts, buffers)

    def _pending_row(self, s: Any, model: Any, number: int | None) -> Any:
        if number is None:
            return None
        from studio.core.db.tables.vault import VaultVersionRow

        return s.scalar(select(VaultVersionRow).where(VaultVersionRow.model_id == model.id,
                                                      VaultVersionRow.number == number,
                                                      VaultVersionRow.state == "pending"))

    # --- editing and deleting ------------------------------------------------------------------------------

    def update(self, actor: Any, model: int | str, *, name: str | None = None, tags: Sequence[str] | None = None,
               notes: str | None = None) -> ModelInfo:
        with self.operation(actor, ops.MODEL_UPDATE, "model", self.model_id(model, actor)) as op:
            private_key_of(actor)
            row = self.model_for(op.session, actor, model)
            if name is not None:
                name = check_name(name)
                other = self.store.find_model(op.session, name, row.owner_id)  # names are the owner's
                if other is not None and other.id != row.id:
                    raise ConflictError(f"{self.directory.user_name(op.session, row.owner_id)} already has a model "
                                        f"called {name!r}; choose another name.")
            self.store.update_model(op.session, row, name, tags, notes)
            op.session.flush()
            return self.store.model_info(op.session, row)

    def delete(self, actor: Any, model: int | str) -> int:
        """Crypto-shred a model: its wrapped keys are destroyed first (secure_delete, then a WAL checkpoint
        so no page image keeps them), with every row, in one transaction; then its files are removed.
        Returns the number of files removed."""
        with self.operation(actor, ops.MODEL_DELETE, "model", self.model_id(model, actor)) as op:
            private_key_of(actor)
            s = op.session
            row = self.model_for(s, actor, model)
            arts = self.store.model_artifact_rows(s, row.id, include_pending=True)
            s.execute(text("PRAGMA secure_delete=ON"))
            self.store.delete_wrapped_keys(s, [a.id for a in arts])
            names = [a.blob for a in arts]
            # the grants on it go too: a later model could be given the same id
            grants = s.scalars(select(GrantRow).where(GrantRow.obj_type == "model", GrantRow.obj_id == str(row.id))).all()
            op.details.update(model=row.name, files=len(names),
                              revoked_grants=[f"{g.permission} user:{g.user_id}" for g in grants])
            for g in grants:
                s.delete(g)
            s.delete(row)
        self.blobs.remove(names)
        with contextlib.suppress(Exception), self.studio.db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return len(names)


def _assemble(info: VersionInfo, arts: list, buffers: list[bytearray]) -> LoadedModel:
    tensors: dict[str, Any] = {}
    optimizer: dict[str, Any] | None = None
    files: dict[str, bytes] = {}
    for a, buf in zip(arts, buffers, strict=True):
        if a.role in TENSOR_ROLES:
            part = safetensors_io.tensors_from_buffer(buf, safetensors_io.layout_of_buffer(buf, a.name))
            if a.role == "weights":
                target = tensors
            else:
                optimizer = {} if optimizer is None else optimizer
                target = optimizer
            clash = set(part) & set(target)
            if clash:
                raise ValidationError(f"The tensor {sorted(clash)[0]!r} is in two files of this version.")
            target.update(part)
        else:
            files[a.name] = bytes(buf)
            stream.zero(buf)
    config = None
    if "config.json" in files:
        try:
            config = json.loads(files["config.json"])
        except ValueError:
            config = None
    tokenizer = files["tokenizer.json"].decode("utf-8", "replace") if "tokenizer.json" in files else None
    return LoadedModel(info, tensors, optimizer, config, tokenizer, files)
