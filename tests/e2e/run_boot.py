"""Start studio processes (workers, torchrun) that know the test doubles of tests/core/runs/fakes.py: the
command `python -c BOOT <verb> ...` registers them, then runs the studio's own entry point."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOOT = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); import tests.core.runs.fakes; "
        "from studio.cli.main import main; sys.exit(main(sys.argv[1:]))")


def boot_command(*args: str) -> list[str]:
    return [sys.executable, "-c", BOOT, *args]


def use_boot(monkeypatch) -> None:
    """Make the run service (in this process) start its workers through BOOT."""
    from studio.core.services.runs import service
    from studio.core.training import distributed

    monkeypatch.setattr(service, "studio_command", boot_command)
    monkeypatch.setattr(distributed, "studio_command", boot_command)
