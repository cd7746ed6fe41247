"""Starting a worker process, knowing whether it lives, and stopping it by force.

- The launch message: what the worker must not find on disk or in its command line (checkpoint keys, the
  plaintext of the weights or training state it starts from) goes to it through its standard input, once,
  framed as `MAGIC | u64 length | JSON | u64 length | blob`. Never argv (every user of the machine sees it),
  never the environment, never a file.
- Liveness: the parent takes an exclusive lock (flock) on `runs/<id>/worker.lock` before it starts the
  worker and hands the locked descriptor down; the operating system drops the lock when the last process
  holding it dies, kill -9 included. "Is the worker alive?" is "is the lock held?": no pid that could have
  been reused, no heartbeat to wait out. (Platforms without flock fall back to the heartbeat.)
- The worker runs in its own session (process group), so a Ctrl+C in the terminal that started it, or the
  GUI closing, does not reach it; `kill_processes` sends SIGKILL to the pids it recorded. It starts in its
  run's folder with an environment without secrets (studio.core.procs: nothing from the caller's working
  directory is imported, STUDIO_PASSWORD never reaches /proc/PID/environ).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from studio.core.errors import StudioError, ValidationError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

MAGIC = b"MSLAUNCH1\n"
_LEN = struct.Struct("<Q")
MAX_HEADER = 16 << 20


@dataclass
class LaunchMessage:
    """What a worker is told at start. `init`: fresh (random weights), weights (fine-tuning: `blob` is a
    safetensors file of the model's tensors) or state (resuming: `blob` is a training state).
    `checkpoints`: one entry per checkpoint slot, {"id", "slot", "secret"} (the secret is the store's)."""

    init: str = "fresh"
    blob: bytes = field(default=b"", repr=False)
    checkpoints: list[dict[str, Any]] = field(default_factory=list, repr=False)
    extra: dict[str, Any] = field(default_factory=dict)

    def write_to(self, stream: IO[bytes]) -> None:
        header = json.dumps({"init": self.init, "checkpoints": self.checkpoints, "extra": self.extra}).encode()
        stream.write(MAGIC + _LEN.pack(len(header)) + header + _LEN.pack(len(self.blob)))
        view = memoryview(self.blob)
        for start in range(0, len(view), 1 << 20):  # a pipe takes it in pieces
            stream.write(view[start:start + (1 << 20)])
        stream.flush()

    @classmethod
    def read_from(cls, stream: IO[bytes]) -> LaunchMessage:
        def exactly(n: int) -> bytes:
            parts, left = [], n
            while left:
                chunk = stream.read(min(left, 1 << 20))
                if not chunk:
                    raise StudioError("The worker's launch message ended early (the studio that started it died).")
                parts.append(chunk)
                left -= len(chunk)
            return b"".join(parts)

        first = stream.read(len(MAGIC))
        if len(first) < len(MAGIC):
            first += exactly(len(MAGIC) - len(first)) if first else b""
        if first != MAGIC:
            raise StudioError("The worker was started without a launch message; only the studio starts workers.")
        (n,) = _LEN.unpack(exactly(_LEN.size))
        if n > MAX_HEADER:
            raise StudioError("The worker's launch message is malformed.")
        header = json.loads(exactly(n))
        (m,) = _LEN.unpack(exactly(_LEN.size))
        return cls(header["init"], exactly(m), header["checkpoints"], header.get("extra", {}))


# --- liveness ------------------------------------------------------------------------------------------------

def lock_path(run_dir: Path) -> Path:
    return Path(run_dir) / "worker.lock"


def hold_lock(run_dir: Path) -> int | None:
    """Take the run's lock; returns the descriptor holding it (None where flock does not exist).
    Raises ConflictError-like StudioError when a worker of this run is alive."""
    Path(run_dir).mkdir(parents=True, exist_ok=True)
    if fcntl is None:
        return None
    fd = os.open(lock_path(run_dir), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        from studio.core.errors import ConflictError

        raise ConflictError("A worker of this run is still alive.") from None
    return fd


def lock_held(run_dir: Path) -> bool | None:
    """True while a worker holds the run's lock, False when none does; None where this cannot be told."""
    if fcntl is None:
        return None
    path = lock_path(run_dir)
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # closing drops the lock we may have taken
    return False


def release_lock(fd: int | None) -> None:
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)


# --- starting and killing -------------------------------------------------------------------------------------

def start_process(command: Sequence[str], log_file: Path, message: LaunchMessage, *, lock_fd: int | None,
                  env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start `command` in its own session, in the folder of `log_file` (the run's), with stdout and stderr
    appended to `log_file`, the lock's descriptor inherited, and `message` written to its standard input
    (then closed)."""
    from studio.core import procs

    log_file.parent.mkdir(parents=True, exist_ok=True)
    full_env = dict(os.environ if env is None else env)
    full_env["PYTHONUNBUFFERED"] = "1"  # the run log shows lines as they come
    kwargs: dict[str, Any] = {}
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.CREATE_NO_WINDOW
    else:
        kwargs["start_new_session"] = True
        kwargs["pass_fds"] = (lock_fd,) if lock_fd is not None else ()
    with open(log_file, "ab") as log:
        try:
            proc = procs.popen(command, cwd=log_file.parent, env=full_env, stdin=subprocess.PIPE, stdout=log,
                               stderr=subprocess.STDOUT, **kwargs)
        except OSError as error:
            raise StudioError(f"Could not start the training worker ({error}).") from error
    assert proc.stdin is not None
    try:
        message.write_to(proc.stdin)
    except BrokenPipeError:
        pass  # it died at once; its log says why, and the run is marked as such
    finally:
        with contextlib.suppress(OSError):
            proc.stdin.close()
    return proc


def kill_processes(pids: Sequence[int]) -> None:
    """SIGKILL each pid (and the process group it leads, where it leads one)."""
    for pid in pids:
        if not pid or pid == os.getpid():
            continue
        with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
            if sys.platform == "win32":  # pragma: no cover
                os.kill(pid, signal.SIGTERM)
                continue
            if os.getpgid(pid) == pid:
                os.killpg(pid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)


def wait_released(run_dir: Path, timeout_s: float = 10.0) -> bool:
    """Wait until no process holds the run's lock; False on timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not lock_held(run_dir):
            return True
        time.sleep(0.05)
    return False


def check_nproc(nproc: int, nnodes: int) -> None:
    if not isinstance(nproc, int) or nproc < 1:
        raise ValidationError("--nproc must be a positive whole number.", field="nproc")
    if not isinstance(nnodes, int) or nnodes < 1:
        raise ValidationError("--nnodes must be a positive whole number.", field="nnodes")
