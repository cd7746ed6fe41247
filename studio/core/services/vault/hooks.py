"""How the vault follows the accounts, inside the accounts' own transactions (studio.core.security.events):

- a grant on a model added        -> its keys are wrapped for the holder
- a grant on a model revoked      -> if it was the holder's last one: their wraps go and the model is rotated
- an administrator's password reset of a user -> their keys are re-wrapped to the new key pair
- a user becomes / stops being an administrator -> the recovery key is wrapped for them / forgotten

Encrypted datasets hold their keys the same way (one data key per dataset, wrapped for its owner, its
grantees and the recovery key), so grants on "dataset:ID" and password resets reach the dataset service
here too: `attach(service, "dataset")` makes it the holder of that object type's keys. It provides the same
three calls as the vault: grant_added(session, actor, id, user_id), grant_revoked(session, actor, id,
user_id, state) and key_reset(session, actor, user_id).

The listeners are module-level (registered once, at import); each finds the service of the data folder the
session belongs to by the session's engine. Everything happens on the accounts' session: no nested
operation (SQLite has one writer), and an error undoes the accounts' change too.

The policy learns here what a "model" is: its owner, and whether it exists.
"""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from studio.core.db.tables.vault import VaultModelRow
from studio.core.security import events, policy
from studio.core.services.vault.access import current_call

_SERVICES: weakref.WeakKeyDictionary[Any, dict[str, weakref.ref]] = weakref.WeakKeyDictionary()


def attach(service: Any, obj_type: str = "model") -> None:
    """Make `service` the holder of the keys of `obj_type` objects (the vault: "model") that hooks on its
    database's sessions talk to."""
    _SERVICES.setdefault(service.studio.db.engine, {})[obj_type] = weakref.ref(service)


def _service_for(session: Session, obj_type: str = "model") -> Any:
    ref = _SERVICES.get(session.get_bind(), {}).get(obj_type)
    return None if ref is None else ref()


def _holders(session: Session) -> list[Any]:
    """Every key-holding service of this data folder: the vault first (its recovery key), then the others."""
    refs = _SERVICES.get(session.get_bind(), {})
    order = sorted(refs, key=lambda t: t != "model")
    return [s for s in (refs[t]() for t in order) if s is not None]


def _int_id(obj_id: str) -> int | None:
    return int(obj_id) if obj_id.isdigit() else None


def _owner_of(session: Session, obj_id: str) -> int | None:
    model_id = _int_id(obj_id)
    if model_id is None:
        return None
    return session.scalar(select(VaultModelRow.owner_id).where(VaultModelRow.id == model_id))


def _exists(session: Session, obj_id: str) -> bool:
    model_id = _int_id(obj_id)
    return model_id is not None and session.get(VaultModelRow, model_id) is not None


def _on_grant_changed(session: Session, actor: Any, event: str, grant: Any) -> None:
    obj_id = _int_id(grant.obj_id)
    holder = _service_for(session, grant.obj_type) if obj_id is not None else None
    if holder is None:
        return
    call = current_call()
    if event == "added":
        wrapped = holder.grant_added(session, actor, obj_id, grant.user_id)
        if call is not None:
            call.keys += wrapped
    elif event == "revoked":
        rotated = holder.grant_revoked(session, actor, obj_id, grant.user_id, call.state if call else None)
        if call is not None:
            call.rotated += rotated


def _on_key_reset(session: Session, actor: Any, user_id: int) -> None:
    for holder in _holders(session):
        holder.key_reset(session, actor, user_id)


def _on_role_changed(session: Session, actor: Any, user_id: int, old: str | None, new: str) -> None:
    vault = _service_for(session)
    if vault is not None:
        vault.role_changed(session, actor, user_id, old, new)


def _name_of(session: Session, obj_id: str) -> str | None:
    model_id = _int_id(obj_id)
    return None if model_id is None else session.scalar(select(VaultModelRow.name).where(VaultModelRow.id == model_id))


policy.register_object_type("model", owner_of=_owner_of, exists=_exists, name_of=_name_of)
events.on_grant_changed(_on_grant_changed)
events.on_key_reset(_on_key_reset)
events.on_role_changed(_on_role_changed)
