"""The one policy function: may this actor do this operation on this object?

    decide(session, actor, action, obj_type, obj_id) -> Decision

It reads the actor's account afresh (a role change or a disabled account takes effect at once, whatever
the session object says), then applies, in order:

1. the actor must be a logged-in UserSession (or studio.core.actor.SYSTEM, the studio's own in-process
   work), not locked, of an active account, holding the account's current key pair (a session opened
   before an administrator's password reset is refused); or an ApiKeyActor (a request to `studio serve`)
   whose key row is authentic, unrevoked and unexpired, of an active account, for an operation open to
   keys (`OpSpec.by_key`);
2. the role must be one the catalogue (studio.core.operations) lists for the operation;
3. an operation without an object (create, import, list) is then allowed: list operations filter what they
   return with `permission_on` / `visible_ids`;
4. an administrator may do it; so may the object's owner;
5. otherwise the actor needs the operation's grant on the object (use < export < manage: a higher grant
   includes the lower ones), either directly or, for reading only, on an object it is implied by (a run is
   implied by its model and dataset: a grant on either lets the holder read the run).

Other domains own their tables; they tell the policy about their objects once, at import time:

    register_object_type("dataset", owner_of=lambda session, obj_id: ...,      # user id or None
                         implied_by=lambda session, obj_id: [("model", 3)])    # optional
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from studio.core.db.tables.accounts import GrantRow, UserRow
from studio.core.db.tables.api_keys import ApiKeyRow
from studio.core.operations import OPERATIONS
from studio.core.security import rowauth
from studio.core.security.apikeys import ApiKeyActor, row_problem
from studio.core.security.session import UserSession, acl_keys_of

PERMISSIONS = ("use", "export", "manage")  # each includes the ones before it
GRANTABLE_TYPES = ("model", "dataset")
_LEVEL = {p: i for i, p in enumerate(PERMISSIONS)}

OwnerOf = Callable[[Session, str], int | None]
ImpliedBy = Callable[[Session, str], Iterable[tuple[str, object]]]
Exists = Callable[[Session, str], bool]
NameOf = Callable[[Session, str], str | None]


@dataclass(frozen=True)
class ObjectType:
    name: str
    owner_of: OwnerOf | None
    implied_by: ImpliedBy | None
    exists: Exists | None
    name_of: NameOf | None = None


_REGISTRY: dict[str, ObjectType] = {}


def register_object_type(obj_type: str, owner_of: OwnerOf | None = None, implied_by: ImpliedBy | None = None,
                         exists: Exists | None = None, name_of: NameOf | None = None) -> None:
    """Tell the policy how to find an object's owner (a user id, or None) and the objects it is implied by.
    `exists` defaults to "has an owner". `name_of` gives the object's name, which every audit entry about it
    records beside its id. Registering a type again replaces it."""
    _REGISTRY[obj_type] = ObjectType(obj_type, owner_of, implied_by, exists, name_of)


def object_name(session: Session, obj_type: str | None, obj_id: str | None) -> str | None:
    """The object's name as its type reports it, or None (no such object, or a type without names)."""
    spec = _REGISTRY.get(obj_type or "")
    if spec is None or spec.name_of is None or obj_id is None:
        return None
    return spec.name_of(session, obj_id)


def object_type(obj_type: str) -> ObjectType | None:
    return _REGISTRY.get(obj_type)


def object_exists(session: Session, obj_type: str, obj_id: str) -> bool:
    spec = _REGISTRY.get(obj_type)
    if spec is None:
        return False
    rowauth.verify(session, rowauth.scope_name(obj_type, obj_id))  # a row made outside the studio is no object
    if spec.exists is not None:
        return bool(spec.exists(session, obj_id))
    return spec.owner_of is not None and spec.owner_of(session, obj_id) is not None


def _user_name(session: Session, obj_id: str) -> str | None:
    row = session.get(UserRow, int(obj_id)) if obj_id.isdigit() else None
    return None if row is None else row.name


register_object_type("user", owner_of=lambda s, oid: int(oid) if oid.isdigit() else None,
                     exists=lambda s, oid: oid.isdigit() and s.get(UserRow, int(oid)) is not None,
                     name_of=_user_name)


KEY_REFUSALS = ("missing", "tampered", "revoked", "expired", "voided")  # Decision.code of a key that may not act


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    code: str = ""  # for API keys: one of KEY_REFUSALS when the key itself is refused (HTTP 401, not 403)

    def __bool__(self) -> bool:
        return self.allowed


def _user_of(session: Session, actor: object) -> UserRow | None:
    user_id = getattr(actor, "user_id", None)
    return None if user_id is None else _verified_user(session, user_id)


def _verified_user(session: Session, user_id: int) -> UserRow | None:
    # what an account's row says (role, status, public key) is believed only once it verified
    rowauth.verify(session, rowauth.scope_name("user", user_id))
    return session.get(UserRow, user_id)


def _verify_object(session: Session, obj_type: str, obj_id: str) -> None:
    """The object's access rows (its owner, the grants on it) must verify before any of them is read."""
    if obj_type != "user":
        rowauth.verify(session, rowauth.scope_name(obj_type, obj_id))


