"""A lazy Qt model over the audit log: newest first, any size, never all rows in memory.

Rows are addressed by position from the oldest matching entry (pos = count - 1 - row), so that new entries,
which arrive at the top, never shift what is cached. Position -> sequence number is arithmetic while the log
is unfiltered and gap-free (the normal case: nothing to load), otherwise a compact array of the matching
sequence numbers (8 bytes each), computed on a worker thread. Rows are fetched in pages of 256 by sequence
number (primary-key lookups) when the view first paints them, and kept in a small LRU cache together with
their display texts, so that painting (a few thousand data() calls a frame) is only lookups.
"""

from __future__ import annotations

import json
from array import array
from bisect import bisect_left
from collections import OrderedDict
from functools import lru_cache

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont

from studio.core import operations as ops
from studio.core.stores.audit import AuditEntry, AuditFilter, AuditStore
from studio.gui.names import object_text

PAGE = 64  # a screenful or two: a jump fetches little
MAX_PAGES = 256  # 16k entries cached at most

COLUMNS = ("seq", "time", "user", "action", "object", "outcome", "details")

_OUTCOME_COLOURS = {"denied": QColor(215, 70, 60), "failed": QColor(215, 140, 30)}
_DISPLAY = Qt.ItemDataRole.DisplayRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_FONT = Qt.ItemDataRole.FontRole
_ROLES = frozenset((_DISPLAY, _FOREGROUND, _FONT, Qt.ItemDataRole.ToolTipRole))
_OUTCOME_COLUMN = COLUMNS.index("outcome")
_DETAILS_COLUMN = COLUMNS.index("details")


@lru_cache(maxsize=1)
def _italic() -> QFont:
    font = QFont()
    font.setItalic(True)
    return font


class AuditTableModel(QAbstractTableModel):
    sig_rows_inserted = Signal(int)  # how many new entries arrived at the top

    def __init__(self, store: AuditStore, parent=None):
        super().__init__(parent)
        self.store = store
        self.filter = AuditFilter()
        self._count = 0
        self._base = 1  # dense mode: the oldest sequence number
        self._seqs: array | None = None  # sparse mode: matching sequence numbers, oldest first
        self._top = 0  # the newest sequence number looked at
        self._cache: OrderedDict[int, list[tuple[AuditEntry, tuple] | None]] = OrderedDict()
        self._headers = {"seq": self.tr("#"), "time": self.tr("Time (UTC)"), "user": self.tr("User"),
                         "action": self.tr("Action"), "object": self.tr("Object"), "outcome": self.tr("Outcome"),
                         "details": self.tr("Details")}

    # -- what is shown ------------------------------------------------------------------------------------
    def reset_dense_or_none(self) -> bool:
        """Show the unfiltered log at once when it has no gaps. Returns False when a key list is needed."""
        lo, hi, count = self.store.bounds()
        self.beginResetModel()
        self.filter = AuditFilter()
        self._cache.clear()
        self._top = hi
        dense = count == 0 or hi - lo + 1 == count
        if dense:
            self._seqs, self._base, self._count = None, lo or 1, count
        else:
            self._seqs, self._count = array("q"), 0
        self.endResetModel()
        return dense

    def set_keys(self, flt: AuditFilter, seqs_newest_first: list[int], top: int) -> None:
        """Show the entries matching `flt` (their sequence numbers computed elsewhere, newest first)."""
        keys = array("q", seqs_newest_first)
        keys.reverse()
        self.beginResetModel()
        self.filter = flt
        self._cache.clear()
        self._seqs = keys
        self._count = len(keys)
        self._top = max(top, keys[-1] if keys else 0)
        self.endResetModel()

    def refresh(self) -> int:
        """Add the entries written since the last look at the top (live view). Returns how many arrived."""
        newest = self.store.max_seq()
        if newest <= self._top:
            return 0
        fresh: list[int] | None = None
        if self._seqs is None:  # unfiltered and gap-free: new entries are top+1 .. newest
            if self._count == 0:
                self._base = self._top + 1
            added = newest - self._top
        else:
            fresh = self.store.matching_seqs(self.filter, after_seq=self._top)
            fresh.reverse()
            added = len(fresh)
        if added:
            self.beginInsertRows(QModelIndex(), 0, added - 1)
            if fresh is not None and self._seqs is not None:
                self._seqs.extend(fresh)
            self._count += added
            self._cache.clear()  # the newest page grew, and a login may have sealed older entries
            self.endInsertRows()
            self.sig_rows_inserted.emit(added)
        self._top = newest
        return added

    # -- lookups ------------------------------------------------------------------------------------------
    def row_of(self, seq: int) -> int:
        """The row showing entry `seq`, or -1 when the current filter hides it."""
        if self._seqs is None:
            pos = seq - self._base
        else:
            pos = bisect_left(self._seqs, seq)
            if pos >= len(self._seqs) or self._seqs[pos] != seq:
                return -1
        return self._count - 1 - pos if 0 <= pos < self._count else -1

    def seq_at(self, row: int) -> int:
        pos = self._count - 1 - row
        return self._seqs[pos] if self._seqs is not None else self._base + pos

    def entry(self, row: int) -> AuditEntry | None:
        item = self._item(row)
        return None if item is None else item[0]

    def _item(self, row: int) -> tuple[AuditEntry, tuple] | None:
        if not 0 <= row < self._count:
            return None
        pos = self._count - 1 - row
        page = pos // PAGE
        entries = self._cache.get(page)
        if entries is None:
            entries = self._fetch(page)
        else:
            self._cache.move_to_end(page)
        return entries[pos - page * PAGE]

    def _fetch(self, page: int) -> list[tuple[AuditEntry, tuple] | None]:
        first, last = page * PAGE, min((page + 1) * PAGE, self._count)
        if self._seqs is not None:
            seqs = list(self._seqs[first:last])
        else:
            seqs = list(range(self._base + first, self._base + last))
        found = self.store.by_seqs(seqs)
        entries = [None if e is None else (e, tuple(_display(e, c) for c in COLUMNS))
                   for e in (found.get(s) for s in seqs)]
        self._cache[page] = entries
        while len(self._cache) > MAX_PAGES:
            self._cache.popitem(last=False)
        return entries

    # -- Qt -----------------------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._headers[COLUMNS[section]]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY):
        # Called a few thousand times a frame: cheap tests first, texts precomputed per page.
        if role not in _ROLES or not index.isValid():
            return None
        item = self._item(index.row())
        column = index.column()
        if item is None:
            return self.tr("(missing)") if role == _DISPLAY and column == 0 else None
        e, texts = item
        if role == _DISPLAY:
            return texts[column]
        if role == _FOREGROUND:
            return _OUTCOME_COLOURS.get(e.outcome) if column == _OUTCOME_COLUMN else None
        unverified = not e.sealed or e.sealed_late_by is not None
        if role == _FONT:
            return _italic() if unverified else None
        if not e.sealed:  # tooltip
            return self.tr("Waiting to be sealed into the chain (written while nobody was signed in)")
        if e.sealed_late_by is not None:
            return self.tr("Written without a MAC and sealed later (by user {id}): its content was not "
                           "authenticated by whoever wrote it").format(id=e.sealed_late_by)
        return e.details_json if column == _DETAILS_COLUMN else None


