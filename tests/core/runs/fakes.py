"""Test doubles for the run service: a checkpoint store that keeps training states as plain files in the
test's temporary folder (the real store encrypts through the vault), and a launcher that runs the worker
in a thread of the test process instead of a new process (fast, and the test can reach into it)."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

from studio.core.fsutil import atomic_write_bytes
from studio.core.stores.runs import RunStore
from studio.core.training.checkpoints import Reservation, register_store
from studio.core.training.launch import LaunchMessage
from studio.core.training.state import read_state, write_state

NAME = "plain-test"


class PlainSink:
    def __init__(self, fail_after: list[int] | None = None):
        self.fail_after = fail_after  # [n]: the n+1-th write and later raise ENOSPC

    def write(self, secret, state, files):
        if self.fail_after is not None:
            if self.fail_after[0] <= 0:
                raise OSError(28, "No space left on device")
            self.fail_after[0] -= 1
        blob = write_state(state)
        atomic_write_bytes(Path(secret["path"]), blob)
        for name, data in files.items():
            atomic_write_bytes(Path(secret["path"] + "." + name), data)
        return len(blob)


class PlainStore:
    name = NAME
    fail_after: list[int] | None = None
    deleted: list[int] = []

    def reserve(self, studio, actor, run, slots):
        folder = studio.paths.run_dir(run.id) / "plain-checkpoints"
        folder.mkdir(parents=True, exist_ok=True)
        out = []
        for slot in slots:
            path = folder / f"a{run.attempt + 1}-{slot}.state"
            out.append(Reservation(slot, {"file": str(path)}, {"path": str(path)}))
        return out

    def sink(self, studio):
        return PlainSink(PlainStore.fail_after)

    def read(self, studio, actor, run, checkpoint):
        return read_state(Path(checkpoint.ref["file"]).read_bytes())

    def tokenizer(self, studio, actor, run, checkpoint):
        path = Path(checkpoint.ref["file"] + ".tokenizer.json")
        return path.read_text() if path.exists() else None

    def settle(self, studio, actor, run, checkpoints):
        store = RunStore(studio.db)
        for c in checkpoints:
            if c.state == "written":
                store.set_checkpoint_state(c.id, "kept")
            elif c.state == "empty":
                store.set_checkpoint_state(c.id, "dropped")

    def delete(self, studio, actor, run):
        PlainStore.deleted.append(run.id)


register_store(NAME, PlainStore)


class ThreadProc:
    """What start_process returns, for a worker running in a thread."""

    pid = 0

    def __init__(self, thread: threading.Thread):
        self.thread = thread

    def wait(self, timeout=None):
        self.thread.join(timeout)
        return 0


def thread_launcher(data_dir, results: list, before_step=None):
    """A replacement for launch.start_process that runs the worker in a thread with its own Studio.
    `before_step(worker, step)` is called as each step's metrics arrive (to act at an exact step)."""

    def start_process(command, log_file, message, *, lock_fd, env=None):
        from studio.core.services import Studio
        from studio.core.training.worker import Worker

        buf = io.BytesIO()
        message.write_to(buf)
        buf.seek(0)
        msg = LaunchMessage.read_from(buf)
        run_id = int(command[command.index("--run-id") + 1])
        held = os.dup(lock_fd) if lock_fd is not None else None  # the "child" holds the lock while it runs

        def body():
            try:
                with Studio.open(data_dir, log_to_file=False) as studio, open(log_file, "a") as out:
                    worker = Worker(studio, run_id, msg, out=out)
                    if before_step is not None:
                        original = worker._on_metrics

                        def hooked(m):
                            before_step(worker, m.step)
                            original(m)

                        worker._on_metrics = hooked
                    results.append(worker.run())
            finally:
                if held is not None:
                    os.close(held)

        thread = threading.Thread(target=body, daemon=True)
        thread.start()
        return ThreadProc(thread)

    return start_process
