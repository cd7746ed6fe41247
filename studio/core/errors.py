"""The project's own exceptions. Every message is written for the user: it says what went wrong and,
where it can, what to do. The GUI shows `str(error)`; the CLI prints it as one line on stderr."""

from __future__ import annotations


class StudioError(Exception):
    """Base of every error the studio reports to a user."""

    exit_code = 1


class ValidationError(StudioError):
    """Bad input from the user (a setting, a file, a name)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class NotFoundError(StudioError):
    """Something named by the user does not exist."""


class ConflictError(StudioError):
    """The operation clashes with existing state (a name already taken, an object still in use)."""


class Cancelled(StudioError):
    """Long work stopped because the user asked it to."""


class DatabaseError(StudioError):
    """The database refused or failed an operation."""


class DatabaseBusyError(DatabaseError):
    """The database stayed locked by another process for longer than the busy timeout."""


class SchemaTooNewError(DatabaseError):
    """The database was made by a newer version of Model Studio."""

    exit_code = 3
