"""Workers that end without a final status: one that dies before its first step (an import error, a crash
while starting) failed, says why from its log and leaves no empty checkpoint model in the vault; one that dies
later was interrupted, and only a run with a checkpoint is told to resume."""

from __future__ import annotations

import sys

import pytest

# A real child process that ends the way a worker with a broken installation does: a traceback on stderr
# (the run's log) and a non-zero exit, before it ever touches the run.
CRASH = ("import sys; print('Traceback (most recent call last):', file=sys.stderr); "
         "print('  File \"<frozen runpy>\", line 198, in _run_module_as_main', file=sys.stderr); "
         "print(\"ModuleNotFoundError: No module named 'studio.core.nothing'\", file=sys.stderr); sys.exit(1)")


@pytest.fixture
def crashing(monkeypatch):
    """Workers crash at start; returns the real command builder (to put back once "the cause is fixed")."""
    from studio.core.services.runs.service import RunService

    real = RunService._command
    monkeypatch.setattr(RunService, "_command", lambda self, run: [sys.executable, "-c", CRASH])
    return real


def _wait_final(studio, user, run_id):
    done = studio.runs.wait(user, run_id, timeout_s=30, poll_s=0.05)
    assert not done.is_live, done
    return done


def test_a_worker_that_dies_at_start_failed_says_why_and_leaves_no_empty_model(studio, make_user, settings,
                                                                                crashing):
    user = make_user("trainer")
    models_before = studio.vault.list_models(user)
    run = studio.runs.start(user, settings(name="broken", checkpoint_store="vault"))
    assert run.checkpoint_model_id is not None  # the slots were reserved in a model of the run's own
    done = _wait_final(studio, user, run.id)
    assert done.status == "failed"
    assert "ended before its first step: ModuleNotFoundError: No module named 'studio.core.nothing'" in done.message
    assert "resume" not in done.message.lower().replace("to resume from", "")  # nothing to resume
    assert "start it again" in done.message
    assert "Traceback (most recent call last):" in done.error
    assert studio.runs.log_tail(user, run.id)[-1] == "ModuleNotFoundError: No module named 'studio.core.nothing'"
    # No model without versions stays behind (it would become the Compression pane's default).
    assert studio.vault.list_models(user) == models_before
    assert done.checkpoint_model_id is None
    events = [e.message for e in studio.runs.events(user, run.id) if e.kind == "status"]
    assert events[-1].startswith("failed: The worker process ended before its first step")


def test_the_failed_run_can_start_again_and_then_trains(studio, make_user, settings, crashing, monkeypatch,
                                                        data_dir):
    import torch

    from studio.core.services.runs.service import RunService
    from studio.core.training import launch, worker
    from tests.core.runs import fakes

    user = make_user("trainer")
    run = studio.runs.start(user, settings(name="retry", checkpoint_store="vault"))
    _wait_final(studio, user, run.id)
    # The cause is fixed: workers start again (in threads of this process, as in the other run tests).
    monkeypatch.setattr(RunService, "_command", crashing)
    monkeypatch.setattr(worker, "CONTROL_EVERY_S", 0.0)
    monkeypatch.setattr(launch, "start_process", fakes.thread_launcher(data_dir, []))
    threads = torch.get_num_threads()
    try:
        again = studio.runs.resume(user, run.id)  # no checkpoint: it starts over
        done = studio.runs.wait(user, again.id, timeout_s=60, poll_s=0.05)
    finally:
        torch.set_num_threads(threads)
    assert done.status == "completed", done.message
    assert done.checkpoint_model_id is not None  # a new model for the new checkpoints
    assert len(studio.vault.versions(user, done.checkpoint_model_id)) >= 2


def test_a_worker_that_dies_mid_run_is_interrupted_and_told_to_resume_only_with_a_checkpoint(studio, make_user,
                                                                                              settings, in_thread):
    user = make_user("trainer")
    run = studio.runs.start(user, settings())
    studio.runs.wait(user, run.id, timeout_s=60, poll_s=0.05)
    studio.runs.store.update(run.id, status="running")  # as if it died mid-run: no lock holder now
    assert studio.runs.reconcile() == [run.id]
    info = studio.runs.get(user, run.id)
    assert info.status == "interrupted"
    assert "resume the run to continue from its checkpoint of step 12" in info.message

    bare = studio.runs.start(user, settings(name="no-checkpoints", checkpoint_every=0))
    studio.runs.wait(user, bare.id, timeout_s=60, poll_s=0.05)
    with studio.db.session() as s:  # as if it died at step 5, before the final checkpoint
        from studio.core.db.tables.runs import RunCheckpointRow

        s.query(RunCheckpointRow).filter_by(run_id=bare.id).update({"state": "empty", "step": None})
    studio.runs.store.update(bare.id, status="running", step=5)
    studio.runs.reconcile([bare.id])
    info = studio.runs.get(user, bare.id)
    assert info.status == "interrupted" and "at step 5" in info.message
    assert "resume the run" not in info.message and "no checkpoint to resume from" in info.message
