"""What every pane gets: the open studio (services), the GUI settings, and application-wide signals."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QSettings, Signal

from studio.core.services import Studio


class AppContext(QObject):
    # Emitted when the signed-in user changes (login, logout, lock); carries the new session or None.
    sig_session_changed = Signal(object)
    # Emitted with a short text for the status bar.
    sig_status_message = Signal(str)

    def __init__(self, studio: Studio, settings: QSettings, parent: QObject | None = None):
        super().__init__(parent)
        self.studio = studio
        self.settings = settings
        self.session: Any = None

    @property
    def actor(self) -> Any:
        """Who the panes act as when they call a service.

        FOUNDATION STATE: until accounts arrive (issue 3) this is a local administrator; then it is the
        logged-in session."""
        if self.session is not None:
            return self.session
        from studio.core.actor import Actor

        return Actor(1, "local", "admin")

    def set_session(self, session: Any) -> None:
        self.session = session
        self.sig_session_changed.emit(session)
