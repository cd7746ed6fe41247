"""Access rows that a database writer cannot forge: every row that decides who may do what, or who receives a
key, is authenticated, and checked before any decision relies on it.

The rows of one object form its *scope* ("user:3", "model:12", "dataset:4", "run:7", "vault:1"): the object's
own row (owner, role, public key, ...) and the rows that name it (grants on it, the users its keys are wrapped
for). Each scope has one row in `acl_scopes`:

    epoch   +1 at every change of the scope's rows
    rows    the scope's rows as [table, key, sha256/16] (sorted), so that a refusal can name what changed
    tag     HMAC-SHA256(K_rows, "model-studio acl v1" || scope || epoch || rows)

K_rows is derived from the audit secret (session.AuditKeys.rows_key), which exists only sealed to each user's
public key and is pinned by each user's own key (security/pins.py): someone who writes studio.db without any
user's password can neither make a valid tag nor swap the secret for one they know.

- Writing: the ORM's flush marks the scopes whose covered columns changed (inserts, updates, deletes); just
  before the commit every marked scope is tagged again with epoch + 1, on the same transaction, with the key
  of the session's actor (`bind(session, actor)`, done by Service.operation/check/can). A change without that
  key (a process that holds no login) is refused, except removing a scope entirely (nothing is left to trust).
  Core statements bypass the ORM: code that changes protected rows with them calls `touch(session, scope)`.
- Rollback: after the commit the scope's epoch is anchored outside studio.db (audit-anchor.db, table
  acl_anchor, authenticated with the audit anchor key). A scope whose epoch is older than its anchor was
  restored from an older copy: refused. (The anchor is written after the commit, so it may lag, never lead.)
- Reading: `verify(session, scope)` (cached per transaction) raises TamperedRowError naming the scope and the
  rows that differ; the service's operation records the refusal in the audit log.

Bringing a new table under the rule (docs/architecture.md): `protect(Table, scope_type, columns, id_column=...)`
once, at import, naming the columns that decide access; then call `verify(session, scope)` before reading them
for a decision. A table whose rows belong to several scope types (grants) names its `type_column` instead.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, event, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from studio.core.db.tables.security import AclScopeRow
from studio.core.errors import IntegrityError

log = logging.getLogger(__name__)

_CTX = "acl_context"
_TOUCHED = "acl_touched"
_VERIFIED = "acl_verified"
_PRECHECKED = "acl_prechecked"
_LABEL = b"model-studio acl v1\n"


class TamperedRowError(IntegrityError):
    """Access rows that do not verify: added, edited, deleted or restored outside the studio."""

    def __init__(self, scope: str, problem: str):
        super().__init__(
            f"The access rows of {scope.replace(':', ' ')} do not verify: {problem} They were changed outside "
            "Model Studio, so nothing was done with them. An administrator should restore studio.db from a backup "
            "they trust (and check `studio audit verify`)."
        )
        self.scope, self.problem = scope, problem


class RowAuthError(IntegrityError):
    """A protected row was about to change in a transaction that cannot authenticate it."""


@dataclass(frozen=True)
class Protection:
    """One table's part in the scopes of its rows. `columns`: what decides access (their values are
    authenticated); `key`: the columns that name a row in a refusal; `scope_of(row) -> (type, id)`; `scope_type`:
    the one type of scope its rows belong to (None: the type is in the row, column `type_column`); `sql`: the
    statement that reads a scope's rows of this table, parameters (id,) or (type, id)."""

    table: Any
    columns: tuple[str, ...]
    key: tuple[str, ...]
    scope_of: Callable[[Any], tuple[str, str] | None]
    scope_type: str | None
    sql: str
    int_id: bool

    def params(self, obj_type: str, obj_id: str) -> tuple | None:
        """The statement's parameters for this scope, or None when this table takes no part in it."""
        if self.scope_type is None:
            return (obj_type, obj_id)
        if obj_type != self.scope_type:
            return None
        return (int(obj_id) if self.int_id and obj_id.lstrip("-").isdigit() else obj_id,)


