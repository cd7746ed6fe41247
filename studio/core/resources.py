"""Files shipped with the studio (translations, icons, the sample dataset, the common-password list).

In a source checkout they live in the top-level `resources/` folder; in a frozen build PyInstaller puts
that folder next to the executable's internal files (sys._MEIPASS).
"""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
