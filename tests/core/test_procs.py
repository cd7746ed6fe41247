import subprocess
import sys

from studio import __version__
from studio.core import procs


def test_source_command_runs_this_studio():
    out = subprocess.run(procs.studio_command("--version"), capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"Model Studio {__version__}"


def test_frozen_command_is_the_app_itself(monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/model-studio/studio")
    assert procs.studio_command("worker", "--run", "3") == ["/opt/model-studio/studio", "worker", "--run", "3"]
