"""Import boundaries: the core never loads Qt; importing studio (or the CLI) never loads torch."""

import pkgutil
import subprocess
import sys

import studio.core


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout


def test_every_core_module_imports_without_loading_qt():
    names = [m.name for m in pkgutil.walk_packages(studio.core.__path__, "studio.core.")
             if ".migrations" not in m.name]
    assert len(names) > 5
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph')))\n"
    )
    assert _run(code).strip() == "[]"


def test_importing_studio_and_the_cli_does_not_import_torch_or_qt():
    code = (
        "import sys, studio, studio.cli.main\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'PySide6', 'pyqtgraph')))\n"
    )
    assert _run(code).strip() == "[]"
