"""How the vault follows the accounts, inside the accounts' own transactions (studio.core.security.events):

- a grant on a model added        -> its keys are wrapped for the holder
- a grant on a model revoked      -> if it was the holder's last one: their wraps go and the model is rotated
- an administrator's password reset of a user -> their keys are re-wrapped to the new key pair
- a user becomes / stops being an administrator -> the recovery key is wrapped for them / forgotten

The listeners are module-level (registered once, at import); each finds the vault of the data folder the
session belongs to by the session's engine. Everything happens on the accounts' session: no nested
operation (SQLite has one writer), and an error undoes the accounts' change too.

The policy learns here what a "model" is: its owner, and whether it exists.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from studio.core.db.tables.vault import VaultModelRow
from studio.core.security import events, policy
from studio.core.services.vault.access import current_call

if TYPE_CHECKING:
    from studio.core.services.vault.service import VaultService

_SERVICES: weakref.WeakKeyDictionary[Any, weakref.ref] = weakref.WeakKeyDictionary()


def attach(service: VaultService) -> None:
    """Make `service` the vault that hooks on its database's sessions talk to."""
    _SERVICES[service.studio.db.engine] = weakref.ref(service)


def _service_for(session: Session) -> VaultService | None:
    ref = _SERVICES.get(session.get_bind())
    return None if ref is None else ref()


def _model_id(obj_id: str) -> int | None:
    return int(obj_id) if obj_id.isdigit() else None


def _owner_of(session: Session, obj_id: str) -> int | None:
    model_id = _model_id(obj_id)
    if model_id is None:
        return None
    return session.scalar(select(VaultModelRow.owner_id).where(VaultModelRow.id == model_id))


def _exists(session: Session, obj_id: str) -> bool:
    model_id = _model_id(obj_id)
    return model_id is not None and session.get(VaultModelRow, model_id) is not None


def _on_grant_changed(session: Session, actor: Any, event: str, grant: Any) -> None:
    model_id = _model_id(grant.obj_id) if grant.obj_type == "model" else None
    vault = _service_for(session) if model_id is not None else None
    if vault is None:
        return
    call = current_call()
    if event == "added":
        wrapped = vault.grant_added(session, actor, model_id, grant.user_id)
        if call is not None:
            call.keys += wrapped
    elif event == "revoked":
        rotated = vault.grant_revoked(session, actor, model_id, grant.user_id, call.state if call else None)
        if call is not None:
            call.rotated += rotated


def _on_key_reset(session: Session, actor: Any, user_id: int) -> None:
    vault = _service_for(session)
    if vault is not None:
        vault.key_reset(session, actor, user_id)


def _on_role_changed(session: Session, actor: Any, user_id: int, old: str | None, new: str) -> None:
    vault = _service_for(session)
    if vault is not None:
        vault.role_changed(session, actor, user_id, old, new)


policy.register_object_type("model", owner_of=_owner_of, exists=_exists)
events.on_grant_changed(_on_grant_changed)
events.on_key_reset(_on_key_reset)
events.on_role_changed(_on_role_changed)
