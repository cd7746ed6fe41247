"""Reading, verifying and exporting the audit log (administrators). Entries are never deleted or edited
by the studio; reading pages is not itself recorded (it would flood the log), verifying and exporting are."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from studio.core import operations as ops
from studio.core.errors import SessionLockedError, StudioError, ValidationError
from studio.core.fsutil import atomic_writer, staged_output
from studio.core.security.anchor import AnchorError
from studio.core.security.chain import VerifyReport, verify_rows
from studio.core.security.session import audit_keys_of
from studio.core.services.base import Service
from studio.core.stores.audit import AuditEntry, AuditFilter
from studio.core.tasks import TaskState

EXPORT_FORMATS = ("csv", "jsonl")
CSV_COLUMNS = ["seq", "ts", "actor_id", "actor", "action", "obj_type", "obj_id", "outcome", "details", "mac"]


def export_format(path: Path, fmt: str | None) -> str:
    fmt = fmt or {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(Path(path).suffix.lower())
    if fmt not in EXPORT_FORMATS:
        raise ValidationError("Export to a .csv or .jsonl file (or give the format: csv or jsonl).", field="format")
    return fmt


class AuditService(Service):
    def page(self, actor, flt: AuditFilter | None = None, before_seq: int | None = None,
             limit: int = 200) -> list[AuditEntry]:
        self.check(actor, ops.AUDIT_READ)
        return self.studio.audit_store.page(flt, before_seq=before_seq, limit=limit)

    def reader(self, actor):
        """The store, for a view that fetches pages itself (the audit pane), after checking the reader may."""
        self.check(actor, ops.AUDIT_READ)
        return self.studio.audit_store

    def verify(self, actor, state: TaskState | None = None) -> VerifyReport:
        """Check the whole chain and the head anchor; the result is recorded in the log itself."""
        self.check(actor, ops.AUDIT_VERIFY)
        keys = audit_keys_of(actor)
        if keys is None:
            raise SessionLockedError("This session holds no audit key (locked, or the account was created while "
                                     "no administrator was logged in); log in again to verify.")
        total = max(self.studio.audit_store.max_seq(), 1)

        def progress(n: int) -> None:
            if state is not None:
                state.report(n / total, f"{n:,} entries checked")

        report = self._check(keys, progress)
        with self.operation(actor, ops.AUDIT_VERIFY, None, None, ok=report.ok, checked=report.checked,
                            first_bad_seq=report.first_bad_seq, problem=report.problem):
            pass
        return report

    def _check(self, keys, progress=None) -> VerifyReport:
        store = self.studio.audit_store
        anchor, anchor_problem = None, ""
        try:
            anchor = store.anchor.read(keys.anchor_key)  # before the entries: it never runs ahead of them
        except AnchorError as error:
            anchor_problem = str(error)
        return verify_rows(store.iter_rows(), keys.mac_key, anchor, anchor_problem, True, progress,
                           store.reseal_seqs())

    def reseal(self, actor, acknowledge: bool = False, state: TaskState | None = None) -> VerifyReport:
        """After a detected break (`verify` failed, or the chain can no longer be continued): record that an
        administrator acknowledged it and start a new chain from a new anchor. The entries before stay as
        they were found (their digest goes into the acknowledging entry, so they cannot be changed later
        unnoticed); nothing is re-sealed or deleted. Returns the verification of the log afterwards."""
        self.check(actor, ops.AUDIT_RESEAL)
        keys = audit_keys_of(actor)
        if keys is None:
            raise SessionLockedError("This session holds no audit key; log in again to acknowledge a break.")
        store = self.studio.audit_store
        before = self._check(keys)
        head = store.head_problem(keys)
        if before.ok and head is None:
            raise ValidationError("The audit log is intact: there is no break to acknowledge.")
        if not acknowledge:
            raise ValidationError(f"{before.summary()} Check it first; then acknowledge the break to start a new "
                                  "chain (the entries before it are kept as they are).", field="acknowledge")
        details = {"problem": before.problem or head or "", "first_bad_seq": before.first_bad_seq,
                   "entries_before": before.checked, "previous_anchor": before.anchor_seq}
        try:
            store.reseal(actor_id=actor.user_id, actor_name=actor.user_name, details=details, keys=keys)
        except StudioError as error:
            self._record(actor, ops.AUDIT_RESEAL, None, None, "failed", {**details, "error": type(error).__name__,
                                                                           "message": str(error)[:500]})
            raise
        return self._check(keys)

    def export(self, actor, path: str | Path, flt: AuditFilter | None = None, fmt: str | None = None,
               state: TaskState | None = None) -> int:
        """Write the entries matching `flt`, oldest first, to a CSV or JSON Lines file. Returns the count."""
        path = Path(path)
        fmt = export_format(path, fmt)
        flt = flt or AuditFilter()
        filter_desc = {k: v for k, v in vars(flt).items() if v and k != "extra"}
        with staged_output(path, replace=True, parents=True, journal=self.studio.paths.staging) as staged:  # the file appears only once its record committed
            with self.operation(actor, ops.AUDIT_EXPORT, None, None, file=str(path), format=fmt,
                                filter=filter_desc) as op:
                op.details["entries"] = self._write(staged.path, fmt, flt, state)
            staged.publish()
        return op.details["entries"]

    def _write(self, path: Path, fmt: str, flt: AuditFilter, state: TaskState | None) -> int:
        store = self.studio.audit_store
        total = max(store.max_seq(), 1)
        count = 0
        with atomic_writer(path) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            writer = csv.writer(text) if fmt == "csv" else None
            if writer is not None:
                writer.writerow(CSV_COLUMNS)
            for r in store.iter_rows(flt):
                mac = r[9].hex() if r[9] is not None else ""
                if writer is not None:
                    writer.writerow([r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], mac])
                else:
                    entry = {"seq": r[0], "ts": r[1], "actor_id": r[2], "actor": r[3], "action": r[4],
                             "obj_type": r[5], "obj_id": r[6], "outcome": r[7], "details": json.loads(r[8]),
                             "mac": mac or None}
                    text.write(json.dumps(entry, ensure_ascii=False) + "\n")
                count += 1
                if state is not None and not count % 5000:
                    state.report(r[0] / total, f"{count:,} entries written")
            text.flush()
            text.detach()
        return count