def decide(session: Session, actor: object, action: str, obj_type: str | None, obj_id: object) -> Decision:
    spec = OPERATIONS.get(action)
    if spec is None:
        raise ValueError(f"unknown operation {action!r}: add it to studio.core.operations")
    oid = None if obj_id is None else str(obj_id)
    if getattr(actor, "role", None) == "system" and getattr(actor, "user_id", 0) is None:
        return Decision(True, "the studio itself")
    code = ""
    rowauth.ensure_bound(session, acl_keys_of(actor), getattr(actor, "user_id", None))
    if isinstance(actor, ApiKeyActor):
        user, refusal, code = _key_user(session, actor, spec)
    elif isinstance(actor, UserSession):
        user, refusal = _session_user(session, actor)
    else:
        return Decision(False, "not a logged-in session")
    if refusal is not None:
        return Decision(False, refusal, code)
    assert user is not None
    if user.role not in spec.roles:
        return Decision(False, f"the {user.role} role may not {spec.description}")
    if oid is None or obj_type is None:
        return Decision(True, f"the {user.role} role may {spec.description}")
    if user.role == "admin":
        return Decision(True, "administrator")
    if obj_type == "user":
        return _decide_on_user(user, action, oid)
    if owner_of(session, obj_type, oid) == user.id:
        return Decision(True, "owner")
    if spec.grant is None:
        return Decision(False, f"only the owner or an administrator may {spec.description}")
    have = permission_on(session, user.id, obj_type, oid)
    if have is not None and _LEVEL[have] >= _LEVEL[spec.grant]:
        return Decision(True, f"{have} grant")
    needed = spec.grant
    return Decision(False, f"needs the {needed} grant on {obj_type} {oid}" + (f" (has {have})" if have else ""))


def _session_user(session: Session, actor: UserSession) -> tuple[UserRow | None, str | None]:
    if actor.locked:
        return None, "the session is locked"
    raw = session.get(UserRow, actor.user_id) if actor.user_id is not None else None
    if raw is None:
        return None, "not logged in as a known user"
    if bytes(raw.public_key) != actor.public_key:  # a refusal may rest on what the row says; a "yes" may not
        return None, "the account's keys were replaced by a password reset; log in again"
    if acl_keys_of(actor) is None:
        return None, "the session holds no audit key, which the access rows are checked with; log in again"
    user = _user_of(session, actor)
    if user is None:
        return None, "not logged in as a known user"
    if user.disabled:
        return None, "the account is disabled"
    if bytes(user.public_key) != actor.public_key:
        return None, "the account's keys were replaced by a password reset; log in again"
    return user, None


def _key_user(session: Session, actor: ApiKeyActor, spec) -> tuple[UserRow | None, str | None, str]:
    """An API key acts as its user, for the operations open to keys only, while its row is authentic,
    unrevoked and unexpired, its user active and holding the key generation the key was made under (an
    administrator's password reset voids the user's keys with the rest of their access)."""
    if not spec.by_key:
        return None, f"an API key may not {spec.description}", ""
    row = session.get(ApiKeyRow, actor.key_id)
    if row is not None:
        try:
            rowauth.verify(session, rowauth.scope_name("apikey", row.id))
        except rowauth.TamperedRowError as error:
            return None, str(error), "tampered"
    problem = row_problem(row, actor.authority)
    if problem is not None:
        return None, problem[1], problem[0]
    assert row is not None
    if row.user_id != actor.user_id:
        return None, "the API key belongs to another user", "tampered"
    user = _verified_user(session, row.user_id)
    if user is None:
        return None, "the API key's user no longer exists", "missing"
    if user.key_generation != row.key_generation:
        return None, "the account's password was reset after the API key was made; make a new key", "voided"
    if user.disabled:
        return None, "the account is disabled", ""
    return user, None, ""


def _decide_on_user(user: UserRow, action: str, oid: str) -> Decision:
    # Non-administrators act on user accounts only for themselves (change their own password, list their
    # own grants, log out); the catalogue already keeps user management to administrators.
    if oid == str(user.id):
        return Decision(True, "own account")
    return Decision(False, "only administrators act on other users' accounts")


def owner_of(session: Session, obj_type: str, obj_id: str) -> int | None:
    spec = _REGISTRY.get(obj_type)
    if spec is None or spec.owner_of is None:
        return None
    _verify_object(session, obj_type, obj_id)
    return spec.owner_of(session, obj_id)


def permission_on(session: Session, user_id: int, obj_type: str, obj_id: str, depth: int = 0) -> str | None:
    """The highest permission `user_id` holds on the object: its own grants, ownership ("manage"), and, at
    "use" level at most, grants or ownership on the objects it is implied by."""
    _verify_object(session, obj_type, obj_id)
    if owner_of(session, obj_type, obj_id) == user_id:
        return "manage"
    rows = session.scalars(
        select(GrantRow.permission).where(GrantRow.user_id == user_id, GrantRow.obj_type == obj_type,
                                          GrantRow.obj_id == obj_id)
    ).all()
    best = max(rows, key=_LEVEL.__getitem__, default=None)
    if best is not None or depth >= 3:
        return best
    spec = _REGISTRY.get(obj_type)
    if spec is not None and spec.implied_by is not None:
        for other_type, other_id in spec.implied_by(session, obj_id):
            if other_id is not None and permission_on(session, user_id, other_type, str(other_id), depth + 1):
                return "use"
    return None


def visible_ids(session: Session, actor: object, obj_type: str, ids: Iterable[object]) -> list[object]:
    """The subset of `ids` the actor may see (administrators see everything; others own or hold a grant,
    direct or implied). For list operations, which check the role with the door and filter with this."""
    rowauth.ensure_bound(session, acl_keys_of(actor), getattr(actor, "user_id", None))
    user = _user_of(session, actor)
    if user is None or user.disabled:
        return []
    if user.role == "admin":
        return list(ids)
    return [i for i in ids if permission_on(session, user.id, obj_type, str(i)) is not None]


def level(permission: str) -> int:
    return _LEVEL[permission]
