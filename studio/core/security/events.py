"""Hooks for the domains that hold keys for users (the vault): they run inside the transaction of the
accounts change, so that an error in a hook undoes the change.

    on_grant_changed(fn)   fn(session, actor, event, grant)   event: "added" or "revoked"; grant: Grant
    on_key_reset(fn)       fn(session, actor, user_id)        an administrator gave the user a new key pair;
                                                              whatever was sealed to the old one is lost
    on_role_changed(fn)    fn(session, actor, user_id, old, new)  a user's role changed (old is None for a
                                                              new user): the vault's recovery key follows "admin"
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

GrantListener = Callable[[Any, Any, str, Any], None]
KeyResetListener = Callable[[Any, Any, int], None]
RoleListener = Callable[[Any, Any, int, "str | None", str], None]

_grant_listeners: list[GrantListener] = []
_key_reset_listeners: list[KeyResetListener] = []
_role_listeners: list[RoleListener] = []


def on_grant_changed(fn: GrantListener) -> GrantListener:
    if fn not in _grant_listeners:
        _grant_listeners.append(fn)
    return fn


def on_key_reset(fn: KeyResetListener) -> KeyResetListener:
    if fn not in _key_reset_listeners:
        _key_reset_listeners.append(fn)
    return fn


def on_role_changed(fn: RoleListener) -> RoleListener:
    if fn not in _role_listeners:
        _role_listeners.append(fn)
    return fn


def grant_changed(session: Any, actor: Any, event: str, grant: Any) -> None:
    for fn in list(_grant_listeners):
        fn(session, actor, event, grant)


def key_reset(session: Any, actor: Any, user_id: int) -> None:
    for fn in list(_key_reset_listeners):
        fn(session, actor, user_id)


def role_changed(session: Any, actor: Any, user_id: int, old: str | None, new: str) -> None:
    for fn in list(_role_listeners):
        fn(session, actor, user_id, old, new)
