"""Grants: use, export or manage on one model or dataset, given by its owner, an administrator or a holder
of manage. The vault learns of each change inside the same transaction (security.events.on_grant_changed)
so that it can seal the object's key to the new holder, or drop it."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from studio.core import operations as ops
from studio.core.db.tables.accounts import GrantRow
from studio.core.errors import ConflictError, NotFoundError, ValidationError
from studio.core.messages import msg
from studio.core.security import events, policy
from studio.core.services.base import Service
from studio.core.stores.accounts import Grant, grant_rows, require_user_row, to_grant


def parse_object(text: str) -> tuple[str, str]:
    """"model:12" -> ("model", "12")."""
    obj_type, sep, obj_id = (text or "").partition(":")
    if not sep or not obj_type or not obj_id:
        raise ValidationError(msg("Name an object as TYPE:ID, e.g. model:12 (got {text!r}).", text=text), field="object")
    return obj_type, obj_id


def _check(obj_type: str, permission: str) -> None:
    if permission not in policy.PERMISSIONS:
        raise ValidationError(msg("Unknown permission {permission!r}; choose one of {value}.", permission=permission, value=', '.join(policy.PERMISSIONS)),
                              field="permission")
    if obj_type not in policy.GRANTABLE_TYPES:
        raise ValidationError(msg("Grants are given on {value} objects, not {obj_type!r}.", value=' and '.join(policy.GRANTABLE_TYPES), obj_type=obj_type),
                              field="object")


def _named(s, grant: Grant) -> Grant:
    """The grant with its object's name, so that lists say "shakespeare-gpt", not "model:2"."""
    return dataclasses.replace(grant, obj_name=policy.object_name(s, grant.obj_type, grant.obj_id))


class GrantService(Service):
    def add(self, actor, user_name: str, obj_type: str, obj_id: object, permission: str) -> Grant:
        _check(obj_type, permission)
        oid = str(obj_id)
        with self.operation(actor, ops.GRANT_ADD, obj_type, oid, user=user_name, permission=permission) as op:
            s = op.session
            if not policy.object_exists(s, obj_type, oid):
                raise NotFoundError(msg("There is no {obj_type} {oid}.", obj_type=obj_type, oid=oid))
            user = require_user_row(s, user_name)
            op.details["user_id"] = user.id
            if user.role == "viewer" and permission != "use":
                raise ValidationError(msg("A viewer can only be given 'use' (the viewer role never exports or manages)."),
                                      field="permission")
            existing = s.scalar(select(GrantRow).where(
                GrantRow.user_id == user.id, GrantRow.obj_type == obj_type, GrantRow.obj_id == oid,
                GrantRow.permission == permission))
            if existing is not None:
                raise ConflictError(msg("{name} already has {permission} on {obj_type} {oid}.", name=user.name, permission=permission, obj_type=obj_type, oid=oid))
            row = GrantRow(user_id=user.id, obj_type=obj_type, obj_id=oid, permission=permission,
                           granted_by=getattr(actor, "user_id", None), granted_at=self.studio.accounts.now())
            s.add(row)
            s.flush()
            grant = to_grant(row, user.name)
            events.grant_changed(s, actor, "added", grant)
            return _named(s, grant)

    def revoke(self, actor, user_name: str, obj_type: str, obj_id: object, permission: str) -> Grant:
        _check(obj_type, permission)
        oid = str(obj_id)
        with self.operation(actor, ops.GRANT_REVOKE, obj_type, oid, user=user_name, permission=permission) as op:
            s = op.session
            user = require_user_row(s, user_name)
            op.details["user_id"] = user.id
            row = s.scalar(select(GrantRow).where(
                GrantRow.user_id == user.id, GrantRow.obj_type == obj_type, GrantRow.obj_id == oid,
                GrantRow.permission == permission))
            if row is None:
                raise NotFoundError(msg("{name} has no {permission} grant on {obj_type} {oid}.", name=user.name, permission=permission, obj_type=obj_type, oid=oid))
            grant = _named(s, to_grant(row, user.name))
            s.delete(row)
            s.flush()
            events.grant_changed(s, actor, "revoked", grant)
            return grant

    def list(self, actor, user_name: str | None = None, obj_type: str | None = None,
             obj_id: object = None) -> list[Grant]:
        """Grants of one user, or on one object, or (administrators) all. Non-administrators see their own
        grants and the grants on objects they own or manage."""
        oid = None if obj_id is None else str(obj_id)
        with self.studio.db.session() as s:
            user_id = require_user_row(s, user_name).id if user_name else None
        if oid is not None and obj_type is not None:
            self.check(actor, ops.GRANT_LIST, obj_type, oid)
        elif user_id is not None:
            self.check(actor, ops.GRANT_LIST, "user", user_id)
        elif not getattr(actor, "is_admin", False):
            user_id = getattr(actor, "user_id", None)
            self.check(actor, ops.GRANT_LIST, "user", user_id)
        else:
            self.check(actor, ops.GRANT_LIST)
        with self.studio.db.session() as s:
            return [_named(s, g) for g in grant_rows(s, user_id, obj_type, oid)]
