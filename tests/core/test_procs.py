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


_STARTS = {("subprocess", n) for n in ("Popen", "run", "call", "check_call", "check_output", "getoutput",
                                       "getstatusoutput")}
_STARTS |= {("os", n) for n in ("system", "popen", "fork", "forkpty", "posix_spawn", "posix_spawnp", "execv",
                                "execve", "execl", "execle", "execlp", "execvp", "execvpe", "spawnv", "spawnl")}
_STARTS |= {("multiprocessing", n) for n in ("Process", "Pool", "get_context")}
_STARTS |= {("concurrent.futures", "ProcessPoolExecutor"), ("futures", "ProcessPoolExecutor")}


def _process_starts(path):
    """(line, 'module.name') of every call or import in `path` that starts a process without procs."""
    import ast

    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        func = node.func if isinstance(node, ast.Call) else None  # a call, not a type annotation
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name | ast.Attribute):
            base = ast.unparse(func.value)
            if (base, func.attr) in _STARTS:
                found.append((node.lineno, f"{base}.{func.attr}"))
        elif isinstance(node, ast.ImportFrom) and node.module:
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names if (node.module, a.name) in _STARTS]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name == "multiprocessing"]
    return found


def test_only_procs_starts_processes():
    """Every child goes through studio.core.procs (so the rules above hold for all of them): serving and
    compression run in the caller's process (threads), and no other module starts one by itself."""
    from pathlib import Path

    root = Path(procs.__file__).resolve().parents[1]
    offenders = {str(p.relative_to(root)): hits for p in sorted(root.rglob("*.py"))
                 if p != Path(procs.__file__).resolve() and "devtools" not in p.parts
                 for hits in [_process_starts(p)] if hits}
    assert offenders == {}
    # the scan finds what it looks for
    assert sorted(_process_starts_text("import subprocess, multiprocessing\nsubprocess.Popen(['x'])\nfrom os import fork\n"
                                "def f() -> subprocess.Popen: ...\n")) == [
        (1, "multiprocessing"), (2, "subprocess.Popen"), (3, "os.fork")]


def _process_starts_text(text):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "m.py"
        p.write_text(text)
        return _process_starts(p)


def test_the_installed_entry_point_ignores_a_studio_folder_in_the_working_directory(tmp_path, monkeypatch):
    """`studio serve`, `studio compress` and the GUI run in the process of the `studio` command itself: its
    entry point imports the installed studio, never a studio/ folder of the working directory."""
    import shutil
    from pathlib import Path

    script = Path(sys.executable).parent / "studio"
    if not script.exists():
        script = shutil.which("studio")
    assert script, "the studio command is installed with the package"
    planted = tmp_path / "studio"
    planted.mkdir()
    for name in ("__init__.py", "__main__.py", "cli.py"):
        (planted / name).write_text("open('taken-over', 'w').close(); raise SystemExit(3)\n")
    monkeypatch.chdir(tmp_path)
    out = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == f"Model Studio {__version__}", out.stderr
    assert not (tmp_path / "taken-over").exists()