def _display(e: AuditEntry, column: str) -> str | int:
    if column == "seq":
        return e.seq
    if column == "time":
        return e.ts[:19].replace("T", " ")
    if column == "user":
        return actor_text(e)
    if column == "action":
        return e.action
    if column == "object":
        return entry_object(e)
    if column == "outcome":
        return outcome_text(e.outcome)
    text = e.details_json
    if '"name"' in text:  # the name shows in the Object column already
        details = {k: v for k, v in e.details.items() if k != "name"}
        text = json.dumps(details, separators=(",", ":"), ensure_ascii=False) if details else ""
    return text if len(text) <= 120 else text[:117] + "…"


def actor_text(e: AuditEntry) -> str:
    """Who acted; the studio itself (no user: overnight sealing, a run's checkpoints) is recorded as "system"
    and named so in the interface language."""
    if e.actor_id is None and e.actor_name == "system":
        return QCoreApplication.translate("AuditTableModel", "system")
    return e.actor_name


def outcome_text(outcome: str) -> str:
    return {"allowed": QCoreApplication.translate("AuditTableModel", "allowed"),
            "denied": QCoreApplication.translate("AuditTableModel", "denied"),
            "failed": QCoreApplication.translate("AuditTableModel", "failed")}.get(outcome, outcome)


def entry_object(e: AuditEntry) -> str:
    """The entry's object with the name it recorded (a login names its user through the actor)."""
    name = e.details.get("name") if '"name"' in e.details_json else None
    if not name and e.obj_type == "user" and e.obj_id and (
            e.obj_id == str(e.actor_id) or (e.actor_id is None and e.action == ops.AUTH_LOGIN)):
        # a login, a logout, one's own password: the actor is the object; a refused login of an existing
        # account has no actor id but names the account it tried
        name = e.actor_name
    return object_text(e.obj_type, e.obj_id, name if isinstance(name, str) else None)


def entry_json(e: AuditEntry) -> str:
    return json.dumps(e.as_dict(), indent=2, ensure_ascii=False)
