"""Failed logins slow down, then lock (NIST SP 800-63B 5.2.2: rate limiting with a growing delay, at most
100 consecutive failures; we lock at 10 because a desktop account has an administrator nearby).

Counted per user name, known or not, so that an unknown name behaves exactly like a wrong password; kept in
the database, so a restart does not reset it; a successful login resets it.

Atomic across processes (studio.core.stores.login_attempts): an attempt first takes a *slot* in one write
transaction (the check and the count together, under SQLite's write lock), counted as a failure in advance;
only then does the Argon2id check run (outside the lock). Parallel logins therefore see each other's slots:
after FREE_FAILURES + 1 slots the next must wait, and no more than MAX_FAILURES are ever checked before the
lockout, however many race. A success gives back its slot and every one taken before it.
"""

from __future__ import annotations

import math
from datetime import datetime

MAX_FAILURES = 10  # in a row; then the account stays locked until an administrator unlocks it
FREE_FAILURES = 2  # typos cost nothing
MAX_DELAY_S = 60.0


def delay_after(failures: int) -> float:
    """Seconds the next attempt must wait after `failures` failures in a row: 0, 0, 1, 2, 4, ... 60."""
    if failures <= FREE_FAILURES:
        return 0.0
    return min(2.0 ** (failures - FREE_FAILURES - 1), MAX_DELAY_S)


def retry_after(failures: int, last_failure_at: datetime | None, now: datetime) -> float:
    """Seconds left before another attempt is accepted (0 when it is)."""
    if last_failure_at is None:
        return 0.0
    wait = delay_after(failures) - (now - last_failure_at).total_seconds()
    return max(0.0, wait)


def is_locked(failures: int) -> bool:
    return failures >= MAX_FAILURES


def describe_wait(seconds: float) -> str:
    """A wait in words for people: whole seconds rounded up, never "0 s" ("1 s", "45 s", "1 min", "1 min 5 s")."""
    whole = max(1, math.ceil(seconds - 1e-9))
    if whole < 60:
        return f"{whole} s"
    minutes, rest = divmod(whole, 60)
    return f"{minutes} min" + (f" {rest} s" if rest else "")
