"""The studio context: one open data folder (its paths, its database) and the services over it."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from studio.core.db import Database
from studio.core.db.migrate import head_revision, upgrade_database
from studio.core.db.schema import SchemaGuard, expected_objects
from studio.core.errors import StudioError
from studio.core.fsutil import make_private, sweep_staged_outputs, use_private_umask
from studio.core.logsetup import configure_logging
from studio.core.paths import DataPaths, resolve_data_dir
from studio.core.security import rowauth
from studio.core.security.anchor import AnchorFile
from studio.core.services.accounts import AccountService
from studio.core.services.audit import AuditService
from studio.core.services.compression import CompressionService
from studio.core.services.datasets import DatasetService
from studio.core.services.exports import ExportService
from studio.core.services.grants import GrantService
from studio.core.services.keys import KeyService
from studio.core.services.runs import RunService
from studio.core.services.serving import ServingService
from studio.core.services.signing import SigningService
from studio.core.services.system import SystemService
from studio.core.services.vault import VaultService
from studio.core.services.vault.directory import AccountDirectory
from studio.core.stores.accounts import AccountStore
from studio.core.stores.audit import AuditStore
from studio.core.stores.settings import SettingsStore

log = logging.getLogger(__name__)


def _make_private(root: Path) -> None:
    """A data folder made by an older studio (or copied in) may be readable by other accounts: fix it, and say
    so (once: afterwards it is private)."""
    folders, files = make_private(root)
    if folders or files:
        text = (f"The data folder {root} was readable by other accounts of this machine; it is private now "
                f"({folders} folder(s) set to 0700, {files} file(s) to 0600).")
        log.warning(text)
        print(f"Model Studio: {text}", file=sys.stderr)


class Studio:
    """Open with `Studio.open(data_dir)`; close with `close()` or use it as a context manager."""

    def __init__(self, paths: DataPaths, db: Database, backup: Path | None = None):
        self.paths = paths
        self.db = db
        self.migration_backup = backup
        self.settings = SettingsStore(db)
        self.accounts_store = AccountStore(db)
        self.audit_store = AuditStore(db, AnchorFile(paths.audit_anchor))
        self.system = SystemService(self)
        self.accounts = AccountService(self)
        self.grants = GrantService(self)
        self.keys = KeyService(self)
        self.audit = AuditService(self)
        self.vault = VaultService(self, directory=AccountDirectory())
        self.datasets = DatasetService(self)
        self.compression = CompressionService(self)
        self.runs = RunService(self)
        self.serving = ServingService(self)
        self.signing = SigningService(self)
        self.exports = ExportService(self)

    @classmethod
    def open(cls, data_dir: str | Path | None = None, *, log_to_file: bool = True) -> Studio:
        use_private_umask()  # folders 0700, files 0600 from here on (fsutil)
        paths = DataPaths(resolve_data_dir(data_dir)).ensure()
        if log_to_file:
            configure_logging(paths.log_file)
        _make_private(paths.root)
        db = Database(paths.db)
        try:
            backup = upgrade_database(db.engine, paths.db, paths.backups)
            db.schema_guard = SchemaGuard(str(paths.db), expected_objects(head_revision()))
            with db.session() as s:
                db.verify_schema(s)
        except BaseException:
            db.dispose()
            raise
        log.info("opened data folder %s", paths.root)
        studio = cls(paths, db, backup)
        rowauth.install(db.sessionmaker, db.engine, studio.audit_store.anchor)
        try:
            studio.audit_store.anchor.check_schema()
        except BaseException:
            studio.close()
            raise
        try:  # a run whose worker died while nobody watched is marked interrupted now
            studio.runs.reconcile()
        except StudioError as error:
            log.warning("could not check the training runs: %s", error)
        try:  # what killed imports and rotations left in the vault's folder, if no live process holds it
            studio.vault.sweep()
        except (StudioError, OSError) as error:
            log.warning("could not clean the vault's folder: %s", error)
        for folder in sweep_staged_outputs(paths.staging):  # a killed export's plaintext, never published
            log.warning("removed %s: what an export killed before it finished had written", folder)
        return studio

    def close(self) -> None:
        self.audit_store.anchor.close()
        self.db.dispose()

    def __enter__(self) -> Studio:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