_PROTECTED: dict[Any, Protection] = {}


def protect(table: Any, scope_type: str | None, columns: Sequence[str], *, id_column: str,
            type_column: str | None = None, key: Sequence[str] = ()) -> None:
    """Bring `table` under the rule: its rows belong to scope `scope_type:<id_column>`, or, for a table whose
    rows belong to scopes of several types (grants), `<type_column>:<id_column>`."""
    from sqlalchemy import Integer, inspect

    assert (scope_type is None) == (type_column is not None)
    cols = tuple(columns)
    mapped = inspect(table).columns

    def scope_of(row, _c=id_column, _t=type_column, _s=scope_type):
        value = getattr(row, _c)
        if value is None:
            return None
        return (getattr(row, _t) if _t is not None else _s, str(value))

    # Read with the DB-API directly, not the ORM: these reads come before every decision, and building and
    # running an ORM query per table was half the time of a plain `vault show`. What is authenticated is the
    # values as stored (0/1 for booleans, text for times), the same for the tag and for the check.
    where = " AND ".join(f"{mapped[c].name} = ?" for c in ((type_column,) if type_column else ()) + (id_column,))
    sql = f"SELECT {', '.join(mapped[c].name for c in cols)} FROM {table.__table__.name} WHERE {where}"
    _PROTECTED[table] = Protection(table, cols, tuple(key) or cols[:1], scope_of, scope_type, sql,
                                   isinstance(mapped[id_column].type, Integer))


def scope_name(obj_type: str, obj_id: object) -> str:
    return f"{obj_type}:{obj_id}"


def split_scope(scope: str) -> tuple[str, str]:
    obj_type, _, obj_id = scope.partition(":")
    return obj_type, obj_id


# -- who authenticates ------------------------------------------------------------------------------------

@dataclass
class AclContext:
    """What a session can authenticate with: the rows key and the anchor key of its actor's audit secret."""

    rows_key: bytes | None
    anchor_key: bytes | None
    anchors: Any = None  # AnchorFile of the data folder (for the epochs kept outside studio.db)
    actor_id: int | None = None
    advance: list[tuple[str, int]] = field(default_factory=list)  # epochs to anchor after the commit


_ANCHORS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()  # engine -> AnchorFile


def bind(session: Session, keys: Any, anchors: Any = None, actor_id: int | None = None) -> AclContext:
    """Let `session` authenticate access rows with `keys` (session.AuditKeys, or None: reading and writing
    protected rows is then refused). `anchors`: the data folder's AnchorFile (found by engine if omitted)."""
    if anchors is None:
        anchors = _ANCHORS.get(session.get_bind())
    ctx = AclContext(getattr(keys, "rows_key", None), getattr(keys, "anchor_key", None), anchors, actor_id)
    session.info[_CTX] = ctx
    return ctx


_LIVE: weakref.WeakKeyDictionary[Any, weakref.WeakSet] = weakref.WeakKeyDictionary()  # engine -> sessions


def register_live(engine: Any, user_session: Any) -> None:
    """A login of this process: while it stays unlocked, sessions of this data folder opened without an actor
    (a lookup before an operation, the studio's own work) check access rows with its keys, which every user
    of the folder shares (they come from the one audit secret). Locked or gone, it no longer counts."""
    _LIVE.setdefault(engine, weakref.WeakSet()).add(user_session)


def _live_keys(session: Session) -> Any:
    from studio.core.security.session import acl_keys_of

    for user_session in list(_LIVE.get(session.get_bind(), ())):
        keys = acl_keys_of(user_session)
        if keys is not None:
            return keys
    return None


def _effective(session: Session) -> AclContext | None:
    """The session's context; for one bound without keys (or not at all), one from a live login."""
    ctx = context(session)
    if ctx is not None and ctx.rows_key is not None:
        return ctx
    keys = _live_keys(session)
    if keys is None:
        return ctx
    live = bind(session, keys, ctx.anchors if ctx is not None else None, ctx.actor_id if ctx is not None else None)
    if ctx is not None:
        live.advance = ctx.advance
    return live


