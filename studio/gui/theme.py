"""Light and dark themes. "system" follows the OS colour scheme (and its changes while running);
palettes are explicit so that both look the same on every platform (Fusion style)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("system", "light", "dark")

_state = {"mode": "system", "dark": False}


def _dark_palette() -> QPalette:
    p = QPalette()
    window, base, text = QColor(37, 38, 41), QColor(28, 29, 31), QColor(225, 226, 229)
    accent = QColor(78, 140, 230)
    roles = {
        QPalette.Window: window, QPalette.WindowText: text, QPalette.Base: base,
        QPalette.AlternateBase: QColor(44, 45, 49), QPalette.ToolTipBase: QColor(50, 51, 55),
        QPalette.ToolTipText: text, QPalette.PlaceholderText: QColor(140, 142, 148), QPalette.Text: text,
        QPalette.Button: QColor(48, 49, 53), QPalette.ButtonText: text, QPalette.BrightText: QColor(255, 90, 90),
        QPalette.Highlight: accent, QPalette.HighlightedText: QColor(255, 255, 255),
        QPalette.Link: QColor(110, 165, 240), QPalette.Light: QColor(70, 71, 76), QPalette.Midlight: QColor(58, 59, 63),
        QPalette.Mid: QColor(44, 45, 49), QPalette.Dark: QColor(22, 22, 24), QPalette.Shadow: QColor(0, 0, 0),
    }
    for role, color in roles.items():
        p.setColor(role, color)
    disabled = QColor(120, 121, 126)
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        p.setColor(QPalette.Disabled, role, disabled)
    return p


def _light_palette() -> QPalette:
    p = QPalette()
    roles = {
        QPalette.Window: QColor(246, 246, 248), QPalette.WindowText: QColor(30, 30, 33),
        QPalette.Base: QColor(255, 255, 255), QPalette.AlternateBase: QColor(241, 242, 245),
        QPalette.Text: QColor(30, 30, 33), QPalette.Button: QColor(238, 239, 242),
        QPalette.ButtonText: QColor(30, 30, 33), QPalette.Highlight: QColor(45, 110, 210),
        QPalette.HighlightedText: QColor(255, 255, 255), QPalette.PlaceholderText: QColor(130, 132, 138),
        QPalette.ToolTipBase: QColor(255, 255, 240), QPalette.ToolTipText: QColor(30, 30, 33),
    }
    for role, color in roles.items():
        p.setColor(role, color)
    return p


def system_is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def is_dark() -> bool:
    return _state["dark"]


def apply_theme(app: QApplication, mode: str) -> bool:
    """Apply a theme; returns whether it is dark."""
    if mode not in THEMES:
        mode = "system"
    _state["mode"] = mode
    dark = system_is_dark() if mode == "system" else mode == "dark"
    _state["dark"] = dark
    app.setStyle("Fusion")
    app.setPalette(_dark_palette() if dark else _light_palette())
    return dark


def follow_system(app: QApplication) -> None:
    """Re-apply the theme when the OS switches between light and dark (only in "system" mode)."""

    def changed(_scheme) -> None:
        if _state["mode"] == "system":
            apply_theme(app, "system")

    QGuiApplication.styleHints().colorSchemeChanged.connect(changed)
