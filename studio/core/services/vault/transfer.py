"""Models leaving or entering the vault: plaintext export (safetensors file or Hugging Face folder; needs
the export grant and is audited), and encrypted bundles re-wrapped to one recipient's public key."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from studio.core import operations as ops
from studio.core.errors import ConflictError, ValidationError
from studio.core.fsutil import atomic_writer, staged_output
from studio.core.services.vault.base import Progress, VaultBase, check_name
from studio.core.stores.vault import LineageEdge, VersionInfo
from studio.core.tasks import TaskState
from studio.core.vault import bundle as bundle_format
from studio.core.vault import safetensors_io, stream, wrap
from studio.core.vault.blobs import BlobStore, NewBlobs
from studio.core.vault.errors import VaultIntegrityError, VaultKeyError
from studio.core.vault.files import decrypt_file, decrypt_file_to_buffer
from studio.core.vault.keys import private_key_of
from studio.core.vault.stream import ArtifactRef

log = logging.getLogger(__name__)

FORMATS = ("safetensors", "hf")
# The artifacts of a version that belong in a Hugging Face folder: a checkpoint's training-state files
# (roles optimizer and state) are the studio's own and would be read back as a weights shard.
HF_FOLDER_ROLES = frozenset({"weights", "index", "config", "tokenizer"})


@dataclass(frozen=True)
class BundleInfo:
    path: Path
    model: str
    version: int
    recipient_fingerprint: str
    entries: int


class TransferMixin(VaultBase):
    # --- plaintext export ------------------------------------------------------------------------------------

    def export(self, actor: Any, model: int | str, out: str | Path, *, version: int | None = None,
               format: str = "safetensors", state: TaskState | None = None) -> Path:
        """Write a version in plaintext: one .safetensors file (shards merged) or a Hugging Face folder.
        The output appears only when every file verified and the audit entry committed (written into a hidden
        folder beside it, then renamed: fsutil.staged_output); an existing path is refused."""
        if format not in FORMATS:
            raise ValidationError(f"Export format must be one of {', '.join(FORMATS)}.", "format")
        out = Path(out).expanduser().resolve()
        if out.exists():
            raise ConflictError(f"{out} already exists; choose a new path.")
        with staged_output(out, parents=True, journal=self.studio.paths.staging) as staged:
            with self.operation(actor, ops.MODEL_EXPORT, "model", self.model_id(model, actor), format=format,
                                path=str(out)) as op:
                s = op.session
                row = self.model_for(s, actor, model)
                vrow = self.store.version_row(s, row, version)
                keyring = self.keyring(s, actor)
                arts = self.store.artifact_rows(s, vrow.id)
                if format == "hf":  # a folder holds only what the format defines (no optimizer or training state)
                    arts = [a for a in arts if a.role in HF_FOLDER_ROLES]
                keys = {a.id: keyring.data_key(a) for a in arts}
                op.details.update(model=row.name, version=vrow.number)
                progress = Progress(state, sum(a.plaintext_size for a in arts), "Exporting")
                if format == "hf":
                    self._export_folder(staged.path, arts, keys, keyring.meta, vrow, progress)
                else:
                    self._export_file(staged.path, [a for a in arts if a.role == "weights"], keys, keyring.meta, vrow,
                                      progress)
            staged.publish()
        log.info("vault: exported model %s version %d as %s", row.id, vrow.number, format)
        return out

    def _export_file(self, out: Path, weights: list, keys, meta, vrow, progress: Progress) -> None:
        if not weights:
            raise ValidationError("This version has no weights to export.")
        if len(weights) == 1:
            a = weights[0]
            decrypt_file(self.stored_file(a), out, keys[a.id], self.ref(meta, a, vrow), progress.step())
            return
        tensors: dict[str, Any] = {}
        buffers = []
        try:
            for a in weights:
                buf = decrypt_file_to_buffer(self.stored_file(a), keys[a.id], self.ref(meta, a, vrow), progress.step(),
                                             a.plaintext_size)
                buffers.append(buf)
                tensors.update(safetensors_io.tensors_from_buffer(buf))
            with atomic_writer(out) as fh:
                safetensors_io.write_tensors(fh, tensors)
        finally:
            tensors.clear()
            for buf in buffers:
                with contextlib.suppress(BufferError):
                    stream.zero(buf)

    def _export_folder(self, out: Path, arts: list, keys, meta, vrow, progress: Progress) -> None:
        """The version's files in the (staged, hidden) folder `out`."""
        out.mkdir()
        for a in arts:
            if Path(a.name).name != a.name or a.name in (".", ".."):
                raise VaultIntegrityError("bad_header", f"The artifact name {a.name!r} is not a plain file name.")
            decrypt_file(self.stored_file(a), out / a.name, keys[a.id], self.ref(meta, a, vrow), progress.step())

    # --- encrypted bundles ---------------------------------------------------------------------------------

    def bundle(self, actor: Any, model: int | str, out: str | Path, *, to_user: int | str | None = None,
               to_public_key: bytes | None = None, version: int | None = None,
               state: TaskState | None = None) -> BundleInfo:
        """Write one version, re-encrypted for one recipient: a user of this studio (`to_user`, id or
        name) or anyone whose raw X25519 public key you have (`to_public_key`)."""
        out = Path(out).expanduser().resolve()
        if out.exists():
            raise ConflictError(f"{out} already exists; choose a new path.")
        recipient = self._recipient_key(to_user, to_public_key)
        with staged_output(out, parents=True, journal=self.studio.paths.staging) as staged:
            with self.operation(actor, ops.MODEL_EXPORT, "model", self.model_id(model, actor), format="bundle", path=str(out),
                                recipient=wrap.fingerprint(recipient)) as op:
                s = op.session
                row = self.model_for(s, actor, model)
                vrow = self.store.version_row(s, row, version)
                keyring = self.keyring(s, actor)
                arts = self.store.artifact_rows(s, vrow.id)
                keys = {a.id: keyring.data_key(a) for a in arts}
                info = self.store.version_info(s, vrow, row)
                op.details.update(model=row.name, version=vrow.number)
                bundle_id, cs = os.urandom(16), self.chunk_size
                ids = {a.id: os.urandom(16) for a in arts}
                manifest = json.dumps(_manifest(info, row, arts, ids, actor), sort_keys=True).encode("utf-8")
                plan = [(os.urandom(16), "manifest", 0, len(manifest), None)] + [
                    (ids[a.id], a.role, vrow.number, a.plaintext_size, a) for a in arts]
                entries, offset, data_keys = [], 0, []
                for eid, role, number, size, _ in plan:
                    key = stream.new_data_key()
                    length = stream.encrypted_size(size, cs, role)
                    entries.append(bundle_format.BundleEntry(eid, role, number, offset, length, wrap.wrap(
                        key, recipient, wrap.info_bundle_key(bundle_id, eid, recipient))))
                    data_keys.append(key)
                    offset += length
                index = bundle_format.BundleIndex(bundle_id, recipient, cs, tuple(entries))
                progress = Progress(state, sum(p[3] for p in plan), "Bundling")
                with atomic_writer(staged.path) as fh:
                    fh.write(index.to_bytes())
                    for (eid, role, number, size, a), key in zip(plan, data_keys, strict=True):
                        ref = ArtifactRef(bundle_id, eid, number, role)
                        writer = stream.StreamWriter(fh, key, ref, cs)
                        if a is None:
                            writer.write(manifest)
                        else:
                            with open(self.stored_file(a), "rb") as src:
                                for chunk in stream.iter_plaintext(src, keys[a.id], self.ref(keyring.meta, a, vrow),
                                                                   progress.step(), mapped=True):
                                    writer.write(chunk)
                        writer.close()
                        if writer.plaintext_written != size:
                            raise VaultIntegrityError("chunk_damaged", f"{a.name if a else 'manifest'} has the wrong size.")
            staged.publish()  # the entry committed (the operation's block ended first)
        return BundleInfo(out, row.name, vrow.number, wrap.fingerprint(recipient), len(entries))

    def _recipient_key(self, to_user: int | str | None, to_public_key: bytes | None) -> bytes:
        if (to_user is None) == (to_public_key is None):
            raise ValidationError("Give exactly one recipient: a user, or a public key.")
        if to_public_key is not None:
            wrap.public_key_from(to_public_key)
            return bytes(to_public_key)
        with self.studio.db.session() as s:
            return self.directory.public_key(s, self.user_id_of(s, to_user))

    def unbundle(self, actor: Any, path: str | Path, *, name: str | None = None,
                 state: TaskState | None = None) -> VersionInfo:
        """Import a bundle made for the actor: every entry is checked against the authenticated manifest,
        decrypted chunk by chunk and re-encrypted under this vault's keys. Nothing is stored unless every
        entry verified to its end."""
        path = Path(path).expanduser()
        self.check(actor, ops.MODEL_IMPORT)  # a locked session is refused (and recorded) before the file is read
        private = private_key_of(actor)
        with open(path, "rb") as fh:
            index, data_start = bundle_format.read_index(fh, os.fstat(fh.fileno()).st_size)
            mine = wrap.raw_public(private)
            if index.recipient != mine:
                raise VaultKeyError(f"This bundle is for key {wrap.fingerprint(index.recipient)}, not for yours "
                                    f"({wrap.fingerprint(mine)}).")

            def open_entry(e: bundle_format.BundleEntry) -> tuple[bytes, ArtifactRef, bundle_format.SliceReader]:
                key = wrap.unwrap(e.wrapped_key, private, wrap.info_bundle_key(index.bundle_id, e.id, index.recipient))
                ref = ArtifactRef(index.bundle_id, e.id, e.version, e.role)
                return key, ref, bundle_format.SliceReader(fh, data_start + e.offset, e.length)

            first = index.entries[0]
            if first.role != "manifest":
                raise bundle_format._bad("it does not start with its manifest")
            key, ref, reader = open_entry(first)
            if first.length > stream.encrypted_size(bundle_format.MAX_MANIFEST, index.chunk_size, "manifest"):
                raise bundle_format._bad("its manifest is too large")
            manifest = _parse_manifest(stream.decrypt_to_bytes(reader, key, ref))
            entries = _match_entries(index, manifest)
            version = manifest["version"]
            plan_name = check_name(name or manifest["model"]["name"])
            total = sum(a["plaintext_size"] for a in manifest["artifacts"])
            progress = Progress(state, total, "Importing the bundle")
            with NewBlobs(self.blobs).guard() as new, \
                    self.operation(actor, ops.MODEL_IMPORT, "model", None, kind="bundle", path=str(path)) as op:
                ident = self.identity(actor)
                s = op.session
                existing = self.model_by_name_for_new_version(s, actor, plan_name)
                number = self.store.next_version_number(s, existing.id) if existing else 1
                recipients = self.store.recipients(s, existing.id) if existing else [actor.user_id]
                sealed = []
                for art in manifest["artifacts"]:
                    key, ref, reader = open_entry(entries[art["id"]])
                    uid, new_key = self.new_uid(), stream.new_data_key()
                    blob = BlobStore.name_for(uid, 0)
                    target = ArtifactRef(ident.vault_id, uid, number, art["role"])
                    with atomic_writer(new.add(blob)) as dst:
                        writer = stream.StreamWriter(dst, new_key, target, self.chunk_size)
                        for chunk in stream.iter_plaintext(reader, key, ref, progress.step()):
                            writer.write(chunk)
                        writer.close()
                    if writer.plaintext_written != art["plaintext_size"]:
                        raise VaultIntegrityError("chunk_damaged", f"{art['name']} has the wrong size.")
                    sealed.append((art, uid, new_key, blob))
                keyring = self.keyring(s, actor)
                row = existing or self.store.add_model(s, plan_name, actor.user_id, manifest["model"]["tags"],
                                                       manifest["model"]["notes"])
                vrow = self.store.add_version(
                    s, row, state="ready", kind="bundle", architecture=version["architecture"],
                    parameter_count=version["parameter_count"], dtype=version["dtype"], size_bytes=total,
                    notes=version["notes"], metadata={**version["metadata"], "bundle_from": manifest["sender"]},
                    created_by=actor.user_id,
                    # the sender's labels as they were; no ref (an id of the other studio means nothing here) and no
                    # words of ours: the version's kind says it came in a bundle, in the reader's language
                    lineage=[LineageEdge(e["kind"], "", str(e["label"] or e["ref"]))
                             for e in version["lineage"] if e["kind"] in ("dataset", "run", "recipe")])
                publics = keyring.public_keys(recipients)
                for art, uid, new_key, blob in sealed:
                    a = self.store.add_artifact(s, vrow, uid=uid, role=art["role"], name=art["name"], blob=blob,
                                                plaintext_size=art["plaintext_size"],
                                                stored_size=stream.encrypted_size(art["plaintext_size"], self.chunk_size, art["role"]),
                                                chunk_size=self.chunk_size)
                    keyring.seal(a.id, uid, new_key, publics)
                op.obj_id = str(row.id)
                op.details.update(model=row.name, version=vrow.number, sender=manifest["sender"])
                return self.store.version_info(s, vrow, row)


