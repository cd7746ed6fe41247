"""Render the application icon (resources/icons/studio.svg) to PNGs in the standard sizes, and to .ico.

    python packaging/render_icons.py OUT_DIR
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ROOT = Path(__file__).resolve().parents[1]


def render(size: int, svg: Path) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    return image


def main(out: Path) -> None:
    _app = QGuiApplication.instance() or QGuiApplication([])
    svg = ROOT / "resources" / "icons" / "studio.svg"
    out.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        path = out / f"{size}x{size}.png"
        if not render(size, svg).save(str(path)):
            raise SystemExit(f"could not write {path}")
    render(256, svg).save(str(out / "studio.ico"))
    print(f"icons written to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
