"""Light and dark themes. "system" follows the OS colour scheme (and its changes while running);
palettes are explicit so that both look the same on every platform (Fusion style).

Every palette sets every colour role in every colour group (Active, Inactive, Disabled): a role set with
`QPalette.setColor(role, colour)` alone applies to all groups, so disabled widgets would look enabled.
The disabled group greys out texts and flattens fills; Inactive equals Active (a window behind another keeps
its colours, as on macOS and GNOME)."""

from __future__ import annotations

import os

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QApplication,
    QProxyStyle,
    QStyle,
    QStyleFactory,
    QStyleOptionButton,
    QStyleOptionToolButton,
)

THEMES = ("system", "light", "dark")
ROLES = tuple(r for r in QPalette.ColorRole if r not in (QPalette.ColorRole.NoRole, QPalette.ColorRole.NColorRoles))
GROUPS = (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive, QPalette.ColorGroup.Disabled)

_state = {"mode": "system", "dark": False, "platform_dark": None}

R = QPalette.ColorRole
# role -> (active and inactive, disabled) as RGB
_LIGHT: dict[QPalette.ColorRole, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    R.Window: ((246, 246, 248), (242, 242, 244)),
    R.WindowText: ((30, 30, 33), (160, 162, 168)),
    R.Base: ((255, 255, 255), (242, 242, 244)),
    R.AlternateBase: ((241, 242, 245), (238, 238, 240)),
    R.Text: ((30, 30, 33), (160, 162, 168)),
    R.Button: ((238, 239, 242), (232, 232, 235)),
    R.ButtonText: ((30, 30, 33), (160, 162, 168)),
    R.BrightText: ((200, 30, 30), (210, 150, 150)),
    R.Light: ((255, 255, 255), (250, 250, 251)),
    R.Midlight: ((245, 245, 247), (240, 240, 242)),
    R.Mid: ((186, 188, 194), (212, 213, 216)),
    R.Dark: ((160, 162, 168), (196, 197, 201)),
    R.Shadow: ((110, 112, 118), (170, 171, 175)),
    R.Highlight: ((45, 110, 210), (196, 198, 204)),
    R.HighlightedText: ((255, 255, 255), (246, 246, 248)),
    R.Link: ((30, 100, 200), (150, 170, 200)),
    R.LinkVisited: ((120, 70, 170), (170, 150, 190)),
    R.ToolTipBase: ((255, 255, 240), (250, 250, 240)),
    R.ToolTipText: ((30, 30, 33), (160, 162, 168)),
    R.PlaceholderText: ((130, 132, 138), (185, 187, 192)),
    R.Accent: ((45, 110, 210), (170, 172, 178)),
}
_DARK: dict[QPalette.ColorRole, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    R.Window: ((37, 38, 41), (34, 35, 38)),
    R.WindowText: ((225, 226, 229), (115, 116, 122)),
    R.Base: ((28, 29, 31), (33, 34, 37)),
    R.AlternateBase: ((44, 45, 49), (38, 39, 42)),
    R.Text: ((225, 226, 229), (115, 116, 122)),
    R.Button: ((48, 49, 53), (40, 41, 44)),
    R.ButtonText: ((225, 226, 229), (115, 116, 122)),
    R.BrightText: ((255, 90, 90), (150, 90, 90)),
    R.Light: ((70, 71, 76), (52, 53, 57)),
    R.Midlight: ((58, 59, 63), (46, 47, 51)),
    R.Mid: ((44, 45, 49), (40, 41, 44)),
    R.Dark: ((22, 22, 24), (28, 28, 30)),
    R.Shadow: ((0, 0, 0), (10, 10, 12)),
    R.Highlight: ((78, 140, 230), (62, 64, 70)),
    R.HighlightedText: ((255, 255, 255), (150, 151, 156)),
    R.Link: ((110, 165, 240), (90, 110, 140)),
    R.LinkVisited: ((170, 140, 230), (110, 100, 130)),
    R.ToolTipBase: ((50, 51, 55), (44, 45, 48)),
    R.ToolTipText: ((225, 226, 229), (115, 116, 122)),
    R.PlaceholderText: ((140, 142, 148), (90, 91, 96)),
    R.Accent: ((78, 140, 230), (80, 82, 88)),
}


def _palette(colours) -> QPalette:
    p = QPalette()
    for role in ROLES:
        active, disabled = colours[role]
        p.setColor(QPalette.ColorGroup.Active, role, QColor(*active))
        p.setColor(QPalette.ColorGroup.Inactive, role, QColor(*active))
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(*disabled))
    return p


