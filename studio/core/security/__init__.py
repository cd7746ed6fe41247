"""Users, roles, grants, login throttling and the audit chain (the accounts contract, docs/architecture.md).

- `UserSession`: a logged-in user (duck-types studio.core.actor.Actor) holding the user's X25519 private key;
  `private_key()` raises SessionLockedError after `lock()`.
- `public_key_of(session, user_id)` (inside an operation) or `studio.accounts.public_key(user_id)`: any user's
  X25519 public key, raw 32 bytes. `seal(public, secret, aad)` / `UserSession.open_sealed(blob, aad)`.
- `register_object_type(...)`: how the policy learns an object's owner and the objects it is implied by.
- `events.on_grant_changed` / `events.on_key_reset` / `events.on_role_changed`: hooks for the vault, inside the
  accounts transaction.
"""

from studio.core.security.events import on_grant_changed, on_key_reset, on_role_changed
from studio.core.security.keys import open_sealed, seal
from studio.core.security.policy import register_object_type
from studio.core.security.session import UserSession
from studio.core.stores.accounts import public_key_of

__all__ = [
    "UserSession",
    "on_grant_changed",
    "on_key_reset",
    "on_role_changed",
    "open_sealed",
    "public_key_of",
    "register_object_type",
    "seal",
]
