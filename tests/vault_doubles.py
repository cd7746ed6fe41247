"""Test doubles for what the vault needs from the accounts code (studio.core.vault.keys):

- KeyedSession: a logged-in session with an X25519 key pair that can be locked (duck-types Actor);
- FakeDirectory: users' public keys by id, the administrators, ids by name;
- `vault_keys` fixture: `keys(actor)` attaches a key pair to a plain Actor from the `admin`/`make_user`
  fixtures and publishes it in the studio's directory; `keys.admin` is the keyed `admin`.

MERGE (accounts): with real sessions from the accounts code, `keys(actor)` can return the actor as is and
the fixture can set studio.vault.directory to the accounts' directory; the tests do not change.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from studio.core.errors import NotFoundError
from studio.core.vault.wrap import raw_private, raw_public


class KeyedSession:
    def __init__(self, user_id: int, user_name: str, role: str, key: X25519PrivateKey | None = None):
        self.user_id, self.user_name, self.role = user_id, user_name, role
        self.key = key or X25519PrivateKey.generate()
        self.locked = False

    @classmethod
    def from_actor(cls, actor, key: X25519PrivateKey | None = None) -> KeyedSession:
        return cls(actor.user_id, actor.user_name, actor.role, key)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def private_key(self) -> X25519PrivateKey:
        if self.locked:
            raise PermissionError("the session is locked")
        return self.key

    @property
    def public_raw(self) -> bytes:
        return raw_public(self.key)

    def secret_hex(self) -> str:
        return raw_private(self.key).hex()


class FakeDirectory:
    def __init__(self):
        self.sessions: dict[int, KeyedSession] = {}

    def add(self, session: KeyedSession) -> KeyedSession:
        self.sessions[session.user_id] = session
        return session

    def public_key(self, user_id: int) -> bytes:
        if user_id not in self.sessions:
            raise NotFoundError(f"no user {user_id}")
        return self.sessions[user_id].public_raw

    def admin_user_ids(self) -> list[int]:
        return sorted(i for i, s in self.sessions.items() if s.is_admin)

    def user_id(self, name: str) -> int:
        for uid, s in self.sessions.items():
            if s.user_name == name:
                return uid
        raise NotFoundError(f"no user called {name}")

    def user_name(self, user_id: int) -> str:
        if user_id not in self.sessions:
            raise NotFoundError(f"no user {user_id}")
        return self.sessions[user_id].user_name


class Keys:
    def __init__(self, studio, admin):
        self.directory = FakeDirectory()
        studio.vault.directory = self.directory
        studio.vault.chunk_size = 256  # small chunks: many of them even in tiny test files
        self.admin = self(admin)

    def __call__(self, actor, key: X25519PrivateKey | None = None) -> KeyedSession:
        return self.directory.add(KeyedSession.from_actor(actor, key))


@pytest.fixture
def vault_keys(studio, admin):
    return Keys(studio, admin)
