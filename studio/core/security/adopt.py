"""A data folder made before access rows were authenticated (security/rowauth.py) has rows but no MACs. The
first administrator who logs in after the upgrade authenticates them as they are, in the transaction of that
login, and the login's audit entry lists what was adopted (the accounts with their roles, how many grants and
objects) for the administrator to check. That is trust on first use: whatever someone changed in the database
before that login is adopted with the rest (docs/threat-model.md says so).

It happens once: the audit head anchor written after it carries, under its tag, that this folder is adopted
(security/anchor.py), and nobody without the audit key can undo that to have forged rows adopted later. New
data folders are adopted from their first administrator on.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from studio.core.db.tables.accounts import GrantRow, UserRow
from studio.core.db.tables.security import AclScopeRow
from studio.core.security import rowauth
from studio.core.security.anchor import AnchorError

log = logging.getLogger(__name__)


def pending(anchors: Any, keys: Any) -> bool:
    """True for a data folder that has never been adopted: its head anchor exists and predates adoption. (No
    anchor, or one that does not verify, is tampering, not an old folder: nothing is adopted then.)"""
    try:
        anchor = anchors.read(keys.anchor_key)
    except AnchorError:
        return False
    return anchor is not None and not anchor.adopted


def unauthenticated(session: Session) -> list[str]:
    return sorted(s for s in rowauth.all_scopes(session) if session.get(AclScopeRow, s) is None)


def adopt_folder(session: Session) -> dict[str, Any]:
    """Authenticate every scope that has rows but no MAC yet; what was adopted, for the audit entry."""
    scopes = unauthenticated(session)
    rowauth.adopt(session, scopes)
    users = [f"{u.name} ({u.role}{', disabled' if u.disabled else ''})"
             for u in session.scalars(select(UserRow).order_by(UserRow.id))]
    grants = session.scalar(select(func.count()).select_from(GrantRow)) or 0
    log.warning("adopted the access rows of %d objects as they were found (first administrator login after an "
                "upgrade)", len(scopes))
    return {"scopes": len(scopes), "users": users, "grants": int(grants),
            "note": "access rows authenticated as found; check the users and grants"}
