"""The vault's view of the accounts: public keys, administrators and names (studio.core.vault.keys.KeyDirectory),
read from the accounts' tables on the session of the operation that asks, so that a change of the same
transaction is seen (an administrator's password reset gives the user a new public key in the transaction
that then re-wraps their model keys to it)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from studio.core.db.tables.accounts import UserRow
from studio.core.errors import NotFoundError
from studio.core.stores.accounts import public_key_of, require_user_row, verified_user


class AccountDirectory:
    """Every answer comes from account rows that verified (security/rowauth.py): a key is never wrapped to a
    public key, nor the recovery key to an "administrator", that someone wrote into studio.db."""

    def public_key(self, session: Session, user_id: int) -> bytes:
        if verified_user(session, user_id) is None:
            raise NotFoundError(f"There is no user with id {user_id}.")
        return public_key_of(session, user_id)

    def admin_user_ids(self, session: Session) -> list[int]:
        # disabled administrators too: their recovery wrap is what lets them back in when enabled again
        ids = list(session.scalars(select(UserRow.id).where(UserRow.role == "admin").order_by(UserRow.id)))
        return [i for i in ids if verified_user(session, i) is not None]

    def is_admin(self, session: Session, user_id: int) -> bool:
        row = verified_user(session, user_id)
        return row is not None and row.role == "admin"

    def user_id(self, session: Session, name: str) -> int:
        return require_user_row(session, name).id

    def user_name(self, session: Session, user_id: int) -> str:
        row = session.get(UserRow, user_id)
        if row is None:
            raise NotFoundError(f"There is no user with id {user_id}.")
        return row.name
