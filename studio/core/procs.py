"""How the studio starts its own processes (training workers, self-test steps).

From source, a child is `python -m studio <args>`; in a frozen build (PyInstaller) sys.executable is the
app itself, so the child is `<app> <args>`. Nothing else may build such command lines.
"""

from __future__ import annotations

import sys


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def studio_command(*args: str) -> list[str]:
    """The command line that runs `studio <args>` with the same installation as this process."""
    if is_frozen():
        return [sys.executable, *args]
    return [sys.executable, "-m", "studio", *args]
