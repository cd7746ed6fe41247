"""Checking the vault: every chunk of every file one can open, each damaged file reported by name."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from studio.core import operations as ops
from studio.core.services.vault.base import Progress, VaultBase
from studio.core.tasks import TaskState
from studio.core.vault.errors import VaultIntegrityError, VaultKeyError
from studio.core.vault.files import verify_file
from studio.core.vault.keys import private_key_of

log = logging.getLogger(__name__)

GARBAGE_AGE_S = 24 * 3600.0


@dataclass(frozen=True)
class Damage:
    model: str
    version: int
    artifact: str
    reason: str  # a VaultIntegrityError reason, or "missing" (no file) or "key" (the key does not open)
    message: str


@dataclass(frozen=True)
class VerifyReport:
    models: int
    files: int
    bytes: int
    damaged: tuple[Damage, ...]

    @property
    def ok(self) -> bool:
        return not self.damaged


class MaintenanceMixin(VaultBase):
    def verify(self, actor: Any, model: int | str | None = None, *, state: TaskState | None = None) -> VerifyReport:
        """Check every chunk of one model's files, or of every model the actor can open (all of them for
        an administrator). A damaged file does not stop the check: each one is reported by name."""
        if model is None:
            op = self.operation(actor, ops.VAULT_VERIFY)
        else:
            op = self.operation(actor, ops.MODEL_VERIFY, "model", self.model_id(model, actor))
        with op as ctx:
            s = ctx.session
            private_key_of(actor)
            if model is None:
                rows = [self.store.model_row(s, i) for i in self.store.model_ids(s, self.visible_to(s, actor))]
            else:
                rows = [self.model_for(s, actor, model)]
            if not rows:
                return VerifyReport(0, 0, 0, ())
            keyring = self.keyring(s, actor)
            work = [(row, v, a) for row in rows for v in self.store.version_rows(s, row.id)
                    for a in self.store.artifact_rows(s, v.id)]
            progress = Progress(state, sum(a.plaintext_size for _, _, a in work), "Verifying")
            damaged, checked, before = [], 0, 0
            for row, v, a in work:
                progress.base = before
                before += a.plaintext_size
                step = progress.step(f"Verifying {row.name} v{v.number} {a.name}")
                try:
                    checked += verify_file(self.stored_file(a), keyring.data_key(a), self.ref(keyring.meta, a, v), step)
                except VaultIntegrityError as error:
                    message = "The file is missing." if error.reason == "missing" else str(error)
                    damaged.append(Damage(row.name, v.number, a.name, error.reason, message))
                except VaultKeyError as error:
                    damaged.append(Damage(row.name, v.number, a.name, "key", str(error)))
            ctx.details.update(files=len(work), damaged=len(damaged))
            if model is None:  # a whole-vault check also sweeps what crashes left (a day old: never a write in progress)
                self.collect_garbage(min_age_s=GARBAGE_AGE_S)
            for d in damaged:
                log.warning("vault verify: %s v%d %s: %s", d.model, d.version, d.artifact, d.reason)
            return VerifyReport(len(rows), len(work), checked, tuple(damaged))

    def sweep(self) -> list[str]:
        """What writers that died left in the vault's folder (a killed import's or rotation's files and temp
        files), removed now: nothing a live writer holds is touched (BlobStore.sweep). At every open."""
        def referenced() -> set[str]:
            with self.studio.db.session() as s:
                return self.store.all_blobs(s)

        return self.blobs.sweep(referenced)

    def collect_garbage(self, min_age_s: float = 3600.0) -> list[str]:
        """Remove encrypted files that no row names any more (left by a crash between writing and
        committing, or by a rotation or delete interrupted before its clean-up). Touches no plaintext
        and no key, so it needs no session."""
        with self.studio.db.session() as s:
            referenced = self.store.all_blobs(s)
        return self.blobs.collect_garbage(referenced, min_age_s)
