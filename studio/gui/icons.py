"""Icons of the sidebar. Each pane icon is a one-colour SVG; on the selected row it is drawn in the
palette's highlighted-text colour instead, because some icon colours are close to the selection colour
(the Datasets icon's blue on the dark theme's blue selection was invisible)."""

from __future__ import annotations

import re

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from studio.core.resources import resource_path

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b")
SIZES = (22, 44)  # the sidebar's icon size, and twice that for high-density screens


def _render(svg: bytes, size: int) -> QPixmap:
    renderer = QSvgRenderer(QByteArray(svg))
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return QPixmap.fromImage(image)


def pane_icon(file_name: str, selected: QColor) -> QIcon:
    """The icon as drawn, and recoloured to `selected` for the Selected mode."""
    text = resource_path("icons", file_name).read_text(encoding="utf-8")
    recoloured = _COLOUR.sub(selected.name(), text).encode()
    icon = QIcon()
    for size in SIZES:
        icon.addPixmap(_render(text.encode(), size), QIcon.Mode.Normal)
        icon.addPixmap(_render(recoloured, size), QIcon.Mode.Selected)
    return icon
