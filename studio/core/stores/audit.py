"""The audit log: appending inside the caller's transaction, and reading it back in pages.

Appending (`append`) runs on the session of the change it records, so both commit or neither. The
sequence number is MAX(seq) + 1 taken under SQLite's write lock (the INSERT itself takes it), so writers in
several processes never collide. When the actor holds the audit keys, the new entry and any older unsealed
ones are sealed, starting from the head anchor (never from anything studio.db says about itself: a forged
"last sealed" marker must not get tampered entries re-sealed). After the commit the caller moves the anchor.

Reading returns frozen AuditEntry values. Pages are keyset queries (seq < x ORDER BY seq DESC LIMIT n) or
lookups of given sequence numbers, so that a 1,000,000-entry log is never loaded whole.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from studio.core.db import Database
from studio.core.errors import AuditWriteError
from studio.core.security import chain
from studio.core.security.anchor import AnchorError, AnchorFile
from studio.core.security.session import AuditKeys

log = logging.getLogger(__name__)

OUTCOMES = ("allowed", "denied", "failed")
_HEAD = "audit_sealed_head"  # Session.info key: (seq, mac, keys) sealed last in this transaction
_COLUMNS = "seq, ts, actor_id, actor_name, action, obj_type, obj_id, outcome, details, mac, sealed_late_by"
# Detail keys whose values never enter the log, whatever a caller passes (defence in depth: callers
# should not pass them at all).
_SECRET_KEY = re.compile(r"(^|_)(password|passphrase|passwd|secret|token|private_key|plaintext|kek|dek)s?$", re.I)


def now_ts() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def scrub(value: Any) -> Any:
    """Details as they may be stored: secret-looking keys redacted, bytes never stored (only their length)."""
    if isinstance(value, dict):
        return {str(k): ("[redacted]" if _SECRET_KEY.search(str(k)) else scrub(v)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub(v) for v in value]
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes>"
    return value


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    ts: str
    actor_id: int | None
    actor_name: str
    action: str
    obj_type: str | None
    obj_id: str | None
    outcome: str
    details_json: str
    sealed: bool
    # who sealed it, when it was written without a MAC and sealed later (its content was not authenticated)
    sealed_late_by: int | None = None

    @property
    def details(self) -> dict[str, Any]:
        return json.loads(self.details_json)

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "ts": self.ts, "actor_id": self.actor_id, "actor": self.actor_name,
                "action": self.action, "obj_type": self.obj_type, "obj_id": self.obj_id, "outcome": self.outcome,
                "details": self.details, "sealed": self.sealed, "sealed_late_by": self.sealed_late_by}

    @classmethod
    def from_row(cls, r: tuple) -> AuditEntry:
        return cls(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9] is not None,
                   r[10] if len(r) > 10 else None)


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to show. Empty fields match everything. `action` matches a whole name or a prefix
    ending in "." ("model." for every model operation); `since`/`until` are ISO 8601 UTC texts; `text`
    searches the details (case-insensitive)."""

    user: str | None = None
    action: str | None = None
    obj_type: str | None = None
    obj_id: str | None = None
    outcome: str | None = None
    since: str | None = None
    until: str | None = None
    text: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not any((self.user, self.action, self.obj_type, self.obj_id, self.outcome, self.since, self.until,
                        self.text))

    def where(self) -> tuple[str, list[Any]]:
        parts: list[str] = []
        params: list[Any] = []
        if self.user:
            parts.append("actor_name = ?")
            params.append(self.user)
        if self.action:
            if self.action.endswith("."):
                parts.append("action >= ? AND action < ?")
                params += [self.action, self.action[:-1] + "/"]  # "/" sorts right after "."
            else:
                parts.append("action = ?")
                params.append(self.action)
        if self.obj_type:
            parts.append("obj_type = ?")
            params.append(self.obj_type)
        if self.obj_id:
            parts.append("obj_id = ?")
            params.append(self.obj_id)
        if self.outcome:
            parts.append("outcome = ?")
            params.append(self.outcome)
        if self.since:
            parts.append("ts >= ?")
            params.append(self.since)
        if self.until:
            parts.append("ts <= ?")
            params.append(self.until)
        if self.text:
            parts.append("instr(lower(details), ?) > 0")
            params.append(self.text.lower())
        return (" AND ".join(parts) or "1"), params


