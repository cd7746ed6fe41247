"""How the studio starts its own processes: training workers (and torchrun with its ranks), the tokenizing
workers of a dataset import, the self-test's child. Only this module builds their command lines and starts
them, so that three rules hold for every one of them (tests/core/test_procs.py, tests/e2e/test_children.py):

- **Nothing from the caller's working directory is imported.** From source a child is `python -P -m studio
  <args>`: -P (Python 3.11+) keeps the working directory off sys.path, where `-m` would put it first, so a
  `studio/` folder in it could not take the child over (it would receive the launch message: dataset keys and
  checkpoint keys). A frozen build (PyInstaller) is `<app> <args>`; its sys.path lies inside the app. -I is not
  used: it would also drop PYTHONPATH, which running from a checkout relies on.
- **A fixed working directory.** Every child starts in a folder the studio chooses (a run's own folder for its
  worker, else the installation's folder), never the caller's: a relative PYTHONPATH entry, a library writing
  beside itself or a core dump then lands there.
- **No secret in its environment.** A process's environment stays readable in /proc/PID/environ for its whole
  life, to every process of the account; the variables that carry a password (STUDIO_PASSWORD,
  STUDIO_NEW_PASSWORD, and any STUDIO_* naming a password, key, secret or token) are removed. Keys and
  passwords reach a child only over its pipe.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

SECRET_ENV = frozenset({"STUDIO_PASSWORD", "STUDIO_NEW_PASSWORD"})
_SECRET_NAME = re.compile(r"^STUDIO_.*(PASSWORD|PASSPHRASE|SECRET|KEY|TOKEN)", re.IGNORECASE)


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def studio_command(*args: str) -> list[str]:
    """The command line that runs `studio <args>` with the same installation as this process."""
    if is_frozen():
        return [sys.executable, *args]
    return [sys.executable, "-P", "-m", "studio", *args]


def install_dir() -> Path:
    """The installation's own folder: the frozen app's, or the one holding the `studio` package."""
    if is_frozen():
        return Path(sys.executable).resolve().parent
    return Path(__file__).resolve().parents[2]


def is_secret_env(name: str) -> bool:
    return name.upper() in SECRET_ENV or bool(_SECRET_NAME.match(name))


def child_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """`env` (default: this process's environment) without the variables that carry a secret."""
    base = os.environ if env is None else env
    return {k: v for k, v in base.items() if not is_secret_env(k)}


def _prepare(command: Sequence[str], cwd: str | os.PathLike[str] | None, env: Mapping[str, str] | None,
             kwargs: dict[str, Any]) -> dict[str, Any]:
    if "shell" in kwargs:
        raise ValueError("studio children never go through a shell")
    folder = Path(cwd) if cwd is not None else install_dir()
    return {**kwargs, "cwd": str(folder), "env": child_env(env), "close_fds": True}


def popen(command: Sequence[str], *, cwd: str | os.PathLike[str] | None = None,
          env: Mapping[str, str] | None = None, **kwargs: Any) -> subprocess.Popen:
    """Start a child of the studio: in `cwd` (a folder the studio owns; default the installation's), with
    `env` (default this process's) stripped of secrets. Other arguments as subprocess.Popen's."""
    return subprocess.Popen(list(command), **_prepare(command, cwd, env, kwargs))


def run(command: Sequence[str], *, cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None, **kwargs: Any) -> subprocess.CompletedProcess:
    """subprocess.run under the same rules as `popen`."""
    return subprocess.run(list(command), **_prepare(command, cwd, env, kwargs))
