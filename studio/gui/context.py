"""What every pane gets: the open studio (services), the GUI settings, the signed-in session, and
application-wide signals."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QSettings, Signal

from studio.core.errors import SessionLockedError
from studio.core.services import Studio


class AppContext(QObject):
    # Emitted when the signed-in user changes (login, logout, lock); carries the new UserSession or None.
    sig_session_changed = Signal(object)
    # Emitted with a short text for the status bar.
    sig_status_message = Signal(str)

    def __init__(self, studio: Studio, settings: QSettings, parent: QObject | None = None):
        super().__init__(parent)
        self.studio = studio
        self.settings = settings
        self.session: Any = None  # a studio.core.security.UserSession while someone is signed in

    @property
    def actor(self) -> Any:
        """Who the panes act as when they call a service: the signed-in UserSession.

        Raises SessionLockedError while nobody is signed in (the login screen is showing then; a pane's timer
        that may fire meanwhile should check `ctx.session is None` first, or stop on sig_session_changed)."""
        if self.session is None or self.session.locked:
            raise SessionLockedError("Nobody is signed in (the session is locked); sign in again.")
        return self.session

    @property
    def is_admin(self) -> bool:
        return self.session is not None and not self.session.locked and self.session.is_admin

    def set_session(self, session: Any) -> None:
        self.session = session
        self.sig_session_changed.emit(session)

    def end_session(self, lock_only: bool = False) -> None:
        """Log out (or lock): record it, drop the keys from memory, show the login screen."""
        session = self.session
        if session is not None and not session.locked:
            try:
                self.studio.accounts.logout(session, lock_only=lock_only)
            finally:
                session.lock()
        self.set_session(None)
