"""How the policy knows runs: their owner, and the objects a run is implied by (its dataset, the model it
was fine-tuned from, the vault model that holds its checkpoints), so that a grant on any of these lets the
holder read the run (see docs/architecture.md, "Accounts contract")."""

from __future__ import annotations

from sqlalchemy.orm import Session

from studio.core.db.tables.runs import RunRow
from studio.core.security import register_object_type


def _row(session: Session, obj_id: str) -> RunRow | None:
    return session.get(RunRow, int(obj_id)) if obj_id.isdigit() else None


def _owner(session: Session, obj_id: str) -> int | None:
    row = _row(session, obj_id)
    return None if row is None else row.owner_id


def _implied(session: Session, obj_id: str) -> list[tuple[str, object]]:
    row = _row(session, obj_id)
    if row is None:
        return []
    out: list[tuple[str, object]] = []
    if row.dataset_id is not None:
        out.append(("dataset", row.dataset_id))
    for model in (row.source_model_id, row.checkpoint_model_id):
        if model is not None:
            out.append(("model", model))
    return out


def register() -> None:
    register_object_type("run", owner_of=_owner, implied_by=_implied, exists=lambda s, oid: _row(s, oid) is not None,
                         name_of=lambda s, oid: getattr(_row(s, oid), "name", None))
