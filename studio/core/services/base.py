"""The shape of every service operation: check access, do the work, record it.

    with self.operation(actor, ops.DATASET_DELETE, "dataset", dataset_id) as op:
        row = op.session.get(DatasetRow, dataset_id)
        ...
        op.details["name"] = row.name      # goes into the audit entry
        op.obj_id = str(new_id)            # when the object gets its id inside (imports)

`operation()`:
- asks the one policy function (studio.core.security.policy.decide) before anything happens; a denial is
  appended to the audit log in its own committed transaction and raises AccessDenied naming what was refused;
- yields an OperationContext whose `session` is the SQLAlchemy session of the change, and appends the audit
  entry on that same session before it commits (synchronous=FULL), so the change and its record commit
  together or not at all; if the entry cannot be written, the change is rolled back and AuditWriteError says
  why (the log fails closed);
- records an exception raised inside as outcome "failed" (own transaction) and re-raises it.
- records the object's name beside its id (`details["name"]`, from the type's `name_of` in the policy
  registry; read before the body, so a deleted object keeps it, and after it for an import's new id).

`check()` is the policy and the denial record without an entry for success: for reads that are not worth an
entry (lists, the audit log's own pages). Reading a model, changing, exporting or granting use `operation()`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from studio.core import operations as ops
from studio.core.actor import Actor
from studio.core.errors import AccessDenied, AuditTamperedError, AuditWriteError, StudioError
from studio.core.operations import OPERATIONS
from studio.core.security import policy, rowauth
from studio.core.security.session import acl_keys_of, audit_keys_of

if TYPE_CHECKING:
    from studio.core.services.studio import Studio

log = logging.getLogger(__name__)

# What an administrator needs to look at a broken audit chain and acknowledge it (everything else waits).
OPEN_WHEN_TAMPERED = frozenset({ops.AUTH_LOGOUT, ops.AUDIT_READ, ops.AUDIT_VERIFY, ops.AUDIT_EXPORT, ops.AUDIT_RESEAL})


@dataclass
class OperationContext:
    session: Session
    actor: Actor
    action: str
    obj_type: str | None
    obj_id: str | None
    details: dict[str, Any] = field(default_factory=dict)


def _named(details: dict[str, Any], name: str | None) -> dict[str, Any]:
    """The entry's details with the object's name beside its id (the service's own "name" wins)."""
    out = dict(details)
    if name is not None and "name" not in out:
        out["name"] = name
    return out


def _name(actor: object) -> str:
    return str(getattr(actor, "user_name", None) or "unknown")


class Service:
    def __init__(self, studio: Studio):
        self.studio = studio

    @contextmanager
    def operation(
        self, actor: Actor, action: str, obj_type: str | None = None, obj_id: object = None, **details: Any
    ) -> Iterator[OperationContext]:
        if action not in OPERATIONS:
            raise ValueError(f"unknown operation {action!r}: add it to studio.core.operations")
        oid = None if obj_id is None else str(obj_id)
        audit = self.studio.audit_store
        keys = audit_keys_of(actor)
        body_error: BaseException | None = None
        head = None
        ctx: OperationContext | None = None
        name: str | None = None
        try:
            with self.studio.db.session(durable=True) as session:
                self.bind(session, actor)
                self.studio.db.verify_schema(session)
                if keys is not None and action not in OPEN_WHEN_TAMPERED:
                    self._check_chain(keys)
                decision = policy.decide(session, actor, action, obj_type, oid)
                name = policy.object_name(session, obj_type, oid)  # before the body: a delete removes it
                if decision.allowed:
                    ctx = OperationContext(session, actor, action, obj_type, oid, _named(details, name))
                    try:
                        yield ctx
                        session.flush()
                    except BaseException as error:
                        body_error = error
                        raise
                    if ctx.obj_id is not None and ctx.obj_id != oid and "name" not in ctx.details:
                        # the object got its id inside (an import): its name as stored
                        ctx.details = _named(ctx.details, policy.object_name(session, ctx.obj_type, ctx.obj_id))
                    _, head = audit.append(
                        session, actor_id=getattr(actor, "user_id", None), actor_name=_name(actor), action=action,
                        obj_type=ctx.obj_type, obj_id=ctx.obj_id, outcome="allowed", details=ctx.details, keys=keys,
                    )
        except BaseException as error:
            if body_error is not None or not isinstance(error, AuditWriteError):
                self._record_failure(actor, action, ctx, obj_type, oid, _named(details, name), error)
            raise
        if not decision.allowed:
            self._record(actor, action, obj_type, oid, "denied", {**_named(details, name), "reason": decision.reason})
            what = f"{action} on {obj_type} {oid}" if oid is not None else action
            raise AccessDenied(f"{_name(actor)} may not do {what}: {decision.reason}.", action, obj_type, oid,
                               decision.reason)
        if keys is not None:
            audit.advance_anchor(keys, head)

    def bind(self, session: Session, actor: object) -> Session:
        """Let `session` authenticate access rows as `actor` can (security/rowauth.py)."""
        rowauth.bind(session, acl_keys_of(actor), self.studio.audit_store.anchor, getattr(actor, "user_id", None))
        return session

    @contextmanager
    def acting_session(self, actor: object, durable: bool = False) -> Iterator[Session]:
        """A session outside an operation that reads or changes access rows as `actor`."""
        with self.studio.db.session(durable) as session:
            yield self.bind(session, actor)

    def _check_chain(self, keys) -> None:
        """Refuse to work on a log whose chain cannot be continued: a rollback of studio.db, deleted newest
        entries or a replaced anchor would otherwise let old rows (grants, recipients) decide again."""
        problem = self.studio.audit_store.head_problem(keys)
        if problem is not None:
            raise AuditTamperedError(
                f"The audit log of this data folder was tampered with: {problem} Nothing can be changed or opened "
                "until an administrator has checked it (`studio audit verify`, or Verify in the Audit log pane) and "
                "acknowledged the break (`studio audit reseal --acknowledge`, or Acknowledge in the pane).")

    def check(self, actor: Actor, action: str, obj_type: str | None = None, obj_id: object = None,
              **details: Any) -> None:
        """Raise AccessDenied (and record the denial) unless the policy allows; record nothing otherwise."""
        oid = None if obj_id is None else str(obj_id)
        with self.studio.db.session() as session:
            self.bind(session, actor)
            self.studio.db.verify_schema(session)
            decision = policy.decide(session, actor, action, obj_type, oid)
            name = None if decision.allowed else policy.object_name(session, obj_type, oid)
        if not decision.allowed:
            self._record(actor, action, obj_type, oid, "denied", {**_named(details, name), "reason": decision.reason})
            what = f"{action} on {obj_type} {oid}" if oid is not None else action
            raise AccessDenied(f"{_name(actor)} may not do {what}: {decision.reason}.", action, obj_type, oid,
                               decision.reason)

    def can(self, actor: Actor, action: str, obj_type: str | None = None, obj_id: object = None) -> bool:
        """The policy's answer without recording anything: for greying out what the user may not do."""
        with self.studio.db.session() as session:
            self.bind(session, actor)
            return policy.decide(session, actor, action, obj_type, None if obj_id is None else str(obj_id)).allowed

    # -- recording outside the change's transaction ------------------------------------------------------
    def _record(self, actor: object, action: str, obj_type: str | None, obj_id: str | None, outcome: str,
                details: dict[str, Any]) -> None:
        """Append one entry in its own durable transaction (denials, failures)."""
        self.studio.audit_store.record(
            actor_id=getattr(actor, "user_id", None), actor_name=_name(actor), action=action, obj_type=obj_type,
            obj_id=obj_id, outcome=outcome, details=details, keys=audit_keys_of(actor),
        )

    def _record_failure(self, actor: object, action: str, ctx: OperationContext | None, obj_type: str | None,
                        oid: str | None, details: dict[str, Any], error: BaseException) -> None:
        info = dict(ctx.details if ctx is not None else details)
        info["error"] = type(error).__name__
        if isinstance(error, StudioError):
            info["message"] = str(error)[:500]
        try:
            self._record(actor, action, ctx.obj_type if ctx else obj_type, ctx.obj_id if ctx else oid, "failed", info)
        except StudioError as record_error:
            # The operation failed anyway and nothing of it was committed; say so in the log, keep the cause.
            log.error("could not record the failure of %s in the audit log: %s", action, record_error)
