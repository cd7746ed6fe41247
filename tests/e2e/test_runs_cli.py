"""`studio runs ...` and `studio sample` in-process (main(argv)) over runs whose workers are real processes
(started through tests/e2e/run_boot.py so they know the test checkpoint store)."""

from __future__ import annotations

import json
import sys
import time

import pytest

from tests.conftest import TEST_PASSWORD
from tests.e2e.run_boot import use_boot
from tests.e2e.test_accounts_cli import cli  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow


@pytest.fixture
def root(cli, studio, monkeypatch):  # noqa: F811
    use_boot(monkeypatch)
    return studio.accounts.login("root", TEST_PASSWORD)


def test_runs_verbs_list_show_pause_resume_stop_log_delete(cli, studio, root, settings):  # noqa: F811
    run = studio.runs.start(root, settings(name="cli-run", train={"max_steps": 400, "eval_every": 100},
                                           checkpoint_every=50))
    code, out, err = cli("runs", "pause", "cli-run", "--wait", "60", "--user", "root")
    assert code == 0, err
    assert "paused" in out
    code, out, _ = cli("runs", "list", "--json", "--user", "root")
    listed = json.loads(out)
    assert [r["name"] for r in listed] == ["cli-run"] and listed[0]["status"] == "paused"
    code, out, _ = cli("runs", "show", str(run.id), "--user", "root")
    assert code == 0 and "Run cli-run" in out and "paused" in out and "model: 2 layers" in out
    code, out, _ = cli("runs", "resume", "cli-run", "--user", "root")
    assert code == 0
    code, out, _ = cli("runs", "stop", "cli-run", "--wait", "120", "--user", "root")
    assert code == 0 and "stopped" in out
    info = studio.runs.get(root, run.id)
    assert info.status == "stopped" and max(c.step for c in studio.runs.checkpoints(root, run.id)) == info.step
    code, out, _ = cli("runs", "log", "cli-run", "--user", "root")
    assert code == 0 and "control: pause" in out and "stopped" in out
    code, out, _ = cli("runs", "log", "cli-run", "--json", "--tail", "200", "--user", "root")
    logged = json.loads(out)
    assert code == 0 and "stopped" in logged["text"] and len(logged["text"]) <= 200
    code, out, err = cli("runs", "pause", "cli-run", "--user", "root")
    assert code == 1 and "cannot be asked to pause" in err
    code, out, _ = cli("runs", "show", "cli-run", "--json", "--user", "root")
    shown = json.loads(out)
    assert shown["run"]["status"] == "stopped" and shown["checkpoints"]
    # run names are the owner's: by name, a run bob cannot see answers as one nobody has; by id, the policy
    studio.accounts.create_user(root, "bob", "trainer", TEST_PASSWORD)
    for verb in (["show"], ["log"], ["resume"], ["delete", "--yes"]):
        code, _, err = cli("runs", *verb, "cli-run", "--user", "bob")
        assert code == 1 and "There is no run 'cli-run'" in err, (verb, err)
    code, _, err = cli("runs", "show", str(run.id), "--user", "bob")
    assert code == 4 and "may not do run.read" in err
    code, out, err = cli("runs", "delete", "cli-run", "--user", "root")  # no terminal to ask
    assert code == 1 and "cannot be undone: add --yes" in err
    assert cli("runs", "show", "cli-run", "--user", "root")[0] == 0
    code, out, _ = cli("runs", "delete", "cli-run", "--yes", "--user", "root")
    assert code == 0 and "Deleted run cli-run" in out
    code, out, err = cli("runs", "show", "cli-run", "--user", "root")
    assert code == 1 and "There is no run" in err


def test_runs_kill_ends_the_worker_at_once(cli, studio, root, settings):  # noqa: F811
    run = studio.runs.start(root, settings(name="to-kill", train={"max_steps": 100000}))
    deadline = time.monotonic() + 120
    while studio.runs.get(root, run.id).step < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    pid = studio.runs.get(root, run.id).pid
    code, out, err = cli("runs", "kill", "to-kill", "--user", "root")
    assert code == 0, err
    info = studio.runs.get(root, run.id)
    assert info.status == "stopped" and "Killed by root" in info.message
    import os

    with pytest.raises(ProcessLookupError):
        for _ in range(100):
            os.kill(pid, 0)  # gone (reaped by the service's thread)
            time.sleep(0.05)


def test_train_says_why_a_worker_died_before_its_first_step(cli, studio, root, small_dataset, monkeypatch):  # noqa: F811
    from studio.core.services.runs.service import RunService
    from tests.core.runs.test_dead_workers import CRASH

    small_dataset(root)
    monkeypatch.setattr(RunService, "_command", lambda self, run: [sys.executable, "-c", CRASH])
    code, out, err = cli("train", "--dataset", "stories", "--steps", "5", "--layers", "1", "--heads", "1",
                         "--width", "16", "--context", "16", "--batch-size", "2", "--threads", "1", "--user", "root")
    assert code == 1, out + err
    assert "failed: The worker process ended before its first step: ModuleNotFoundError" in out
    tail = out[out.index("The last lines of its log:"):]
    assert "Traceback (most recent call last):" in tail and "No module named 'studio.core.nothing'" in tail