def ensure_bound(session: Session, keys: Any, actor_id: int | None = None) -> None:
    """Bind `session` unless it already is (for code that decides on a session it opened itself)."""
    ctx = context(session)
    if ctx is None or (ctx.rows_key is None and keys is not None):
        bind(session, keys, None, actor_id)


def context(session: Session) -> AclContext | None:
    return session.info.get(_CTX)


def touch(session: Session, scope: str) -> None:
    """Mark a scope as changing (for a change the ORM does not see; call it before the change)."""
    checked = session.info.setdefault(_PRECHECKED, set())
    if scope not in checked:
        if scope_rows(session, scope):
            verify(session, scope)
        checked.add(scope)
    session.info.setdefault(_TOUCHED, set()).add(scope)
    session.info.get(_VERIFIED, set()).discard(scope)


# -- canonical form and tag ---------------------------------------------------------------------------------

def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return "b:" + bytes(value).hex()
    if isinstance(value, datetime):
        return "t:" + value.isoformat()
    return value


def scope_rows(session: Session, scope: str) -> list[list]:
    """[table, key values, sha256/16 of all covered values] of every row of the scope, sorted."""
    obj_type, obj_id = split_scope(scope)
    out = []
    conn = session.connection()
    for table, spec in _PROTECTED.items():
        params = spec.params(obj_type, obj_id)
        if params is None:
            continue
        for values in conn.exec_driver_sql(spec.sql, params).all():
            data = [_jsonable(v) for v in values]
            named = dict(zip(spec.columns, data, strict=True))
            digest = hashlib.sha256(json.dumps(data, separators=(",", ":")).encode()).hexdigest()[:32]
            out.append([table.__tablename__, [named[k] for k in spec.key], digest])
    out.sort(key=lambda r: json.dumps(r))
    return out


def _tag(rows_key: bytes, scope: str, epoch: int, rows_json: str) -> bytes:
    return hmac.digest(rows_key, _LABEL + json.dumps([scope, epoch]).encode() + b"\n" + rows_json.encode(), "sha256")


def _rows_json(rows: list[list]) -> str:
    return json.dumps(rows, separators=(",", ":"), ensure_ascii=False)


# -- reading -----------------------------------------------------------------------------------------------

def verify(session: Session, scope: str) -> None:
    """Raise TamperedRowError unless the scope's rows are exactly the ones last authenticated."""
    verified = session.info.setdefault(_VERIFIED, set())
    if scope in verified:
        return
    if scope in session.info.get(_TOUCHED, ()) and scope in session.info.get(_PRECHECKED, ()):
        return  # changed by this transaction after it verified (or as a new object): tagged at the commit
    ctx = _effective(session)
    if ctx is None or ctx.rows_key is None:
        raise RowAuthError("These access rows can only be read by a logged-in user (the session holds no audit "
                           "key: locked, or a process without a login).")
    rows = scope_rows(session, scope)
    acl = _acl_row(session, scope)
    if acl is None:
        if rows:
            raise TamperedRowError(scope, _listing("rows that were never authenticated", rows) + " (If this data "
                                   "folder was just upgraded, an administrator must log in once first.)")
    else:
        stored = str(acl.rows)
        if not hmac.compare_digest(_tag(ctx.rows_key, scope, acl.epoch, stored), bytes(acl.tag)):
            raise TamperedRowError(scope, "their authentication record was edited.")
        anchored = _anchored(ctx, scope)
        if acl.epoch < anchored:
            raise TamperedRowError(scope, f"they are an older copy (version {acl.epoch}; version {anchored} was "
                                          "written since).")
        current = _rows_json(rows)
        if current != stored:
            raise TamperedRowError(scope, _diff(json.loads(stored), rows))
    verified.add(scope)


def _acl_row(session: Session, scope: str) -> Any:
    """The scope's authentication record (epoch, rows, tag) as stored, or None."""
    return session.connection().exec_driver_sql(
        f"SELECT epoch, rows, tag FROM {AclScopeRow.__tablename__} WHERE scope = ?", (scope,)).first()


