"""The shape of every service operation: check access, do the work, record it.

    with self.operation(actor, ops.DATASET_DELETE, "dataset", dataset_id) as op:
        row = op.session.get(DatasetRow, dataset_id)
        ...
        op.details["name"] = row.name

`operation()` asks the one policy function before anything happens (a denial is audited and raises
AccessDenied), yields an OperationContext whose `session` is the SQLAlchemy session of the change, and
appends the audit entry in that same transaction, so that the change and its record commit together or
not at all. A failure inside is recorded as outcome "failed" and re-raised.

FOUNDATION STATE: policy and audit arrive with the accounts issue (studio.core.security); until then this
only opens the session scope. Code written against it does not change when they arrive.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from studio.core.actor import Actor
from studio.core.operations import OPERATIONS

if TYPE_CHECKING:
    from studio.core.services.studio import Studio


@dataclass
class OperationContext:
    session: Session
    actor: Actor
    action: str
    obj_type: str | None
    obj_id: str | None
    details: dict[str, Any] = field(default_factory=dict)


class Service:
    def __init__(self, studio: Studio):
        self.studio = studio

    @contextmanager
    def operation(
        self, actor: Actor, action: str, obj_type: str | None = None, obj_id: object = None, **details: Any
    ) -> Iterator[OperationContext]:
        if action not in OPERATIONS:
            raise ValueError(f"unknown operation {action!r}: add it to studio.core.operations")
        with self.studio.db.session() as session:
            yield OperationContext(session, actor, action, obj_type, None if obj_id is None else str(obj_id), dict(details))
