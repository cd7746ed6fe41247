"""What every pane gets: the open studio (services), the GUI settings, the signed-in session, and
application-wide signals.

The main window owns one `AppContext`; each pane it builds gets its own `PaneContext` over it (a child of
the pane). A pane connects to its context's `sig_session_changed` as it likes (lambdas included): when the
window drops the pane (another user signs in) it detaches that context first, so nothing of the old pane
hears a later login, lock or switch, and the connections go with the pane when Qt deletes it."""

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
    # Emitted after the interface language changed (the new translator is installed): retranslate texts.
    sig_language_changed = Signal(str)

    def __init__(self, studio: Studio, settings: QSettings, parent: QObject | None = None):
        super().__init__(parent)
        self.studio = studio
        self.settings = settings
        self._session: Any = None  # a studio.core.security.UserSession while someone is signed in

    @property
    def session(self) -> Any:
        return self._session

    @property
    def actor(self) -> Any:
        """Who the panes act as when they call a service: the signed-in UserSession.

        Raises SessionLockedError while nobody is signed in (the login screen is showing then; a pane's timer
        that may fire meanwhile should check `ctx.session is None` first, or stop on sig_session_changed)."""
        session = self.session
        if session is None or session.locked:
            raise SessionLockedError("Nobody is signed in (the session is locked); sign in again.")
        return session

    @property
    def is_admin(self) -> bool:
        session = self.session
        return session is not None and not session.locked and session.is_admin

    def set_session(self, session: Any) -> None:
        self._session = session
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

    def for_pane(self) -> PaneContext:
        """A context for one pane: the same studio, settings and session, signals relayed until detached."""
        return PaneContext(self)


class PaneContext(AppContext):
    """One pane's view of the window's context. Session and language changes are relayed from the window's
    context until `detach()`; status messages go up to it. Give it the pane as parent (the main window does),
    so that it and every connection to it are deleted with the pane."""

    def __init__(self, root: AppContext):
        super().__init__(root.studio, root.settings)
        self.root = root
        self.attached = True
        root.sig_session_changed.connect(self._relay_session)
        root.sig_language_changed.connect(self._relay_language)
        self.sig_status_message.connect(root.sig_status_message)

    @property
    def session(self) -> Any:
        return self.root.session

    def set_session(self, session: Any) -> None:
        self.root.set_session(session)

    def end_session(self, lock_only: bool = False) -> None:
        self.root.end_session(lock_only)

    def for_pane(self) -> PaneContext:
        return self.root.for_pane()

    def _relay_session(self, session: Any) -> None:
        if self.attached:
            self.sig_session_changed.emit(session)

    def _relay_language(self, code: str) -> None:
        if self.attached:
            self.sig_language_changed.emit(code)

    def detach(self) -> None:
        """The pane is being dropped: from now on it hears nothing of the window's changes."""
        if not self.attached:
            return
        self.attached = False
        self.root.sig_session_changed.disconnect(self._relay_session)
        self.root.sig_language_changed.disconnect(self._relay_language)
