"""The frozen application, as a user without Python gets it. Needs `make package` first (the Makefile's
test-package target does both); CI runs it after `make test`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist"
APP = DIST / "model-studio" / "studio"

pytestmark = pytest.mark.slow

# Nothing on PATH (so no Python and no virtual environment): the installed app must need neither.
BARE_ENV = {"HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8", "QT_QPA_PLATFORM": "offscreen"}


def run(cmd, tmp_path, **kw):
    empty_bin = tmp_path / "empty-bin"
    empty_bin.mkdir(exist_ok=True)
    env = dict(BARE_ENV, PATH=str(empty_bin), STUDIO_DATA_DIR=str(tmp_path / "data"), **kw.pop("env", {}))
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, **kw)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The .deb unpacked into a fresh folder (what dpkg -i would put under /)."""
    debs = sorted(DIST.glob("model-studio_*.deb"))
    if not debs:
        pytest.fail("no .deb in dist/: run `make package` first")
    root = tmp_path_factory.mktemp("root")
    subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(root)], check=True)
    return root


def test_folder_build_starts_and_reports_its_version(tmp_path):
    from studio import __version__

    assert APP.exists(), "run `make package` first"
    result = run([str(APP), "--version"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Model Studio {__version__}"


def test_frozen_doctor_finds_everything(tmp_path):
    result = run([str(APP), "doctor"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cpu" in result.stdout or "cuda" in result.stdout


def test_frozen_gui_shows_its_window(tmp_path):
    result = run([str(APP)], tmp_path, env={"STUDIO_BENCH_STARTUP": "1"})
    assert result.returncode == 0, result.stderr
    assert "first-window-shown" in result.stdout


def test_resources_are_in_the_build():
    internal = DIST / "model-studio" / "_internal"
    for rel in ("resources/icons/studio.svg", "resources/i18n/zh_CN/gui.ts",
                "studio/core/db/migrations/env.py"):
        assert (internal / rel).exists(), rel
    assert (internal / "PySide6" / "Qt" / "plugins" / "platforms").is_dir()
    assert not (internal / "torch" / "include").exists(), "torch headers should be trimmed"


def test_deb_installs_a_desktop_entry_icons_and_a_working_command(installed, tmp_path):
    assert (installed / "usr/share/applications/model-studio.desktop").exists()
    for size in (16, 32, 48, 128, 256):
        assert (installed / f"usr/share/icons/hicolor/{size}x{size}/apps/model-studio.png").exists()
    link = installed / "usr/bin/studio"
    assert os.readlink(link) == "/opt/model-studio/studio"
    app = installed / "opt/model-studio/studio"
    result = run([str(app), "doctor"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
