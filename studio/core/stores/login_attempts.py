"""The login throttle's counter (studio.core.security.throttle), atomic across processes.

    with write_locked(db) as s:            # BEGIN IMMEDIATE: the check and the count in one transaction
        gate = reserve(s, subject, now)     # refused (locked, too soon), or a slot counted as a failure
    ...Argon2id, outside the lock...
    give_back(s, subject, gate.slot)        # on success: this slot and every one taken before it

The write lock is taken before anything is read, so two processes never both see "3 failures, wait 0 s";
rows are created with INSERT OR IGNORE, so two first attempts at once never collide on the key.
"""

from __future__ import annotations

import hmac
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from studio.core.db import Database
from studio.core.db.tables.accounts import LoginAttemptRow
from studio.core.db.tables.settings import SettingRow
from studio.core.security import throttle

THROTTLE_SALT = "security.throttle_salt"

LOCKED, TOO_SOON = "locked", "too soon"


@dataclass(frozen=True)
class Gate:
    """What an attempt was given: a slot (its place in the run of failures, counted in advance) or a refusal."""

    subject: str
    failures: int  # before this attempt
    slot: int | None = None
    refusal: str | None = None  # LOCKED or TOO_SOON
    wait_s: float = 0.0


@contextmanager
def write_locked(db: Database) -> Iterator[Session]:
    """A durable session that holds SQLite's write lock from its first statement (BEGIN IMMEDIATE, waiting up
    to the busy timeout for other writers): what it reads stays true until it commits."""
    with db.session(durable=True) as s:
        s.connection().exec_driver_sql("BEGIN IMMEDIATE")
        yield s


def unknown_subject(s: Session, name_key: str) -> str:
    """A 16-bit keyed hash of a name that matches no account: enough to throttle it, too little to tell what
    was typed (a password typed into the name field must not be recoverable from the database). The key is
    made on first use (INSERT OR IGNORE: two processes at once agree on one)."""
    s.execute(insert(SettingRow).values(key=THROTTLE_SALT, value_json=json.dumps(os.urandom(16).hex()))
              .on_conflict_do_nothing())
    salt = json.loads(s.scalar(select(SettingRow.value_json).where(SettingRow.key == THROTTLE_SALT)))
    digest = hmac.digest(bytes.fromhex(salt), name_key.encode("utf-8"), "sha256")
    return f"name:{digest[:2].hex()}"


def reserve(s: Session, subject: str, now: datetime) -> Gate:
    """Inside `write_locked`: refuse the attempt (locked, or too soon after the last failure), or count it as
    a failure now and return its slot."""
    s.execute(insert(LoginAttemptRow).values(subject=subject, failures=0).on_conflict_do_nothing())
    row = s.execute(select(LoginAttemptRow).where(LoginAttemptRow.subject == subject)
                    .execution_options(populate_existing=True)).scalar_one()
    failures = row.failures or 0
    if throttle.is_locked(failures):
        return Gate(subject, failures, refusal=LOCKED)
    wait = throttle.retry_after(failures, row.last_failure_at, now)
    if wait > 0:
        return Gate(subject, failures, refusal=TOO_SOON, wait_s=wait)
    row.failures, row.last_failure_at = failures + 1, now
    return Gate(subject, failures, slot=failures + 1)


def give_back(s: Session, subject: str, slot: int) -> None:
    """A success: forget this attempt's slot and every failure counted before it (those after it, still being
    checked by racing attempts, stay counted)."""
    s.execute(update(LoginAttemptRow).where(LoginAttemptRow.subject == subject)
              .values(failures=LoginAttemptRow.failures - slot))
    s.execute(delete(LoginAttemptRow).where(LoginAttemptRow.subject == subject, LoginAttemptRow.failures <= 0))
