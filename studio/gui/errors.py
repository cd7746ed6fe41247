"""Unexpected exceptions in the GUI: logged with their traceback, shown to the user as a short dialog
that names the log file. The window stays alive."""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

from studio.core.errors import StudioError
from studio.gui.i18n import error_text

log = logging.getLogger("studio.gui")


def show_error(parent, title: str, error: BaseException | str) -> None:
    """A clear message for an expected failure (a StudioError): no traceback, just what to do."""
    QMessageBox.warning(parent, title, error_text(error))


class _Relay(QObject):
    # Exceptions from worker threads are shown on the GUI thread.
    sig_exception_raised = Signal(str)


class CrashReporter:
    def __init__(self, log_file: Path):
        self.log_file = log_file
        self._relay = _Relay()
        self._relay.sig_exception_raised.connect(self._show, Qt.ConnectionType.QueuedConnection)
        self._showing = False

    def install(self) -> None:
        sys.excepthook = self._hook
        threading.excepthook = lambda a: self._hook(a.exc_type, a.exc_value, a.exc_traceback)

    def _hook(self, exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            QCoreApplication.quit()
            return
        log.error("unexpected error", exc_info=(exc_type, exc, tb))
        short = error_text(exc) if isinstance(exc, StudioError) else f"{exc_type.__name__}: {exc}"
        self._relay.sig_exception_raised.emit(short[:500])

    def _show(self, short: str) -> None:
        if self._showing or QApplication.instance() is None:
            return
        self._showing = True
        try:
            QMessageBox.critical(
                QApplication.activeWindow(),
                QCoreApplication.translate("CrashReporter", "Something went wrong"),
                QCoreApplication.translate(
                    "CrashReporter", "{error}\n\nThe details are in the log file:\n{path}"
                ).format(error=short, path=str(self.log_file)),
            )
        finally:
            self._showing = False