def valid(session: Session, scope: str) -> bool:
    try:
        verify(session, scope)
    except (TamperedRowError, RowAuthError):
        return False
    return True


def _describe(row: list) -> str:
    table, key = row[0], row[1]
    return f"{table} row ({', '.join(str(k) for k in key)})"


def _listing(what: str, rows: Iterable[list]) -> str:
    rows = list(rows)
    return f"{what}: " + "; ".join(_describe(r) for r in rows[:6]) + ("; …" if len(rows) > 6 else "") + "."


def _diff(stored: list[list], current: list[list]) -> str:
    before = {json.dumps(r[:2]): r for r in stored}
    now = {json.dumps(r[:2]): r for r in current}
    parts = []
    added = [now[k] for k in now if k not in before]
    removed = [before[k] for k in before if k not in now]
    changed = [now[k] for k in now if k in before and now[k][2] != before[k][2]]
    if added:
        parts.append(_listing("added", added))
    if removed:
        parts.append(_listing("deleted", removed))
    if changed:
        parts.append(_listing("edited", changed))
    return " ".join(parts) or "their order or form changed."


# -- writing -----------------------------------------------------------------------------------------------

def _changed(obj: Any, spec: Protection) -> bool:
    from sqlalchemy import inspect

    state = inspect(obj)
    return any(state.attrs[c].history.has_changes() for c in spec.columns)


def _protected_changes(session: Session, deletes: bool | None = None):
    """The scopes of protected rows changing in this flush (`deletes`: only deleted rows / only others)."""
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        spec = _PROTECTED.get(type(obj))
        deleted = obj in session.deleted
        if spec is None or (deletes is not None and deleted != deletes):
            continue
        if obj in session.dirty and not deleted and not _changed(obj, spec):
            continue
        scope = spec.scope_of(obj)
        if scope is not None:
            yield scope_name(*scope)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    """Before a scope's first change in a transaction, what is there must verify: otherwise re-tagging it
    would launder a forged row into an authenticated one. A scope with no rows yet (a new object) passes, and
    so do deletions by a session that holds no key (the studio itself removing an object: if anything of the
    scope is left, it cannot be tagged again, and the commit is refused)."""
    checked = session.info.setdefault(_PRECHECKED, set())
    ctx = _effective(session)
    keyless = ctx is None or ctx.rows_key is None
    only_deleted = set(_protected_changes(session, deletes=True)) - set(_protected_changes(session, deletes=False))
    for scope in set(_protected_changes(session)) - checked:
        if keyless and scope in only_deleted:
            continue
        if scope_rows(session, scope):
            verify(session, scope)
        checked.add(scope)


def _after_flush(session: Session, _context: Any) -> None:
    touched = session.info.setdefault(_TOUCHED, set())
    verified = session.info.get(_VERIFIED, set())
    checked = session.info.setdefault(_PRECHECKED, set())
    for name in _protected_changes(session):
        touched.add(name)
        verified.discard(name)
    for obj in session.new:  # an object whose id the flush just gave it: its scope is new, nothing to check
        spec = _PROTECTED.get(type(obj))
        scope = spec.scope_of(obj) if spec is not None else None
        if scope is not None:
            checked.add(scope_name(*scope))


def _anchored(ctx: AclContext | None, scope: str) -> int:
    """The version recorded outside studio.db (0: none)."""
    from studio.core.security.anchor import AnchorError

    if ctx is None or ctx.anchors is None or ctx.anchor_key is None:
        return 0
    try:
        return ctx.anchors.acl_epoch(ctx.anchor_key, scope) or 0
    except AnchorError as error:
        raise TamperedRowError(scope, f"{error}") from error


