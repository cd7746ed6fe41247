"""Who is acting. Every service operation takes the actor so that one policy function can decide and
one audit entry can name them. The accounts code (studio.core.security) builds actors from logged-in
sessions; its session objects also hold the user's unwrapped private key, which this class never does."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("admin", "trainer", "viewer")


@dataclass(frozen=True)
class Actor:
    user_id: int | None  # None only for the system itself (migrations, start-up checks)
    user_name: str
    role: str  # one of ROLES, or "system"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


SYSTEM = Actor(None, "system", "system")
