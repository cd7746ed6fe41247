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
    """Run the app from a working directory holding a hostile `studio/` package (issue 14): neither the app
    nor any child it starts (workers, torchrun's ranks, tokenizers) may import it."""
    empty_bin = tmp_path / "empty-bin"
    empty_bin.mkdir(exist_ok=True)
    hostile = tmp_path / "cwd"
    (hostile / "studio").mkdir(parents=True, exist_ok=True)
    for name in ("__init__.py", "__main__.py"):
        (hostile / "studio" / name).write_text("open('/dev/stderr', 'w').write('HOSTILE STUDIO RAN'); raise SystemExit(3)")
    env = dict(BARE_ENV, PATH=str(empty_bin), STUDIO_DATA_DIR=str(tmp_path / "data"), **kw.pop("env", {}))
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, cwd=hostile, **kw)
    assert "HOSTILE STUDIO RAN" not in result.stdout + result.stderr
    return result


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


def test_frozen_training_entry_points(tmp_path):
    """The run service starts `<app> worker ...` and `<app> torchrun ... --no-python <app> worker ...`."""
    worker = run([str(APP), "worker", "--run-id", "1", "--data-dir", str(tmp_path / "data")], tmp_path, input="")
    assert worker.returncode != 0 and "only the studio starts workers" in worker.stderr
    torchrun = run([str(APP), "torchrun", "--help"], tmp_path)
    assert torchrun.returncode == 0 and "--nproc-per-node" in torchrun.stdout


def test_frozen_app_trains_with_torchrun_and_samples(tmp_path):
    """A whole run in the frozen app: its worker processes are the app itself, through torchrun."""
    env = {"STUDIO_PASSWORD": "Quartz-Falcon-7319", "STUDIO_USER": "root"}
    text = tmp_path / "t.txt"
    text.write_text("The robot sang a song about the stars and the river.\n\n" * 200)
    for args in (["init", "--admin", "root"], ["dataset", "import", str(text), "--name", "t", "--tokenizer", "char",
                                               "--split", "0.8,0.2,0"]):
        result = run([str(APP), *args], tmp_path, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
    result = run([str(APP), "train", "--dataset", "t", "--preset", "tiny", "--context", "32", "--layers", "2",
                  "--width", "32", "--batch-size", "4", "--steps", "6", "--eval-every", "3", "--nproc", "2"],
                 tmp_path, env=env)
    assert result.returncode == 0 and "completed: Completed 6 steps." in result.stdout, result.stdout + result.stderr
    result = run([str(APP), "sample", "tiny-t-1", "--prompt", "The", "--max-tokens", "10", "--json"], tmp_path, env=env)
    assert result.returncode == 0 and '"text"' in result.stdout, result.stderr


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


def test_installed_app_passes_its_self_test(installed, tmp_path):
    """What a user runs after installing: a user, the sample, a worker process (the app itself), the vault,
    generation, int8 and the audit chain, with no Python on PATH."""
    app = installed / "opt/model-studio/studio"
    result = run([str(app), "self-test"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("self-test passed")
    assert "FAILED" not in result.stdout and "skipped" not in result.stdout


def test_the_build_has_no_dangling_links():
    """A link to a library the trim left out would make a loader error on some machine, some day."""
    dangling = [str(p) for p in (DIST / "model-studio").rglob("*") if p.is_symlink() and not p.exists()]
    assert not dangling, dangling


def test_frozen_app_tokenizes_in_its_own_worker_processes(tmp_path):
    """BPE imports hand blocks to worker processes; frozen, those are the app itself (`tokenize-worker`)."""
    env = {"STUDIO_PASSWORD": "Quartz-Falcon-7319", "STUDIO_USER": "root", "STUDIO_IMPORT_WORKERS": "2"}
    text = tmp_path / "t.txt"
    text.write_text("".join(f"Story {i}: the robot sang a song about the stars and the river.\n\n" for i in range(400)))
    result = run([str(APP), "init", "--admin", "root"], tmp_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    result = run([str(APP), "dataset", "import", str(text), "--name", "b", "--tokenizer", "bpe", "--vocab-size", "300",
                  "--json"], tmp_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert '"tokens"' in result.stdout