def to_ts(value: datetime) -> str:
    """An aware or naive-UTC datetime as the log's timestamp text (for filters)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class AuditStore:
    def __init__(self, db: Database, anchor: AnchorFile):
        self._db = db
        self.anchor = anchor

    # -- writing -------------------------------------------------------------------------------------------
    def append(self, session: Session, *, actor_id: int | None, actor_name: str, action: str,
               obj_type: str | None, obj_id: str | None, outcome: str, details: dict[str, Any],
               keys: AuditKeys | None, allow_genesis: bool = False) -> tuple[int, tuple[int, bytes] | None]:
        """Append one entry on `session` (not committed here). Returns its sequence number and, when the
        chain was sealed up to it, the (seq, mac) to anchor after the commit."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        try:
            text = chain.details_json(scrub(details))
            conn = session.connection().connection.driver_connection
            cur = conn.cursor()
            cur.execute(
                f"INSERT INTO audit_log ({_COLUMNS}) SELECT COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, NULL, "
                "NULL FROM audit_log",
                (now_ts(), actor_id, actor_name[:64], action, obj_type, obj_id, outcome, text),
            )
            seq = int(cur.lastrowid)
            # Under the write lock the INSERT took, nobody can change the schema before the commit: checked
            # here, no entry commits where a trigger, a view or an altered table could have acted on it.
            self._db.verify_schema(session)
            head = self._seal(session, cur, keys, allow_genesis, seq, actor_id) if keys is not None else None
            cur.close()
        except sqlite3.Error as error:
            raise AuditWriteError(f"The audit log could not be written ({error}), so nothing was done.") from error
        except (TypeError, ValueError) as error:
            raise AuditWriteError(f"The audit entry could not be encoded ({error}), so nothing was done.") from error
        return seq, head

    def _seal(self, session: Session, cur: sqlite3.Cursor, keys: AuditKeys, allow_genesis: bool,
              seq: int, sealer: int | None) -> tuple[int, bytes] | None:
        """MAC every unsealed entry, walking from the head anchor. Refuses (and leaves the entries unsealed)
        when what it finds does not match the anchor: that is tampering, for `audit verify` to report.
        Within one transaction the head sealed last is remembered, so that appending many entries in one
        transaction costs one MAC each, not a walk from the anchor each."""
        known = session.info.get(_HEAD)
        if known is not None and known[0] == seq - 1 and known[2] is keys and self._mac_at(cur, seq - 1) == known[1]:
            row = cur.execute(f"SELECT {_COLUMNS} FROM audit_log WHERE seq = ?", (seq,)).fetchone()
            mac = chain.entry_mac(keys.mac_key, known[1], row)
            cur.execute("UPDATE audit_log SET mac = ? WHERE seq = ?", (mac, seq))
            session.info[_HEAD] = (seq, mac, keys)
            return seq, mac
        head = self._seal_from_anchor(cur, keys, allow_genesis, seq, sealer)
        if head is not None:
            session.info[_HEAD] = (head[0], head[1], keys)
        return head

    @staticmethod
    def _mac_at(cur: sqlite3.Cursor, seq: int) -> bytes | None:
        row = cur.execute("SELECT mac FROM audit_log WHERE seq = ?", (seq,)).fetchone()
        return None if row is None or row[0] is None else bytes(row[0])

    def _walk(self, cur: sqlite3.Cursor, keys: AuditKeys, allow_genesis: bool) -> tuple[str | None, bytes, list]:
        """From the head anchor to the newest entry: (the problem that forbids sealing, or None; the MAC the
        unsealed entries chain from; those entries). Sealed entries after the anchor are checked on the way."""
        try:
            anchor = self.anchor.read(keys.anchor_key)
        except AnchorError as error:
            return str(error), b"", []
        if anchor is None:
            if not allow_genesis:
                return "the head anchor is missing (deleted, or the data folder was put together from parts).", b"", []
            start, previous = 0, chain.GENESIS
        else:
            start, previous = anchor.seq, anchor.mac
            if start > 0 and self._mac_at(cur, start) != previous:
                return (f"entry {start} is not the entry the head anchor names (deleted, replaced, or the log was "
                        "rolled back)."), b"", []
        pending: list = []
        last = start
        for row in cur.execute(f"SELECT {_COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq", (start,)).fetchall():
            if row[0] != last + 1:
                return f"entry {last + 1} is missing (deleted).", b"", []
            if row[9] is not None:
                if pending:
                    return f"entry {pending[0][0]} lost its MAC although later entries are sealed.", b"", []
                if chain.entry_mac(keys.mac_key, previous, row) != row[9]:
                    return f"entry {row[0]} does not match its MAC (edited or forged).", b"", []
                previous = bytes(row[9])
            else:
                pending.append(row)
            last = row[0]
        return None, previous, pending

    def _seal_from_anchor(self, cur: sqlite3.Cursor, keys: AuditKeys, allow_genesis: bool, own: int,
                          sealer: int | None) -> tuple[int, bytes] | None:
        problem, previous, pending = self._walk(cur, keys, allow_genesis)
        if problem is not None:
            log.warning("audit entries left unsealed: %s", problem)
            return None
        updates = []
        for row in pending:
            # an entry someone else wrote without a MAC: sealed as found, and marked so (chain.py)
            late_by = None if row[0] == own else sealer
            previous = chain.entry_mac(keys.mac_key, previous, (*row[:10], late_by))
            updates.append((previous, late_by, row[0]))
        if updates:
            cur.executemany("UPDATE audit_log SET mac = ?, sealed_late_by = ? WHERE seq = ?", updates)
            return updates[-1][2], updates[-1][0]
        last = cur.execute("SELECT MAX(seq) FROM audit_log").fetchone()[0]
        return (last, previous) if last else None

    def head_problem(self, keys: AuditKeys) -> str | None:
        """Why the chain cannot be continued from its head anchor (what stops sealing), or None. Read-only."""
        with self._raw() as conn:
            return self._walk(conn.cursor(), keys, False)[0]

    def reseal(self, *, actor_id: int, actor_name: str, details: dict[str, Any], keys: AuditKeys) -> tuple[int, bytes]:
        """Acknowledge a break: append the `audit.reseal` entry that starts a new segment (chain.py), holding
        `details` and the digest of every entry before it, under the write lock; then point the anchor at it."""
        with self._db.immediate() as conn:
            raw = conn.connection.driver_connection
            self._db.verify_schema(raw)
            digest = chain.LogDigest()
            cur = raw.execute(f"SELECT {_COLUMNS} FROM audit_log ORDER BY seq")
            while rows := cur.fetchmany(10_000):
                for row in rows:
                    digest.add(row)
            text = chain.details_json(scrub({**details, "log_digest": digest.hexdigest()}))
            cur = raw.cursor()
            cur.execute(
                f"INSERT INTO audit_log ({_COLUMNS}) SELECT COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ?, NULL, NULL, "
                "'allowed', ?, NULL, NULL FROM audit_log",
                (now_ts(), actor_id, actor_name[:64], chain.RESEAL_ACTION, text))
            seq = int(cur.lastrowid)
            row = cur.execute(f"SELECT {_COLUMNS} FROM audit_log WHERE seq = ?", (seq,)).fetchone()
            mac = chain.segment_mac(keys.mac_key, row)
            cur.execute("UPDATE audit_log SET mac = ? WHERE seq = ?", (mac, seq))
        self.anchor.reset(keys.anchor_key, seq, mac)
        return seq, mac

    def reseal_seqs(self) -> list[int]:
        """The entries whose action is audit.reseal (the action index), for verify."""
        with self._raw() as conn:
            return [r[0] for r in conn.execute("SELECT seq FROM audit_log WHERE action = ?", (chain.RESEAL_ACTION,))]

    def record(self, *, actor_id: int | None, actor_name: str, action: str, obj_type: str | None,
               obj_id: str | None, outcome: str, details: dict[str, Any], keys: AuditKeys | None) -> int:
        """Append one entry in its own durable transaction (denials, failures, failed logins)."""
        with self._db.session(durable=True) as session:
            seq, head = self.append(session, actor_id=actor_id, actor_name=actor_name, action=action,
                                    obj_type=obj_type, obj_id=obj_id, outcome=outcome, details=details, keys=keys)
        if keys is not None:
            self.advance_anchor(keys, head)
        return seq

    def advance_anchor(self, keys: AuditKeys, head: tuple[int, bytes] | None) -> None:
        """After the commit: move the head anchor. A failure here leaves it behind (the safe direction)."""
        if head is None:
            return
        try:
            self.anchor.advance(keys.anchor_key, head[0], head[1])
        except sqlite3.Error as error:
            log.warning("the audit head anchor could not be moved forward: %s", error)

    # -- reading -------------------------------------------------------------------------------------------
    @contextmanager
    def _raw(self) -> Iterator[sqlite3.Connection]:
        conn = self._db.engine.raw_connection()
        try:
            yield conn.driver_connection
        finally:
            conn.close()

    def bounds(self) -> tuple[int, int, int]:
        """(lowest seq, highest seq, number of entries)."""
        with self._raw() as conn:
            lo, hi = conn.execute("SELECT MIN(seq), MAX(seq) FROM audit_log").fetchone()
            if lo is None:
                return 0, 0, 0
            count = conn.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]
        return int(lo), int(hi), int(count)

    def max_seq(self) -> int:
        with self._raw() as conn:
            return int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_log").fetchone()[0])

    def page(self, flt: AuditFilter | None = None, before_seq: int | None = None, limit: int = 200,
             after_seq: int | None = None) -> list[AuditEntry]:
        """Newest first: entries matching `flt` with seq < before_seq (and > after_seq)."""
        where, params = (flt or AuditFilter()).where()
        if before_seq is not None:
            where += " AND seq < ?"
            params.append(before_seq)
        if after_seq is not None:
            where += " AND seq > ?"
            params.append(after_seq)
        with self._raw() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM audit_log WHERE {where} ORDER BY seq DESC LIMIT ?",
                                (*params, limit)).fetchall()
        return [AuditEntry.from_row(r) for r in rows]

    def by_seqs(self, seqs: list[int]) -> dict[int, AuditEntry]:
        out: dict[int, AuditEntry] = {}
        with self._raw() as conn:
            for i in range(0, len(seqs), 500):
                chunk = seqs[i:i + 500]
                marks = ",".join("?" * len(chunk))
                for r in conn.execute(f"SELECT {_COLUMNS} FROM audit_log WHERE seq IN ({marks})", chunk):
                    out[r[0]] = AuditEntry.from_row(r)
        return out

    def matching_seqs(self, flt: AuditFilter, after_seq: int = 0,
                      cancelled: Callable[[], bool] | None = None) -> list[int]:
        """Sequence numbers of every entry matching `flt`, newest first (keys only, for a lazy view)."""
        where, params = flt.where()
        out: list[int] = []
        with self._raw() as conn:
            cur = conn.execute(f"SELECT seq FROM audit_log WHERE {where} AND seq > ? ORDER BY seq DESC",
                               (*params, after_seq))
            while batch := cur.fetchmany(50_000):
                out.extend(r[0] for r in batch)
                if cancelled is not None and cancelled():
                    break
        return out

    def iter_rows(self, flt: AuditFilter | None = None, batch: int = 10_000) -> Iterator[tuple]:
        """Every matching raw row, oldest first, streamed (for verify and export)."""
        where, params = (flt or AuditFilter()).where()
        with self._raw() as conn:
            cur = conn.execute(f"SELECT {_COLUMNS} FROM audit_log WHERE {where} ORDER BY seq", params)
            while rows := cur.fetchmany(batch):
                yield from rows