def light_palette() -> QPalette:
    return _palette(_LIGHT)


def dark_palette() -> QPalette:
    return _palette(_DARK)


HEADER_PADDING = 10  # px added to a header section's width: bold CJK headers touched or lost their last glyph


class StudioStyle(QProxyStyle):
    """Fusion, with room for the arrow of a button that opens a menu: Fusion draws it over the end of the
    text ("Export" lost its t, "导出" its edge); with header sections a little wider than their bold text;
    and, in the dark theme, check boxes and radio buttons with a visible edge: Fusion outlines them in the
    window colour darkened, which on a dark window left an unchecked box all but invisible."""

    def __init__(self) -> None:
        super().__init__(QStyleFactory.create("Fusion"))

    def sizeFromContents(self, kind, option, size, widget=None):  # noqa: N802 - Qt override
        result = super().sizeFromContents(kind, option, size, widget)
        with_menu = ((kind == QStyle.ContentsType.CT_PushButton and isinstance(option, QStyleOptionButton)
                      and option.features & QStyleOptionButton.ButtonFeature.HasMenu)
                     or (kind == QStyle.ContentsType.CT_ToolButton and isinstance(option, QStyleOptionToolButton)
                         and option.features & QStyleOptionToolButton.ToolButtonFeature.HasMenu))
        if with_menu:
            result.setWidth(result.width() + self.pixelMetric(QStyle.PixelMetric.PM_MenuButtonIndicator,
                                                                option, widget))
        if kind == QStyle.ContentsType.CT_HeaderSection:
            result.setWidth(result.width() + HEADER_PADDING)
        return result

    def drawPrimitive(self, element, option, painter, widget=None):  # noqa: N802 - Qt override
        super().drawPrimitive(element, option, painter, widget)
        box = element == QStyle.PrimitiveElement.PE_IndicatorCheckBox
        if not _state["dark"] or not (box or element == QStyle.PrimitiveElement.PE_IndicatorRadioButton):
            return
        if option.state & QStyle.StateFlag.State_HasFocus and option.state & QStyle.StateFlag.State_KeyboardFocusChange:
            return  # Fusion's focus outline says more
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(option.palette.color(QPalette.ColorRole.PlaceholderText), 1))
        rect = option.rect.toRectF().adjusted(0.5, 0.5, -0.5, -0.5)
        if box:
            painter.drawRect(rect)
        else:
            painter.drawEllipse(QPointF(rect.center()), rect.width() / 2, rect.height() / 2)
        painter.restore()


def _qt_scheme() -> Qt.ColorScheme:
    return QGuiApplication.styleHints().colorScheme()


def system_is_dark() -> bool:
    """The OS's choice: Qt's colour scheme where the platform reports one (Windows, macOS, GNOME and KDE
    through the desktop portal); else a GTK theme named dark (GTK_THEME=Adwaita:dark); else the lightness of
    the platform's own palette as it was before we replaced it; light when nothing says."""
    scheme = _qt_scheme()
    if scheme != Qt.ColorScheme.Unknown:
        return scheme == Qt.ColorScheme.Dark
    gtk = os.environ.get("GTK_THEME", "").lower()
    if gtk:
        return gtk.endswith(":dark") or gtk.endswith("-dark")
    return bool(_state["platform_dark"])


def is_dark() -> bool:
    return _state["dark"]


def apply_theme(app: QApplication, mode: str) -> bool:
    """Apply a theme; returns whether it is dark."""
    if mode not in THEMES:
        mode = "system"
    if _state["platform_dark"] is None:  # before the first setPalette: what the platform gave us
        _state["platform_dark"] = app.palette().color(QPalette.ColorRole.Window).lightness() < 128
    _state["mode"] = mode
    dark = system_is_dark() if mode == "system" else mode == "dark"
    _state["dark"] = dark
    if not isinstance(app.style(), StudioStyle):
        app.setStyle(StudioStyle())
    app.setPalette(dark_palette() if dark else light_palette())
    return dark


def follow_system(app: QApplication) -> None:
    """Re-apply the theme when the OS switches between light and dark (only in "system" mode)."""
    if _state.get("following"):
        return  # one connection per application, however many windows were built
    _state["following"] = True

    def changed(_scheme) -> None:
        if _state["mode"] == "system":
            apply_theme(app, "system")

    QGuiApplication.styleHints().colorSchemeChanged.connect(changed)