def _manifest(info: VersionInfo, row, arts, ids, actor) -> dict[str, Any]:
    return {
        "format": 1,
        "sender": actor.user_name,
        "created": datetime.now(UTC).isoformat(),
        "model": {"name": row.name, "tags": list(json.loads(row.tags_json)), "notes": row.notes},
        "version": {"number": info.number, "kind": info.kind, "architecture": info.architecture,
                    "parameter_count": info.parameter_count, "dtype": info.dtype, "notes": info.notes,
                    "metadata": info.metadata,
                    "lineage": [{"kind": e.kind, "ref": e.ref, "label": e.label} for e in info.lineage]},
        "artifacts": [{"id": ids[a.id].hex(), "role": a.role, "name": a.name, "plaintext_size": a.plaintext_size}
                      for a in arts],
    }


def _parse_manifest(data: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(data.decode("utf-8"))
        model, version, arts = doc["model"], doc["version"], doc["artifacts"]
        assert isinstance(doc["sender"], str) and isinstance(model["name"], str)
        assert isinstance(model["tags"], list) and all(isinstance(t, str) for t in model["tags"])
        assert isinstance(model["notes"], str) and isinstance(version["metadata"], dict)
        for k in ("architecture", "dtype", "notes"):
            assert isinstance(version[k], str)
        assert type(version["parameter_count"]) is int and type(version["number"]) is int
        assert isinstance(version["lineage"], list)
        for e in version["lineage"]:
            assert all(isinstance(e[k], str) for k in ("kind", "ref", "label"))
        assert isinstance(arts, list) and arts
        for a in arts:
            assert isinstance(a["id"], str) and isinstance(a["role"], str) and isinstance(a["name"], str)
            assert Path(a["name"]).name == a["name"] and a["name"] not in ("", ".", "..")
            assert type(a["plaintext_size"]) is int and a["plaintext_size"] >= 0
    except (ValueError, KeyError, TypeError, AssertionError, UnicodeDecodeError):
        raise bundle_format._bad("its manifest is malformed") from None
    return doc


def _match_entries(index: bundle_format.BundleIndex, manifest: dict[str, Any]) -> dict[str, bundle_format.BundleEntry]:
    """The index must list exactly the manifest's artifacts, with their roles and the version number."""
    entries = {e.id.hex(): e for e in index.entries[1:]}
    number = manifest["version"]["number"]
    wanted = {a["id"]: a for a in manifest["artifacts"]}
    if set(entries) != set(wanted) or len(entries) != len(index.entries) - 1:
        raise bundle_format._bad("its index does not match its manifest")
    for key, a in wanted.items():
        e = entries[key]
        if e.role != a["role"] or e.version != number:
            raise bundle_format._bad("its index does not match its manifest")
        if e.length != stream.encrypted_size(a["plaintext_size"], index.chunk_size, a["role"]):
            raise bundle_format._bad(f"the entry {a['name']} has the wrong length")
    return entries
