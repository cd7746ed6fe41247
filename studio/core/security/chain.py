"""The audit chain: canonical form, MACs, and the check of a whole log.

Entry n carries mac_n = HMAC-SHA256(K, mac_{n-1} || canonical(entry_n)), with mac_0 = 32 zero bytes, where K
is derived from the audit secret (session.AuditKeys), which exists only sealed to each user's public key.
Sequence numbers start at 1 and have no gaps. Entries written while nobody holding K was logged in carry no
MAC yet; they are always the newest ones and are sealed by the next write of someone who holds K.

An entry sealed that way, by someone other than its writer, records who sealed it (`sealed_late_by`, covered
by its MAC: canonical form 2). Its content was not authenticated when it was written (anyone who can write
studio.db could have appended it), so `verify` counts such entries and names those that could not be genuine
(an allowed action of a user: a logged-in user always seals their own entries).

The head anchor (security/anchor.py) names the last sealed entry and its MAC, authenticated with a second
key and stored outside studio.db, so that deleting the newest entries is detected too.

After a detected break (an edited or deleted entry, a replaced anchor) the writer stops sealing: nothing may
be chained onto a log that does not check out. An administrator who has looked at it acknowledges the break
(`AuditService.reseal`): one entry, action `audit.reseal`, starts a new segment. Its MAC is taken from a fresh
start (HMAC(K, SEGMENT || canonical(entry))) and its details hold the problem and a SHA-256 digest of every
entry before it, exactly as they were, so that the evidence of the break is kept and cannot be changed later
without `verify` noticing. `verify` reports the acknowledged breaks and checks the log from the last one on.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

GENESIS = bytes(32)
FORMAT = 1
FORMAT_LATE = 2
RESEAL_ACTION = "audit.reseal"
SEGMENT = b"model-studio audit segment v1|"

# (seq, ts, actor_id, actor_name, action, obj_type, obj_id, outcome, details, mac[, sealed_late_by])
Row = tuple

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _late_by(row: Row) -> int | None:
    return row[10] if len(row) > 10 else None


def canonical(row: Row) -> bytes:
    """The bytes an entry's MAC covers: its fields as a compact JSON array, a newline, then the details
    exactly as stored (already canonical JSON). Anything changed in any field changes these bytes. An entry
    sealed late also carries who sealed it (form 2); other entries keep form 1, so older logs still verify."""
    late = _late_by(row)
    fields = [FORMAT, *row[:8]] if late is None else [FORMAT_LATE, *row[:8], late]
    return (_dumps(fields) + "\n" + row[8]).encode("utf-8")


def entry_mac(key: bytes, previous: bytes, row: Row) -> bytes:
    return hmac.digest(key, previous + canonical(row), "sha256")


def segment_mac(key: bytes, row: Row) -> bytes:
    """The MAC of an `audit.reseal` entry: a new start, not chained onto the (broken) entries before it."""
    return hmac.digest(key, SEGMENT + canonical(row), "sha256")


class LogDigest:
    """SHA-256 over entries as stored (canonical form and MAC, length-prefixed), oldest first: what a reseal
    entry freezes of the log before it."""

    def __init__(self) -> None:
        self._h = hashlib.sha256(b"model-studio audit log digest v1")

    def add(self, row: Row) -> None:
        body, mac = canonical(row), row[9] or b""
        self._h.update(len(body).to_bytes(4, "big") + body + bytes([len(mac)]) + bytes(mac))

    def hexdigest(self) -> str:
        return self._h.hexdigest()


def details_json(details: dict) -> str:
    return json.dumps(details, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class Anchor:
    seq: int
    mac: bytes
    adopted: bool = True  # written since access rows are authenticated (security/adopt.py)


@dataclass(frozen=True)
class AcknowledgedBreak:
    """A break an administrator acknowledged: the `audit.reseal` entry that starts a new segment."""

    seq: int
    by: str
    ts: str
    problem: str  # what verify said about the log before it


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
    late: int = 0  # entries written without a MAC and sealed later: their content was not authenticated
    breaks: tuple[AcknowledgedBreak, ...] = ()

    def summary(self) -> str:
        if self.ok:
            text = f"The audit log is intact: {self.checked} entries, {self.sealed} sealed"
            if self.unsealed:
                text += f", {self.unsealed} newest waiting to be sealed at the next login"
            text += "."
        else:
            text = f"The audit log was tampered with: {self.problem}"
        if self.late:
            text += (f" {self.late} entries were written without a MAC (failed logins, the studio's own work, a "
                     "locked session) and sealed later: their content was not authenticated by their writer.")
        for b in self.breaks:
            text += (f" Entry {b.seq}: {b.by} acknowledged a break on {b.ts[:10]} and started a new chain there "
                     f"(the break: {b.problem}); the entries before it are kept as they were found.")
        return text


def verify_rows(rows: Iterable[tuple], mac_key: bytes, anchor: Anchor | None, anchor_problem: str = "",
                expect_anchor: bool = True, progress: Callable[[int], None] | None = None,
                reseal_seqs: Collection[int] = ()) -> VerifyReport:
    """Check every entry in sequence order and the head anchor; name the first bad entry of the current
    segment. `reseal_seqs`: the entries whose action is audit.reseal (from the action index), where an
    acknowledged break may start a new segment; the log is hashed up to the last of them."""
    expected, previous = 1, GENESIS
    sealed = unsealed = checked = late = 0
    first_unsealed: int | None = None
    anchor_mac_seen: bytes | None = None
    problem: tuple[int | None, str] | None = None  # the first problem of the current segment
    breaks: list[AcknowledgedBreak] = []
    candidates = set(reseal_seqs)
    hash_until = max(candidates, default=0)
    log_digest = LogDigest() if hash_until else None
    digest, compare = hmac.digest, hmac.compare_digest

    def report(ok: bool, seq: int | None = None, text: str = "", **more) -> VerifyReport:
        return VerifyReport(ok, checked, sealed, unsealed, expected - 1, anchor.seq if anchor else None, seq, text,
                            late=late, breaks=tuple(breaks), **more)

    for row in rows:
        seq, mac = row[0], row[9]
        checked += 1
        if seq in candidates and row[4] == RESEAL_ACTION and mac is not None and compare(segment_mac(mac_key, row), mac):
            try:
                details = json.loads(row[8])
            except ValueError:
                details = {}
            breaks.append(AcknowledgedBreak(seq, row[3], row[1], str(details.get("problem", ""))))
            problem = None
            if details.get("log_digest") != log_digest.hexdigest():
                problem = (seq, f"entry {seq} acknowledged a break, but the entries before it were changed since.")
            previous, first_unsealed, unsealed = mac, None, 0
            sealed += 1
        else:
            if seq != expected and problem is None:
                if seq > expected:
                    span = f"entry {expected} is" if seq == expected + 1 else f"entries {expected} to {seq - 1} are"
                    problem = (expected, f"{span} missing (deleted).")
                else:
                    problem = (seq, f"entry {seq} appears twice or out of order.")
            if problem is None:
                if mac is None:
                    if first_unsealed is None:
                        first_unsealed = seq
                    unsealed += 1
                elif first_unsealed is not None:
                    problem = (first_unsealed, f"entry {first_unsealed} lost its MAC although later entries are sealed.")
                elif not compare(digest(mac_key, previous + canonical(row), "sha256"), mac):
                    problem = (seq, f"entry {seq} does not match its MAC (edited, forged, moved or its MAC changed).")
                else:
                    previous = mac
                    sealed += 1
                    late += _late_by(row) is not None
        if anchor is not None and seq == anchor.seq:
            anchor_mac_seen = mac
        if log_digest is not None and seq < hash_until:
            log_digest.add(row)
        expected = max(expected, seq + 1)
        if progress is not None and not checked % 65536:
            progress(checked)

    last = expected - 1
    if problem is not None:
        return report(False, *problem)
    if anchor_problem:
        return report(False, None, anchor_problem)
    if anchor is None:
        if expect_anchor:
            return report(False, None, "the head anchor is missing (deleted, or the data folder was put together "
                                       "from parts).")
    elif anchor.seq > last:
        return report(False, last + 1, f"the newest entries were deleted: the log ends at entry {last} but the head "
                                       f"anchor names entry {anchor.seq}.")
    elif anchor.seq > 0 and (anchor_mac_seen is None or not compare(anchor_mac_seen, anchor.mac)):
        return report(False, anchor.seq, f"entry {anchor.seq} is not the entry the head anchor names (replaced, or "
                                         "the log was rolled back).")
    head_seq = last - unsealed
    return report(True, head_seq=head_seq, head_mac=previous.hex() if head_seq else "")
