"""The project's own exceptions. Every message is written for the user: it says what went wrong and,
where it can, what to do. The GUI shows `studio.gui.i18n.error_text(error)` (translated where the message is
a `msg(...)`); the CLI prints `str(error)` as one line on stderr."""

from __future__ import annotations

from studio.core.messages import Message


class StudioError(Exception):
    """Base of every error the studio reports to a user. The message may be a plain string or a
    `studio.core.messages.Message` (translatable by the GUI: `error.message`); `str(error)` is English."""

    exit_code = 1

    def __init__(self, message: str | Message = "", *args: object):
        self.message: Message | None = message if isinstance(message, Message) else None
        super().__init__(str(message), *args)


class ValidationError(StudioError):
    """Bad input from the user (a setting, a file, a name)."""

    def __init__(self, message: str | Message, field: str | None = None):
        super().__init__(message)
        self.field = field


class NotFoundError(StudioError):
    """Something named by the user does not exist."""


class ConflictError(StudioError):
    """The operation clashes with existing state (a name already taken, an object still in use)."""

    def __init__(self, message: str | Message, field: str | None = None):
        super().__init__(message)
        self.field = field  # the setting to change (a name already taken: "name"), where there is one


class Cancelled(StudioError):
    """Long work stopped because the user asked it to."""


class DatabaseError(StudioError):
    """The database refused or failed an operation."""


class DatabaseBusyError(DatabaseError):
    """The database stayed locked by another process for longer than the busy timeout."""


class SchemaTooNewError(DatabaseError):
    """The database was made by a newer version of Model Studio."""

    exit_code = 3


class AccessDenied(StudioError):
    """The policy refused an operation. The denial is in the audit log; nothing was changed."""

    exit_code = 4

    def __init__(self, message: str | Message, action: str = "", obj_type: str | None = None, obj_id: str | None = None,
                 reason: str = ""):
        super().__init__(message)
        self.action, self.obj_type, self.obj_id, self.reason = action, obj_type, obj_id, reason


class AuthenticationError(StudioError):
    """A login failed: wrong name or password (one message for both), a disabled or locked account."""

    exit_code = 5


class AccountLockedError(AuthenticationError):
    """Too many failed logins in a row: an administrator must unlock the account."""


class LoginThrottledError(AuthenticationError):
    """Failed logins slow the next attempt down; this one came too early."""

    def __init__(self, message: str | Message, retry_after_s: float):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class SessionLockedError(StudioError):
    """The session was locked or logged out: its keys are no longer in memory."""

    exit_code = 5


class AuditWriteError(StudioError):
    """The audit entry could not be written, so the operation was not done (the log fails closed)."""


class IntegrityError(StudioError):
    """Stored security data (a wrapped key, the audit chain) failed its authentication check."""


class AuditTamperedError(IntegrityError):
    """The audit chain cannot be continued from its head anchor (entries deleted or replaced, the anchor
    altered or missing): nothing may change until an administrator checked and acknowledged the break."""
