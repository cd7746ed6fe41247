"""Doctor and About: what the studio runs on, and whether everything it needs is there."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio import __version__
from studio.core import environment
from studio.core.db.migrate import current_revision, head_revision

if TYPE_CHECKING:
    from studio.core.services.studio import Studio


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    value: str
    required: bool = True


@dataclass(frozen=True)
class DoctorReport:
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks if c.required)


class SystemService:
    def __init__(self, studio: Studio):
        self._studio = studio

    def schema(self) -> tuple[str | None, str]:
        """(current revision of the database, the revision this version expects)."""
        return current_revision(self._studio.db.engine), head_revision()

    def doctor(self) -> DoctorReport:
        return doctor_report(self._studio)


def doctor_report(studio: Studio | None, data_dir_problem: str | None = None) -> DoctorReport:
    checks: list[Check] = [
        Check("studio", True, __version__),
        Check("python", sys.version_info >= (3, 11), environment.platform_summary()),
    ]
    try:
        info = environment.torch_info()
        checks.append(Check("torch", True, f"{info.version} (cuda {info.cuda or 'none'})"))
        checks.append(Check("device", True, f"{info.device}: {info.device_name}; {info.threads} threads"))
    except Exception as error:  # noqa: BLE001 - doctor reports whatever breaks
        checks.append(Check("torch", False, f"cannot import torch: {error}"))
    qt = environment.qt_version()
    checks.append(Check("qt", qt is not None, f"PySide6 {qt}" if qt else "PySide6 is not installed"))
    for mod in ("pyqtgraph", "safetensors", "cryptography", "tokenizers"):
        ver = environment.package_version(mod)
        checks.append(Check(mod, ver is not None, ver or "not installed"))
    if studio is None:
        checks.append(Check("data folder", False, data_dir_problem or "not opened"))
    else:
        root = studio.paths.root
        writable = os.access(root, os.W_OK)
        checks.append(Check("data folder", writable, str(root) + ("" if writable else " (not writable)")))
        current, head = studio.system.schema()
        checks.append(Check("database", current == head, f"{studio.paths.db}; schema {current} (expected {head})"))
    return DoctorReport(tuple(checks))
