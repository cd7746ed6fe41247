"""The audit chain: canonical form, MACs, and the check of a whole log.

Entry n carries mac_n = HMAC-SHA256(K, mac_{n-1} || canonical(entry_n)), with mac_0 = 32 zero bytes, where K
is derived from the audit secret (session.AuditKeys), which exists only sealed to each user's public key.
Sequence numbers start at 1 and have no gaps. Entries written while nobody holding K was logged in carry no
MAC yet; they are always the newest ones and are sealed by the next write of someone who holds K.

The head anchor (security/anchor.py) names the last sealed entry and its MAC, authenticated with a second
key and stored outside studio.db, so that deleting the newest entries is detected too.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

GENESIS = bytes(32)
FORMAT = 1

# (seq, ts, actor_id, actor_name, action, obj_type, obj_id, outcome, details, mac)
Row = tuple[int, str, int | None, str, str, str | None, str | None, str, str, bytes | None]

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def canonical(row: Row | tuple) -> bytes:
    """The bytes an entry's MAC covers: its fields as a compact JSON array, a newline, then the details
    exactly as stored (already canonical JSON). Anything changed in any field changes these bytes."""
    head = _dumps([FORMAT, row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7]])
    return (head + "\n" + row[8]).encode("utf-8")


def entry_mac(key: bytes, previous: bytes, row: Row | tuple) -> bytes:
    return hmac.digest(key, previous + canonical(row), "sha256")


def details_json(details: dict) -> str:
    return json.dumps(details, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class Anchor:
    seq: int
    mac: bytes


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    checked: int  # entries read
    sealed: int
    unsealed: int  # newest entries still waiting for a MAC
    last_seq: int
    anchor_seq: int | None
    first_bad_seq: int | None = None
    problem: str = ""
    head_seq: int = 0  # the newest sealed entry and its MAC: copy them somewhere safe to detect a rollback
    head_mac: str = ""

    def summary(self) -> str:
        if self.ok:
            text = f"The audit log is intact: {self.checked} entries, {self.sealed} sealed"
            if self.unsealed:
                text += f", {self.unsealed} newest waiting to be sealed at the next login"
            return text + "."
        return f"The audit log was tampered with: {self.problem}"


def verify_rows(rows: Iterable[tuple], mac_key: bytes, anchor: Anchor | None, anchor_problem: str = "",
                expect_anchor: bool = True, progress: Callable[[int], None] | None = None) -> VerifyReport:
    """Check every entry in sequence order and the head anchor; stop at the first bad entry and name it."""
    expected, previous = 1, GENESIS
    sealed = unsealed = checked = 0
    first_unsealed: int | None = None
    anchor_mac_seen: bytes | None = None
    digest, compare = hmac.digest, hmac.compare_digest

    def bad(seq: int | None, problem: str) -> VerifyReport:
        return VerifyReport(False, checked, sealed, unsealed, expected - 1, anchor.seq if anchor else None, seq, problem)

    for row in rows:
        seq, mac = row[0], row[9]
        if seq != expected:
            if seq > expected:
                span = f"entry {expected} is" if seq == expected + 1 else f"entries {expected} to {seq - 1} are"
                return bad(expected, f"{span} missing (deleted).")
            return bad(seq, f"entry {seq} appears twice or out of order.")
        checked += 1
        if mac is None:
            if first_unsealed is None:
                first_unsealed = seq
            unsealed += 1
        else:
            if first_unsealed is not None:
                return bad(first_unsealed, f"entry {first_unsealed} lost its MAC although later entries are sealed.")
            if not compare(digest(mac_key, previous + canonical(row), "sha256"), mac):
                return bad(seq, f"entry {seq} does not match its MAC (edited, forged, moved or its MAC changed).")
            previous = mac
            sealed += 1
        if anchor is not None and seq == anchor.seq:
            anchor_mac_seen = mac
        expected = seq + 1
        if progress is not None and not checked % 65536:
            progress(checked)

    last = expected - 1
    if anchor_problem:
        return bad(None, anchor_problem)
    if anchor is None:
        if expect_anchor:
            return bad(None, "the head anchor is missing (deleted, or the data folder was put together from parts).")
    elif anchor.seq > last:
        return bad(last + 1, f"the newest entries were deleted: the log ends at entry {last} but the head anchor "
                             f"names entry {anchor.seq}.")
    elif anchor.seq > 0 and (anchor_mac_seen is None or not compare(anchor_mac_seen, anchor.mac)):
        return bad(anchor.seq, f"entry {anchor.seq} is not the entry the head anchor names (replaced, or the log "
                               "was rolled back).")
    head_seq = last - unsealed
    return VerifyReport(True, checked, sealed, unsealed, last, anchor.seq if anchor else None,
                        head_seq=head_seq, head_mac=previous.hex() if head_seq else "")
