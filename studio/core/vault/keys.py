"""The two things the vault needs from the accounts code, as protocols.

- KeySession: the acting, logged-in session (studio.core.security.UserSession). It duck-types
  studio.core.actor.Actor and hands over the user's X25519 private key while it is unlocked; when it is
  locked (or it is a plain Actor with no key at all) the vault refuses everything: locked means locked.
- KeyDirectory: who else exists (studio.core.services.vault.directory.AccountDirectory reads the accounts'
  tables): any user's X25519 public key by user id, the administrators (the holders of the vault's recovery
  key), user ids by name (for `bundle --to NAME`) and names by id (for display). Every method reads on the
  session of the operation it serves, so that it sees that transaction's own changes (the new key pair of
  a password reset, a role just changed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy.orm import Session

from studio.core.messages import msg
from studio.core.vault.errors import VaultLockedError


@runtime_checkable
class KeySession(Protocol):
    user_id: int | None
    user_name: str
    role: str

    @property
    def is_admin(self) -> bool: ...

    def private_key(self) -> X25519PrivateKey:
        """The user's X25519 private key; raises when the session is locked or logged out."""
        ...


@runtime_checkable
class KeyDirectory(Protocol):
    def public_key(self, session: Session, user_id: int) -> bytes:
        """The user's raw 32-byte X25519 public key; raises NotFoundError for an unknown user."""
        ...

    def admin_user_ids(self, session: Session) -> Sequence[int]:
        """Every administrator (they hold the recovery key)."""
        ...

    def user_id(self, session: Session, name: str) -> int:
        """The id of the user with this name; raises NotFoundError."""
        ...

    def user_name(self, session: Session, user_id: int) -> str:
        """The name of a user (for display); raises NotFoundError."""
        ...


LOCKED_MESSAGE = msg("The vault is locked: log in (or unlock your session) to use it.")


def private_key_of(actor: Any) -> X25519PrivateKey:
    """The acting session's private key, or VaultLockedError. A plain Actor (no key at all), a session
    whose private_key() raises, or one that returns something else, are all locked."""
    getter = getattr(actor, "private_key", None)
    if getter is None or getattr(actor, "user_id", None) is None:
        raise VaultLockedError(LOCKED_MESSAGE)
    try:
        key = getter()
    except Exception as error:  # noqa: BLE001 - whatever the session raises, it means "no key now"
        raise VaultLockedError(LOCKED_MESSAGE) from error
    if not isinstance(key, X25519PrivateKey):
        raise VaultLockedError(LOCKED_MESSAGE)
    return key