def seal_touched(session: Session) -> None:
    """Tag every scope changed in this transaction (before_commit; also callable by hand)."""
    touched = session.info.get(_TOUCHED)
    if not touched:
        return
    session.flush()
    ctx = context(session)
    if any(scope_rows(session, scope) for scope in touched):
        ctx = _effective(session)
    for scope in sorted(touched):
        rows = scope_rows(session, scope)
        acl = _acl_row(session, scope)
        epoch = max(acl.epoch if acl is not None else 0, _anchored(ctx, scope)) + 1
        if not rows:  # the object is gone: nothing is left to authenticate (no key needed)
            if acl is not None:
                session.execute(delete(AclScopeRow).where(AclScopeRow.scope == scope))
            if ctx is not None and ctx.anchor_key is not None:
                ctx.advance.append((scope, epoch))
            continue
        if ctx is None or ctx.rows_key is None:
            raise RowAuthError(f"The access rows of {scope} cannot be changed here: only a logged-in user (whose "
                               "session holds the audit key) can authenticate them.")
        text = _rows_json(rows)
        session.execute(sqlite_insert(AclScopeRow).values(scope=scope, epoch=epoch, rows=text,
                                                          tag=_tag(ctx.rows_key, scope, epoch, text))
                        .on_conflict_do_update(index_elements=["scope"],
                                               set_={"epoch": epoch, "rows": text,
                                                     "tag": _tag(ctx.rows_key, scope, epoch, text)}))
        ctx.advance.append((scope, epoch))
        session.info.setdefault(_VERIFIED, set()).add(scope)
    touched.clear()


def _before_commit(session: Session) -> None:
    session.flush()  # the commit's own flush comes after this hook: marks come from flushes
    seal_touched(session)


def _after_commit(session: Session) -> None:
    ctx = context(session)
    if ctx is not None and ctx.advance:
        if ctx.anchors is not None and ctx.anchor_key is not None:
            ctx.anchors.advance_acl(ctx.anchor_key, ctx.advance)
        ctx.advance = []
    session.info.pop(_VERIFIED, None)
    session.info.pop(_PRECHECKED, None)


def _after_rollback(session: Session) -> None:
    session.info.pop(_TOUCHED, None)
    session.info.pop(_VERIFIED, None)
    session.info.pop(_PRECHECKED, None)
    ctx = context(session)
    if ctx is not None:
        ctx.advance = []


def install(factory: sessionmaker, engine: Any = None, anchors: Any = None) -> None:
    """Make every session of `factory` mark and tag the scopes it changes; `anchors` (the data folder's
    AnchorFile) is where the versions of scopes are kept for sessions bound without naming it."""
    if engine is not None and anchors is not None:
        _ANCHORS[engine] = anchors
    event.listen(factory, "before_flush", _before_flush)
    event.listen(factory, "after_flush", _after_flush)
    event.listen(factory, "before_commit", _before_commit)
    event.listen(factory, "after_commit", _after_commit)
    event.listen(factory, "after_soft_rollback", lambda s, _t: _after_rollback(s))


# -- adopting what is there ----------------------------------------------------------------------------------

def all_scopes(session: Session) -> set[str]:
    """Every scope that has protected rows (for adopting a data folder made before this rule)."""
    found: set[str] = set()
    for table, spec in _PROTECTED.items():
        for obj in session.scalars(select(table)):
            scope = spec.scope_of(obj)
            if scope is not None:
                found.add(scope_name(*scope))
    return found


def never_authenticated(session: Session, scope: str) -> bool:
    """True when the scope has no authentication record in studio.db and no version anchored outside it: rows of
    a table brought under the rule after they were written (a deleted record of a scope that was ever tagged has
    its version in the anchor, so it is not taken for one). False whenever the anchor cannot be consulted."""
    ctx = _effective(session)
    if ctx is None or ctx.anchors is None or ctx.anchor_key is None:
        return False
    return _acl_row(session, scope) is None and _anchored(ctx, scope) == 0


def adopt(session: Session, scopes: Iterable[str]) -> int:
    """Authenticate these scopes as they are (TOFU: the first administrator login after an upgrade, or an
    administrator acknowledging a break). Returns how many."""
    count = 0
    touched = session.info.setdefault(_TOUCHED, set())
    for scope in scopes:
        touched.add(scope)
        session.info.setdefault(_PRECHECKED, set()).add(scope)
        count += 1
    seal_touched(session)
    return count
