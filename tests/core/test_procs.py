import subprocess
import sys

from studio import __version__
from studio.core import procs
from studio.core.training.distributed import torchrun_command


def test_source_command_runs_this_studio():
    out = subprocess.run(procs.studio_command("--version"), capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"Model Studio {__version__}"


def test_frozen_command_is_the_app_itself(monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/model-studio/studio")
    assert procs.studio_command("worker", "--run", "3") == ["/opt/model-studio/studio", "worker", "--run", "3"]
    assert str(procs.install_dir()) == "/opt/model-studio"


def test_a_studio_folder_in_the_working_directory_is_never_imported(tmp_path, monkeypatch):
    """`python -m studio` puts the working directory first on sys.path: a planted studio/ would run instead."""
    planted = tmp_path / "studio"
    planted.mkdir()
    for name in ("__init__.py", "__main__.py"):
        (planted / name).write_text("open('taken-over', 'w').close(); raise SystemExit(3)\n")
    monkeypatch.chdir(tmp_path)
    out = procs.run(procs.studio_command("--version"), capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == f"Model Studio {__version__}", out.stderr
    # torchrun and the ranks it starts: both halves of its command line
    command = torchrun_command(["--run-id", "1"], nproc=2)
    assert command[:4] == [sys.executable, "-P", "-m", "studio"]
    assert command[command.index("--no-python") + 1:][:4] == [sys.executable, "-P", "-m", "studio"]
    out = procs.run([sys.executable, "-P", "-c", "import os, sys; print(os.getcwd())"], capture_output=True,
                    text=True, check=True)
    assert out.stdout.strip() == str(procs.install_dir())  # a fixed folder, not the caller's
    assert not (tmp_path / "taken-over").exists()


def test_children_get_no_password_in_their_environment(monkeypatch):
    monkeypatch.setenv("STUDIO_PASSWORD", "hunter2-hunter2")
    monkeypatch.setenv("STUDIO_NEW_PASSWORD", "hunter3-hunter3")
    monkeypatch.setenv("STUDIO_FUTURE_API_TOKEN", "t0ken")
    monkeypatch.setenv("STUDIO_DATA_DIR", "/data")
    env = procs.child_env()
    assert "STUDIO_PASSWORD" not in env and "STUDIO_NEW_PASSWORD" not in env and "STUDIO_FUTURE_API_TOKEN" not in env
    assert env["STUDIO_DATA_DIR"] == "/data" and env["PATH"] == __import__("os").environ["PATH"]
    out = procs.run([sys.executable, "-c", "import os; print(sorted(k for k in os.environ if 'PASSWORD' in k))"],
                    capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
