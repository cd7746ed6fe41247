"""Training runs with real worker processes: kill -9 at a random step, two runs at once on one database,
torchrun with two CPU processes (gloo), two nodes. Checkpoints are encrypted in the vault."""

import os
import random
import signal
import time

import numpy as np
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture
def vaulted(settings):
    """Settings for runs whose workers are started as in production, with checkpoints in the vault."""

    def vaulted(**changes):
        return settings(checkpoint_store="vault", **changes)

    return vaulted


def _wait_step(studio, user, run_id, step, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = studio.runs.get(user, run_id)
        if info.step >= step or not info.is_live:
            return info
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not reach step {step}: {info}")


def _exits(pid, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                return True
        except FileNotFoundError:
            return True
        time.sleep(0.1)
    return False


def _curve(studio, user, run_id, name="train_loss"):
    return studio.runs.metrics(user, run_id, [name])[name]


def test_kill_9_at_a_random_step_interrupts_only_that_run_and_it_resumes_exactly(studio, make_user, settings,
                                                                                   vaulted):
    user = make_user("trainer")
    steps = 120
    cfg = dict(train={"max_steps": steps, "eval_every": 40}, checkpoint_every=10)
    victim = studio.runs.start(user, vaulted(name="victim", **cfg))
    bystander = studio.runs.start(user, vaulted(name="bystander", **cfg))
    at = random.Random().randint(25, 70)
    seen = _wait_step(studio, user, victim.id, at)
    assert seen.status == "running", seen.message
    pid = studio.runs.get(user, victim.id).pid
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while studio.runs.get(user, victim.id).is_live and time.monotonic() < deadline:
        time.sleep(0.1)
    dead = studio.runs.get(user, victim.id)
    assert dead.status == "interrupted", dead.message
    assert "resume" in dead.message.lower()
    curve = _curve(studio, user, victim.id)
    # every point up to the last written batch is there, in order, none missing
    assert len(curve) >= seen.step and np.array_equal(curve.steps, np.arange(1, len(curve) + 1))
    last_ckpt = max(c.step for c in studio.runs.checkpoints(user, victim.id))
    assert last_ckpt >= 20 and last_ckpt % 10 == 0
    other = studio.runs.wait(user, bystander.id, timeout_s=300, poll_s=0.2)
    assert other.status == "completed", other.message  # unaffected
    studio.runs.resume(user, victim.id)
    done = studio.runs.wait(user, victim.id, timeout_s=300, poll_s=0.2)
    assert done.status == "completed", done.message
    a, b = _curve(studio, user, victim.id), _curve(studio, user, bystander.id)
    np.testing.assert_array_equal(a.steps, np.arange(1, steps + 1))
    np.testing.assert_allclose(a.values, b.values, rtol=0, atol=1e-6)  # same settings: the same losses
    log_text, _ = studio.runs.read_log(user, victim.id)
    assert f"start at step {last_ckpt}" in log_text


def test_two_runs_at_once_lose_no_metric_rows(studio, make_user, settings, vaulted):
    user = make_user("trainer")
    runs = [studio.runs.start(user, vaulted(name=f"twin-{i}", train={"max_steps": 150, "eval_every": 50,
                                                                      "seed": i}))
            for i in range(2)]
    # meanwhile the user reads and controls them (audited writes, synchronous=FULL) while both workers write
    for _ in range(6):
        for r in runs:
            info = studio.runs.get(user, r.id)
            if info.status == "running":
                studio.runs.pause(user, r.id)
            elif info.status == "paused":
                studio.runs.resume(user, r.id)
            studio.runs.metrics(user, r.id, after_step=max(0, info.step - 5))
        time.sleep(0.3)

    def unpause(info):  # a pause asked for in the loop above may take effect only now
        if info.status == "paused":
            studio.runs.resume(user, info.id)

    for r in runs:
        done = studio.runs.wait(user, r.id, timeout_s=300, poll_s=0.2, on_update=unpause)
        assert done.status == "completed", done.message + (done.error or "")
        curves = studio.runs.metrics(user, r.id)
        for name in ("train_loss", "lr", "grad_norm", "tokens_per_s", "tokens_seen", "elapsed_s"):
            np.testing.assert_array_equal(curves[name].steps, np.arange(1, 151))
        np.testing.assert_array_equal(curves["val_loss"].steps, [50, 100, 150])
        text, _ = studio.runs.read_log(user, r.id)
        assert "locked" not in text.lower()


def test_torchrun_two_cpu_processes_complete_with_metrics_and_a_checkpoint(studio, make_user, settings, vaulted):
    user = make_user("trainer")
    run = studio.runs.start(user, vaulted(nproc=2, train={"max_steps": 8, "eval_every": 4}))
    done = studio.runs.wait(user, run.id, timeout_s=300, poll_s=0.2)
    log_text, _ = studio.runs.read_log(user, run.id)
    assert done.status == "completed", log_text
    assert done.system["world_size"] == 2 and len(done.system["pids"]) == 3  # torchrun + 2 ranks
    assert done.tokens_seen == 8 * 4 * 12 * 2  # both ranks' batches count
    assert _exits(done.pid, timeout=30)
    log_text, _ = studio.runs.read_log(user, run.id)
    assert "a worker failed" not in log_text and "terminate called" not in log_text, log_text  # ranks left cleanly
    curve = _curve(studio, user, run.id)
    np.testing.assert_array_equal(curve.steps, np.arange(1, 9))
    ckpts = studio.runs.checkpoints(user, run.id)
    assert 8 in [c.step for c in ckpts]
    from studio.core.training.checkpoints import store_named

    state = store_named("vault").read(studio, user, done, max(ckpts, key=lambda c: c.step))
    assert state.meta["world_size"] == 2 and len(state.meta["samplers"]) == 2
    assert state.meta["samplers"][0] != state.meta["samplers"][1]  # each rank drew its own batches


def test_a_run_over_two_nodes_joined_on_this_machine(studio, make_user, settings, vaulted):
    """--nnodes pass-through: node 0 starts the run, `runs join --node-rank 1` starts node 1 (here both on
    this machine, gloo over loopback)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    user = make_user("trainer")
    run = studio.runs.start(user, vaulted(nnodes=2, master_addr="127.0.0.1", master_port=port,
                                           train={"max_steps": 6, "eval_every": 3}))
    studio.runs.join(user, run.id, node_rank=1)
    done = studio.runs.wait(user, run.id, timeout_s=300, poll_s=0.2)
    log_text, _ = studio.runs.read_log(user, run.id)
    assert done.status == "completed", log_text
    assert done.system["world_size"] == 2 and done.tokens_seen == 6 * 4 * 12 * 2
    node1_log = (studio.paths.run_dir(run.id) / "run-node1.log").read_text()
    # every rank leaves cleanly (a rank aborting at exit left node 0's torchrun waiting 5 minutes, holding the lock)
    assert "FAILED" not in node1_log and "terminate called" not in node1_log, node1_log
    assert _exits(done.pid, timeout=30), "node 0's torchrun outlived its run"


def test_kill_ends_torchrun_and_every_rank(studio, make_user, vaulted):
    user = make_user("trainer")
    run = studio.runs.start(user, vaulted(nproc=2, train={"max_steps": 100000}))
    info = _wait_step(studio, user, run.id, 2)
    assert info.status == "running"
    pids = [info.pid, *info.system["pids"]]
    assert len(set(pids)) == 3
    killed = studio.runs.kill(user, run.id)
    assert killed.status == "stopped" and "Killed by" in killed.message
    deadline = time.monotonic() + 30
    alive = set(pids)
    while alive and time.monotonic() < deadline:
        for pid in list(alive):
            try:
                os.kill(pid, 0)
                if open(f"/proc/{pid}/stat").read().split()[2] == "Z":
                    alive.discard(pid)  # a zombie: dead, waiting for its parent
            except (ProcessLookupError, FileNotFoundError):
                alive.discard(pid)
        time.sleep(0.1)
    assert not alive
