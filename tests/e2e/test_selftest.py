import json
import threading
from pathlib import Path

import pytest

from tests.e2e.test_cli import studio


@pytest.mark.slow
def test_self_test_passes_every_step_and_prints_one_line_per_step(tmp_path):
    """The whole check, as the installed app runs it: a user, the sample, 20 steps in a worker process, the
    vault, generation, int8, the audit chain."""
    from studio.core.selftest import STEPS

    result = studio("self-test", data_dir=tmp_path / "unused")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [ln for ln in result.stdout.splitlines() if ln.split()[:1] in (["ok"], ["FAILED"], ["skipped"])]
    assert all(ln.split(None, 1)[1].startswith(name) for ln, (name, _) in zip(lines, STEPS, strict=True))
    assert all(ln.startswith("ok") for ln in lines), result.stdout
    out = result.stdout
    assert "20 steps in worker pid" in out and "encrypted at rest" in out and "int8" in out
    assert "The audit log is intact" in out
    assert out.strip().endswith("self-test passed")
    assert not (tmp_path / "unused").exists()  # it works in a temporary folder, not the user's data


def test_self_test_reports_a_failing_step_and_skips_the_rest(monkeypatch):
    from studio.core import selftest

    def broken(t):
        raise RuntimeError("no disk")

    monkeypatch.setattr(selftest, "STEPS", [("first", broken), ("second", lambda t: "never")])
    results = selftest.run_self_test()
    assert [(r.name, r.status) for r in results] == [("first", "failed"), ("second", "skipped")]
    assert "no disk" in results[0].detail


def test_self_test_json(monkeypatch, capsys):
    from studio.cli.main import main
    from studio.core import selftest

    monkeypatch.setattr(selftest, "STEPS", [("one", lambda t: "fine"), ("two", lambda t: "also fine")])
    assert main(["self-test", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert [(s["name"], s["status"], s["detail"]) for s in report["steps"]] == [("one", "ok", "fine"),
                                                                                  ("two", "ok", "also fine")]


def _dead(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


@pytest.mark.slow
def test_cancelling_during_training_leaves_no_worker_behind(monkeypatch):
    from studio.core import selftest
    from studio.core.errors import Cancelled
    from studio.core.tasks import TaskState

    state, pids, results = TaskState(), [], []
    real_stop = selftest._stop_live_runs

    def stop_and_note(studio_, user):
        pids.extend(r.pid for r in studio_.runs.live_runs(user))
        real_stop(studio_, user)

    def cancel_once_training(result):
        results.append(result)
        if result.name == "import the sample dataset":
            threading.Timer(1.5, state.cancel).start()

    monkeypatch.setattr(selftest, "_stop_live_runs", stop_and_note)
    monkeypatch.setattr(selftest, "WORKER_TIMEOUT_S", 120)
    monkeypatch.setattr(selftest, "STEPS", [s if not s[0].startswith("train") else
                                            (s[0], _slow_train(s[1])) for s in selftest.STEPS])
    with pytest.raises(Cancelled):
        selftest.run_self_test(on_result=cancel_once_training, state=state)
    train = next(r for r in results if r.name.startswith("train"))
    assert train.status == "failed" and "Cancel" in train.detail, train
    assert pids and all(_dead(p) for p in pids)


def _slow_train(train):
    """The same step, with enough steps that the cancel lands while the worker trains."""
    def slow(t):
        from studio.core import selftest

        original = selftest.TRAIN_STEPS
        selftest.TRAIN_STEPS = 5000
        try:
            return train(t)
        finally:
            selftest.TRAIN_STEPS = original

    return slow
