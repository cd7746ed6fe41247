"""GUI preferences (window geometry, last pane, theme, language) in an INI file inside the data folder,
so that tests and portable data folders never touch the user's global settings."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from studio.core.paths import DataPaths


def gui_settings(paths: DataPaths) -> QSettings:
    return QSettings(str(paths.gui_settings), QSettings.Format.IniFormat)
