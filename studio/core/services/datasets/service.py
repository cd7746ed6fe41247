"""Datasets: import, list, show, rename, tag, delete, open for training or preview.

Every method takes the actor first and runs inside `self.operation(actor, ops.DATASET_..., "dataset", id)`:
access is checked before anything happens and the audit entry commits with the change.

An import works in a staging folder (<data>/datasets/.staging-<key>) and only the last step moves it into
place and inserts the row; cancel or failure removes the staging folder, so nothing half-made remains.
A crash leaves a staging folder that the next start (or import) removes.

Datasets are encrypted at rest by default (ImportOptions.encrypt): every file is written in the vault's
format as it is produced, and its key follows the grants (keys.py). Access follows the accounts' policy:
the "dataset" object type is registered here (owner, existence), so `studio grants add USER dataset:ID
use|export|manage` works, and a list shows what the actor owns or holds a grant on (everything for an
administrator).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from studio.core import operations as ops
from studio.core.actor import Actor
from studio.core.datasets.options import ImportOptions, check_name, check_tag
from studio.core.datasets.stats import SEALED_FILE, DatasetStats, split_content
from studio.core.db.tables.accounts import GrantRow
from studio.core.db.tables.datasets import DatasetRow
from studio.core.errors import ConflictError, StudioError, ValidationError
from studio.core.fsutil import WriterLock, lock_held
from studio.core.messages import msg
from studio.core.security import policy
from studio.core.services.datasets.keys import STAGING_PREFIX, DatasetKeysMixin, staging_lock
from studio.core.services.vault import hooks
from studio.core.stores.accounts import sees_everything
from studio.core.stores.datasets import DatasetInfo, DatasetStore, not_found
from studio.core.tasks import TaskState
from studio.core.vault.errors import VaultKeyError

if TYPE_CHECKING:  # numpy-heavy modules load on first use, not with the window (start-up time)
    from studio.core.datasets.arrays import DatasetArrays
    from studio.core.datasets.preview import DatasetReader
    from studio.core.datasets.storage import PlainStorage

log = logging.getLogger(__name__)

# A function that names what depends on a dataset (e.g. "run 12 (tiny-shakespeare)"). The training engine
# registers one with `DatasetService.add_dependents_finder`; delete refuses while any name comes back.
DependentsFinder = Callable[[Session, int], list[str]]
DELETING_PREFIX = ".deleting-"
HEARTBEAT_S = 30.0
STALE_STAGING_S = 15 * 60  # a staging folder whose importer has not been heard of for this long is dead
ORPHAN_AGE_S = 60 * 60


class _Heartbeat:
    """Passes progress on and touches the staging folder's pid file now and then, so that another process
    can tell a live import from one that crashed."""

    def __init__(self, state: TaskState, writing: WriterLock):
        self._state, self._writing, self._last = state, writing, time.monotonic()

    def report(self, fraction: float, message: str = "", force: bool = False) -> None:
        now = time.monotonic()
        if now - self._last > HEARTBEAT_S:
            self._last = now
            self._writing.touch()
        self._state.report(fraction, message, force)

    def check(self) -> None:
        self._state.check()


def _dataset_id(obj_id: str) -> int | None:
    return int(obj_id) if obj_id.isdigit() else None


def _owner_of(session: Session, obj_id: str) -> int | None:
    dataset_id = _dataset_id(obj_id)
    if dataset_id is None:
        return None
    return session.scalar(select(DatasetRow.owner_id).where(DatasetRow.id == dataset_id))


def _exists(session: Session, obj_id: str) -> bool:
    dataset_id = _dataset_id(obj_id)
    return dataset_id is not None and session.get(DatasetRow, dataset_id) is not None


def _name_of(session: Session, obj_id: str) -> str | None:
    dataset_id = _dataset_id(obj_id)
    return None if dataset_id is None else session.scalar(select(DatasetRow.name).where(DatasetRow.id == dataset_id))


policy.register_object_type("dataset", owner_of=_owner_of, exists=_exists, name_of=_name_of)


class DatasetService(DatasetKeysMixin):
    def __init__(self, studio):
        super().__init__(studio)
        self.store = DatasetStore(studio.db)
        self._finders: list[DependentsFinder] = []
        self.folder = Path(studio.paths.datasets)
        hooks.attach(self, "dataset")  # grants and password resets reach keys.py through the vault's hooks
        self.remove_leftovers()

    def _storage(self, s: Session, actor: Any, info: DatasetInfo) -> PlainStorage:
        """The storage that reads this dataset: plaintext, or encrypted with the key the actor holds."""
        from studio.core.datasets.storage import storage_for

        key = self.open_key(s, actor, self.store.row(s, info.id)) if info.encrypted else None
        return storage_for(info.storage_format, key)

    # -- hooks -------------------------------------------------------------------------------------------
    def add_dependents_finder(self, finder: DependentsFinder) -> None:
        self._finders.append(finder)

    def _dependents(self, session: Session, dataset_id: int) -> list[str]:
        found: list[str] = []
        for finder in self._finders:
            found.extend(finder(session, dataset_id))
        return found

    def _visible(self, session: Session, actor: Actor, infos: list[DatasetInfo]) -> list[DatasetInfo]:
        """Administrators (and the studio itself) see every dataset; others those they own or hold a grant
        on (the policy's visible_ids)."""
        if actor.role == "system" and actor.user_id is None:
            return infos
        visible = set(policy.visible_ids(session, actor, "dataset", [i.id for i in infos]))
        return [i for i in infos if i.id in visible]

    def resolve(self, actor: Actor, dataset: int | str) -> int:
        """The id of a dataset given by id (a number or a string of digits: the policy then decides, and records a
        denial) or by name, among the datasets the actor can see: their own first, then one shared with them;
        several shared ones of that name are a ConflictError asking for the id. Names are unique per owner only,
        and a dataset the actor cannot see does not exist for them: asking for it by name gets, at the same cost,
        the answer a name nobody uses gets (store.named looks only at the actor's own rows and grants)."""
        if isinstance(dataset, int) or dataset.strip().isdigit():
            with self.studio.db.session() as s:
                if s.get(DatasetRow, int(dataset)) is None:
                    raise not_found(dataset)
            return int(dataset)
        name = dataset.strip()
        with self.acting_session(actor) as s:
            rows = self.store.named(s, name, None if sees_everything(s, actor) else actor.user_id)
            own = [r for r in rows if r.owner_id is not None and r.owner_id == actor.user_id]
            if own or len(rows) == 1:
                return (own or rows)[0].id
            if rows:
                listed = ", ".join(f"{r.id} ({r.owner_name or 'no owner'}'s)" for r in rows)
                raise ConflictError(f"Several datasets you can see are called {name!r} (ids {listed}); give the id.")
        raise not_found(dataset)

    # -- import ------------------------------------------------------------------------------------------
    def check_import(self, actor: Actor, options: ImportOptions) -> ImportOptions:
        """Everything about an import that can be known before reading the data: may the actor import, are
        the options sound, is the name free, is there something of a known format at the path, does the
        tokenizer file exist. Raises ValidationError (ConflictError for a taken name) naming the field; the import dialog calls it before it
        closes (so nothing typed is lost), the import itself calls it first. Returns the checked options."""
        from studio.core.datasets.sources import discover

        self.check(actor, ops.DATASET_IMPORT)
        options = options.checked()
        with self.studio.db.session() as s:
            if self.store.name_taken(s, options.name, actor.user_id):
                raise ConflictError(msg("A dataset named {name!r} exists already; choose another name.", name=options.name),
                                    field="name")
        discover(options.path, options.format, options.include, options.exclude)
        if (not options.tokenizer_of and options.tokenizer not in ("byte", "char", "bpe")
                and not Path(options.tokenizer).expanduser().is_file()):
            raise ValidationError(msg("The tokenizer file {tokenizer} does not exist.", tokenizer=options.tokenizer),
                                  "tokenizer")
        return options

    def import_dataset(self, actor: Actor, options: ImportOptions, *, state: TaskState | None = None,
                       block_bytes: int | None = None, workers: int | None = None) -> DatasetInfo:
        """Import `options.path` as a new dataset (long work: give a TaskState to see progress and cancel).
        Encrypted at rest unless `options.encrypt` is False; with `options.remove_source` the source files
        are deleted once the dataset is committed (what was removed: `removed_sources` of the result)."""
        state = state or TaskState()
        final: Path | None = None
        model = None
        if options.tokenizer_of:  # the vault's own audited read, before the import's operation (never nested)
            model = self._model_tokenizing(actor, options.tokenizer_of)
            options = dataclasses.replace(options, tokenizer_of=model.label)
        writing: WriterLock | None = None  # held until the row commits or the files are gone (remove_leftovers)
        options = self.check_import(actor, options)  # refused (and recorded) before a byte is read
        try:
            with self.operation(actor, ops.DATASET_IMPORT, "dataset", None, name=options.name, path=options.path,
                                encrypted=options.encrypt, remove_source=options.remove_source) as op:
                options = options.checked()
                if self.store.name_taken(op.session, options.name, actor.user_id):
                    raise ConflictError(msg("A dataset named {name!r} exists already; choose another name.", name=options.name))
                self.remove_leftovers()
                from studio.core.datasets.encrypted import EncryptedStorage
                from studio.core.datasets.storage import PlainStorage

                data_key = self.new_key(actor) if options.encrypt else None  # before any write (one writer)
                storage = EncryptedStorage(data_key) if data_key is not None else PlainStorage()
                key = uuid.uuid4().hex
                writing = staging_lock(self.folder, key)
                result = self._import_files(options, key, state, block_bytes, workers, storage, writing, model)
                final = self.folder / key
                stats = result.stats
                if storage.encrypted:  # what the statistics say about the content stays encrypted with it
                    stats, content = split_content(result.stats)
                    storage.write_bytes(final / SEALED_FILE, json.dumps(content, ensure_ascii=False).encode())
                info = self.store.add(
                    op.session, name=options.name, owner_id=actor.user_id, owner_name=actor.user_name,
                    source=str(Path(options.path).expanduser().resolve()), source_format="+".join(result.formats),
                    kind=result.kind, tokenizer=result.tokenizer_kind, vocab_size=result.vocab_size,
                    eos_id=result.eos_id, dtype=result.dtype, documents=result.documents, tokens=result.tokens,
                    size_bytes=result.size_bytes, storage_key=key, storage_format=storage.format,
                    encrypted=storage.encrypted, key_uid=data_key.uid if data_key else None, key_epoch=0,
                    tags=list(options.tags), options=options.to_dict(), stats=stats,
                )
                if data_key is not None:
                    self.seal_new(op.session, actor, info.id, data_key, actor.user_id)
                op.obj_id = str(info.id)
                op.details.update(documents=result.documents, tokens=result.tokens, tokenizer=result.tokenizer_kind)
                if stats is not result.stats:  # the importer sees all of it, whatever the row keeps
                    info = dataclasses.replace(info, stats=DatasetStats.from_dict(result.stats))
        except BaseException:
            if final is not None:  # the files were in place, but the row never committed
                shutil.rmtree(final, ignore_errors=True)
            raise
        finally:
            if writing is not None:
                writing.release()
        log.info("imported dataset %s (%d documents, %d tokens, %s)", info.id, info.documents, info.tokens,
                 "encrypted" if info.encrypted else "plaintext")
        if options.remove_source:
            from studio.core.datasets.sources import remove_source_files

            removed = remove_source_files(result.source_paths, result.source_root, result.source_is_folder)
            info = dataclasses.replace(info, removed_sources=tuple(removed))
        return info

    def _model_tokenizing(self, actor: Actor, ref: str) -> Any:
        """The tokenizer (and chat template) of the vault version `ref` ("MODEL" or "MODEL:VERSION")."""
        from studio.core.datasets.importer import ModelTokenizing
        from studio.core.models.family import family_for_config
        from studio.core.services.runs.sources import parse_ref

        vault = getattr(self.studio, "vault", None)
        if vault is None:
            raise StudioError("This installation has no model vault to take a tokenizer from.")
        model, version = parse_ref(ref)
        loaded = vault.load(actor, model, version, roles={"config", "tokenizer"})
        label = f"{loaded.version.model_name}:{loaded.version.number}"
        if not loaded.tokenizer:
            raise ValidationError(f"The model {label} has no tokenizer (tokenizer.json) to import a dataset with.",
                                  "tokenizer_of")
        try:
            tokenizer = family_for_config(loaded.config).tokenizer(loaded.files, loaded.config)
        except ValidationError as error:
            raise ValidationError(f"The tokenizer of {label} cannot be used: {error}", "tokenizer_of") from None
        return ModelTokenizing(tokenizer, loaded.tokenizer, label)

    def _import_files(self, options: ImportOptions, key: str, state: TaskState, block_bytes: int | None,
                      workers: int | None, storage: PlainStorage, writing: WriterLock, model: Any = None):
        """Run the import in a staging folder and move it to datasets/<key>; on any failure remove it."""
        from studio.core.datasets.importer import run_import

        staging = self.folder / f"{STAGING_PREFIX}{key}"
        try:
            staging.mkdir()
            result = run_import(options, staging, storage, _Heartbeat(state, writing), block_bytes,  # type: ignore[arg-type]
                                workers, model)
            os.replace(staging, self.folder / key)
            return result
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    # -- reading -----------------------------------------------------------------------------------------
    # Lists and descriptions are checked by the policy but not recorded (the pane reads them on every
    # refresh); what opens a dataset's text or tokens (open_arrays, open_reader) is recorded.
    def list(self, actor: Actor) -> list[DatasetInfo]:
        self.check(actor, ops.DATASET_LIST)
        with self.studio.db.session() as s:
            return self._visible(s, actor, self.store.list(s))

    def get(self, actor: Actor, dataset: int | str) -> DatasetInfo:
        """The dataset's description; for an encrypted one the statistics about its content (the most
        frequent tokens) are decrypted with the key the actor holds (list() leaves them out)."""
        dataset_id = self.resolve(actor, dataset)
        self.check(actor, ops.DATASET_READ, "dataset", dataset_id)
        with self.studio.db.session() as s:
            info = self.store.get(s, dataset_id)
            if not info.encrypted:
                return info
            try:
                raw = self._storage(s, actor, info).read_bytes(self.dataset_folder(info.storage_key) / SEALED_FILE)
            except (FileNotFoundError, VaultKeyError):  # imported before this file existed; or no key
                return info
        stats = DatasetStats.from_dict({**dataclasses.asdict(info.stats), **json.loads(raw)})
        return dataclasses.replace(info, stats=stats)

    def dependents(self, actor: Actor, dataset: int | str) -> list[str]:
        dataset_id = self.resolve(actor, dataset)
        self.check(actor, ops.DATASET_READ, "dataset", dataset_id)
        with self.studio.db.session() as s:
            return self._dependents(s, dataset_id)

    def open_arrays(self, actor: Actor, dataset: int | str) -> DatasetArrays:
        """The token arrays for training: memory maps of a plaintext dataset; an encrypted one's decrypted
        into memory (np.frombuffer over the decrypted buffer) with the key the actor holds."""
        from studio.core.datasets.arrays import open_arrays

        dataset_id = self.resolve(actor, dataset)
        with self.operation(actor, ops.DATASET_READ, "dataset", dataset_id, purpose="arrays") as op:
            info = self.store.get(op.session, dataset_id)
            storage = self._storage(op.session, actor, info)
            return open_arrays(storage, self.dataset_folder(info.storage_key), info.id, info.name)

    def open_reader(self, actor: Actor, dataset: int | str) -> DatasetReader:
        """Documents, token spans and token lengths for the preview; close() it when done."""
        from studio.core.datasets.preview import DatasetReader

        dataset_id = self.resolve(actor, dataset)
        with self.operation(actor, ops.DATASET_READ, "dataset", dataset_id, purpose="preview") as op:
            info = self.store.get(op.session, dataset_id)
            return DatasetReader(self._storage(op.session, actor, info), self.dataset_folder(info.storage_key))

    def key_holders(self, actor: Actor, dataset: int | str) -> list[str]:
        """The names of the users an encrypted dataset's key is wrapped for (its owner and grantees; the
        administrators open it through the recovery key); [] when it is plaintext."""
        dataset_id = self.resolve(actor, dataset)
        self.check(actor, ops.DATASET_READ, "dataset", dataset_id)
        with self.studio.db.session() as s:
            ids = self.store.key_holders(s, dataset_id)
        return [self.studio.vault.user_label(i) for i in ids]

    # -- changes -----------------------------------------------------------------------------------------
    def rename(self, actor: Actor, dataset: int | str, new_name: str) -> DatasetInfo:
        dataset_id = self.resolve(actor, dataset)
        with self.operation(actor, ops.DATASET_UPDATE, "dataset", dataset_id) as op:
            name = check_name(new_name)
            before = self.store.get(op.session, dataset_id).name
            op.details.update(old_name=before, new_name=name)
            return self.store.rename(op.session, dataset_id, name)

    def set_tags(self, actor: Actor, dataset: int | str, tags: list[str] | tuple[str, ...]) -> DatasetInfo:
        dataset_id = self.resolve(actor, dataset)
        with self.operation(actor, ops.DATASET_UPDATE, "dataset", dataset_id) as op:
            clean = tuple(dict.fromkeys(check_tag(t) for t in tags))
            op.details["tags"] = list(clean)
            return self.store.set_tags(op.session, dataset_id, clean)

    def delete(self, actor: Actor, dataset: int | str) -> DatasetInfo:
        """Delete the dataset and its files; refused (ConflictError naming them) while runs depend on it.
        An encrypted dataset is crypto-shredded: its wrapped keys are destroyed first (secure_delete, then a
        WAL checkpoint so no page image keeps them), with the row and every grant on it, in one transaction;
        then the files go (a backup copy of them opens nothing)."""
        dataset_id = self.resolve(actor, dataset)
        moved: Path | None = None
        folder: Path | None = None
        try:
            with self.operation(actor, ops.DATASET_DELETE, "dataset", dataset_id) as op:
                s = op.session
                info = self.store.get(s, dataset_id)
                users = self._dependents(s, dataset_id)
                if users:
                    raise ConflictError(
                        msg("The dataset {name!r} is used by {value}; delete those first.", name=info.name, value=', '.join(users))
                    )
                s.execute(text("PRAGMA secure_delete=ON"))
                keys = self.store.delete_wrapped_keys(s, dataset_id)
                # the grants on it go too: a later dataset could be given the same id
                grants = s.scalars(select(GrantRow).where(GrantRow.obj_type == "dataset",
                                                          GrantRow.obj_id == str(dataset_id))).all()
                op.details.update(name=info.name, keys_destroyed=keys,
                                  revoked_grants=[f"{g.permission} user:{g.user_id}" for g in grants])
                for g in grants:
                    s.delete(g)
                self.store.delete(s, dataset_id)
                folder = self.dataset_folder(info.storage_key)
                if folder.exists():  # out of the way now, removed once the row is gone for good
                    moved = self.folder / f"{DELETING_PREFIX}{folder.name}"
                    os.replace(folder, moved)
        except BaseException:
            if moved is not None and folder is not None:
                os.replace(moved, folder)
            raise
        if moved is not None:
            shutil.rmtree(moved, ignore_errors=True)
        if info.encrypted:
            with contextlib.suppress(Exception), self.studio.db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        log.info("deleted dataset %s", dataset_id)
        return info

    # -- housekeeping ------------------------------------------------------------------------------------
    def remove_leftovers(self) -> int:
        """Remove what crashed imports, re-encryptions and deletes left behind. Returns how many folders were
        removed. A folder being made has its writer lock (`.staging-<key>.lock`, keys.staging_lock) held until
        its row commits: whatever no live writer holds goes at once (where flock does not exist, by age: a
        staging folder whose lock was not touched for STALE_STAGING_S, an unreferenced folder after
        ORPHAN_AGE_S)."""
        if not self.folder.is_dir():
            return 0
        removed = 0
        now = time.time()
        keys: set[str] | None = None

        def alive(key: str, since: float, age_s: float) -> bool:
            lock = self.folder / f"{STAGING_PREFIX}{key}.lock"
            held = lock_held(lock)
            if held is None:  # no flock: the writer touches its lock now and then
                beat = lock.stat().st_mtime if lock.exists() else since
                return now - beat <= age_s
            return held

        for entry in sorted(self.folder.iterdir()):  # folders before the locks that name them
            name = entry.name
            try:
                if name.startswith(STAGING_PREFIX) and entry.is_dir():
                    key = name[len(STAGING_PREFIX):]
                    if not alive(key, entry.stat().st_mtime, STALE_STAGING_S):
                        shutil.rmtree(entry, ignore_errors=True)
                        removed += 1
                elif name.startswith(STAGING_PREFIX) and name.endswith((".lock", ".pid")) and entry.is_file():
                    if name.endswith(".pid") or lock_held(entry) is False:
                        entry.unlink(missing_ok=True)  # a dead writer's (or an older studio's pid file)
                elif name.startswith(DELETING_PREFIX) and entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                    removed += 1
                elif not name.startswith(".") and entry.is_dir() and not alive(name, entry.stat().st_mtime,
                                                                                 ORPHAN_AGE_S):
                    if keys is None or name not in keys:  # read after the lock was seen free: no commit is missed
                        keys = self.store.storage_keys()
                    if name not in keys:  # moved into place, but the row was never committed
                        shutil.rmtree(entry, ignore_errors=True)
                        removed += 1
            except OSError as error:
                log.warning("could not clean up %s: %s", entry, error)
        if removed:
            log.info("removed %d leftover dataset folder(s)", removed)
        return removed
