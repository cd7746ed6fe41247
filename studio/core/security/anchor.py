"""The head anchor: the sequence number and MAC of the newest sealed audit entry, authenticated with a key
derived from the audit secret and kept outside studio.db (in `audit-anchor.db` beside it).

Someone editing studio.db cannot move the anchor (its tag needs the key), so deleting the newest entries,
or replacing them, is detected. Restoring an older copy of this file together with an older studio.db (a
rollback of the whole folder) is not; docs/threat-model.md says so.

The anchor is written after the change it covers has committed, and only ever moves forward (a conditional
update in one SQLite statement, safe across processes). After a crash it may lag behind the log, never run
ahead of it; entries after it are still checked by their MACs. It needs no fsync: losing its last write on
power loss leaves it behind, which is the safe direction.
"""

from __future__ import annotations

import hmac
import logging
import sqlite3
import struct
import threading
from pathlib import Path

from studio.core.db.schema import SchemaGuard, SchemaTamperedError, objects_from_statements
from studio.core.security.chain import Anchor

log = logging.getLogger(__name__)

_SCHEMA = "CREATE TABLE IF NOT EXISTS anchor (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, " \
          "mac BLOB NOT NULL, tag BLOB NOT NULL)"
# The newest version of each scope of access rows (security/rowauth.py): a scope in studio.db older than its
# version here was restored from an older copy. Same rules: written after the commit, only forward.
_ACL_SCHEMA = "CREATE TABLE IF NOT EXISTS acl_anchor (scope TEXT PRIMARY KEY, epoch INTEGER NOT NULL, " \
              "tag BLOB NOT NULL)"
ADOPTED = "*adopted*"  # the scope whose presence says: this data folder's access rows were authenticated once


class AnchorError(Exception):
    """The anchor exists but its tag does not check out (edited, or written with another key)."""


def _tag(anchor_key: bytes, seq: int, mac: bytes, adopted: bool = True) -> bytes:
    # Version 2 says, under the tag, that this data folder's access rows are authenticated (security/adopt.py):
    # nobody without the key can turn it back into version 1 to have them adopted again as they stand.
    label = b"model-studio audit head v2 adopted|" if adopted else b"model-studio audit head v1|"
    return hmac.digest(anchor_key, label + struct.pack(">Q", seq) + mac, "sha256")


def _acl_tag(anchor_key: bytes, scope: str, epoch: int) -> bytes:
    return hmac.digest(anchor_key, b"model-studio acl epoch v1|" + struct.pack(">Q", epoch) + scope.encode(), "sha256")


class AnchorFile:
    """The file is held to its one table like studio.db to its migrations (studio.core.db.schema): a trigger
    that silently ignores updates would freeze the anchor, and deleting the newest entries would then pass."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._guard = SchemaGuard(str(self.path), objects_from_statements([_SCHEMA, _ACL_SCHEMA]))

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=OFF")
                conn.execute(_SCHEMA)
                conn.execute(_ACL_SCHEMA)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        self._guard.verify(self._conn)
        return self._conn

    def exists(self) -> bool:
        return self.read_raw() is not None

    def check_schema(self) -> None:
        """Raise SchemaTamperedError now (at start) if the file exists and holds anything but its table."""
        if self.path.exists():
            with self._lock:
                self._connection()

    def read_raw(self) -> tuple[int, bytes, bytes] | None:
        if not self.path.exists():
            return None
        with self._lock:
            row = self._connection().execute("SELECT seq, mac, tag FROM anchor WHERE id = 1").fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]), bytes(row[2]))

    def read(self, anchor_key: bytes) -> Anchor | None:
        """The anchor, None when there is none yet, AnchorError when its tag is wrong."""
        raw = self.read_raw()
        if raw is None:
            return None
        seq, mac, tag = raw
        for adopted in (True, False):
            if hmac.compare_digest(_tag(anchor_key, seq, mac, adopted), tag):
                return Anchor(seq, mac, adopted)
        raise AnchorError("the head anchor was altered (its authentication tag does not match).")

    def advance(self, anchor_key: bytes, seq: int, mac: bytes) -> None:
        """Move the anchor to (seq, mac) unless it already names a later entry. Runs after the change it
        covers committed: a file whose schema was altered is left alone (behind: the safe direction), and the
        next seal, which reads it first, refuses loudly."""
        tag = _tag(anchor_key, seq, mac)
        with self._lock:
            try:
                conn = self._connection()
                conn.execute("BEGIN IMMEDIATE")  # the schema cannot change between the check and the write
                try:
                    self._guard.verify(conn)
                    conn.execute(
                        "INSERT INTO anchor (id, seq, mac, tag) VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                        "seq = excluded.seq, mac = excluded.mac, tag = excluded.tag WHERE excluded.seq > anchor.seq",
                        (seq, mac, tag),
                    )
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except SchemaTamperedError as error:
                log.error("the audit head anchor was not moved: %s", error)

    def reset(self, anchor_key: bytes, seq: int, mac: bytes) -> None:
        """Replace the anchor, wherever it points (only after an administrator acknowledged a break: the new
        chain starts at (seq, mac), AuditStore.reseal)."""
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._guard.verify(conn)
                conn.execute("INSERT OR REPLACE INTO anchor (id, seq, mac, tag) VALUES (1, ?, ?, ?)",
                             (seq, mac, _tag(anchor_key, seq, mac)))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # -- versions of access rows ------------------------------------------------------------------------
    def acl_epoch(self, anchor_key: bytes, scope: str) -> int | None:
        """The newest version anchored for `scope`; None when none is; AnchorError when its tag is wrong."""
        if not self.path.exists():
            return None
        with self._lock:
            row = self._connection().execute("SELECT epoch, tag FROM acl_anchor WHERE scope = ?", (scope,)).fetchone()
        if row is None:
            return None
        if not hmac.compare_digest(_acl_tag(anchor_key, scope, int(row[0])), bytes(row[1])):
            raise AnchorError(f"the recorded version of the access rows of {scope} was altered.")
        return int(row[0])

    def advance_acl(self, anchor_key: bytes, epochs: list[tuple[str, int]]) -> None:
        """After the commit: record these versions (never backwards). A failure leaves them behind (safe)."""
        with self._lock:
            try:
                conn = self._connection()
                conn.execute("BEGIN IMMEDIATE")
                try:
                    self._guard.verify(conn)
                    conn.executemany(
                        "INSERT INTO acl_anchor (scope, epoch, tag) VALUES (?, ?, ?) ON CONFLICT(scope) DO UPDATE SET "
                        "epoch = excluded.epoch, tag = excluded.tag WHERE excluded.epoch > acl_anchor.epoch",
                        [(scope, epoch, _acl_tag(anchor_key, scope, epoch)) for scope, epoch in epochs])
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except (SchemaTamperedError, sqlite3.Error) as error:
                log.error("the versions of access rows were not recorded: %s", error)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
