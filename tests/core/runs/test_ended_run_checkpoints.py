"""A run that ends any way but its own (killed from the studio, kill -9 behind its back) leaves no checkpoint
"being written": what its worker wrote becomes an ordinary vault version, the empty slots go."""

import threading

import pytest


class _Killed(BaseException):
    """Ends a worker thread the way SIGKILL ends a worker process: no final status, no settling."""


@pytest.fixture
def dies_at(in_thread, monkeypatch):
    """dies_at(step): the next worker stops dead as that step's metrics arrive. dies_at(step, on_kill=True):
    it waits there until the studio kills it (launch.kill_processes, which cannot signal a thread)."""
    from studio.core.training import launch

    hook = threading.excepthook
    monkeypatch.setattr(threading, "excepthook", lambda a: None if a.exc_type is _Killed else hook(a))
    killed = threading.Event()
    monkeypatch.setattr(launch, "kill_processes", lambda pids: killed.set())
    reached = threading.Event()

    def arm(step, on_kill=False):
        def die(worker, at):
            if at == step:
                reached.set()
                if on_kill:
                    killed.wait(60)
                raise _Killed

        in_thread.before_step = die
        return reached

    return arm


def _dead_run(studio, user, settings, dies_at):
    dies_at(7)  # after the checkpoint of step 4, before the one of step 8
    run = studio.runs.start(user, settings(name="doomed", checkpoint_store="vault"))
    from studio.core.training import launch

    assert launch.wait_released(studio.paths.run_dir(run.id), 60)
    assert studio.runs.store.get(run.id).status == "running"  # what the dead worker left
    return run


def _listed(studio, user, model_id):
    return next(m for m in studio.vault.list_models(user) if m.id == model_id)


def test_a_killed_run_keeps_its_written_checkpoint_and_nothing_stays_being_written(studio, make_user, settings,
                                                                                    dies_at):
    user = make_user("trainer")
    reached = dies_at(7, on_kill=True)
    run = studio.runs.start(user, settings(name="doomed", checkpoint_store="vault"))
    assert reached.wait(60)
    studio.runs.kill(user, run.id)
    done = studio.runs.store.get(run.id)
    assert done.status == "stopped"
    m = _listed(studio, user, done.checkpoint_model_id)
    assert m.writing is None  # the Vault would show "being written" for ever
    assert m.latest is not None and m.latest.metadata["step"] == 4
    assert {c.state for c in studio.runs.checkpoints(user, run.id, usable_only=False)} <= {"kept", "dropped"}
    assert {v.metadata["step"] for v in studio.vault.versions(user, done.checkpoint_model_id)} == {4}  # last, best


def test_a_worker_killed_behind_the_studios_back_is_settled_before_the_vault_lists_its_model(studio, make_user,
                                                                                          settings, dies_at):
    user = make_user("trainer")
    run = _dead_run(studio, user, settings, dies_at)
    model_id = studio.runs.store.get(run.id).checkpoint_model_id
    m = _listed(studio, user, model_id)  # nobody asked the runs first: the listing finds the dead worker
    assert m.writing is None and m.latest is not None and m.latest.metadata["step"] == 4
    assert studio.runs.store.get(run.id).status == "interrupted"


def test_settling_again_after_a_worker_died_half_way_through_its_own_settling(studio, make_user, settings,
                                                                             dies_at):
    """The worker committed a version, then died before it recorded that: the studio's settling finishes the
    rest instead of stopping at the version it finds committed."""
    from studio.core.actor import SYSTEM
    from studio.core.training.checkpoints import store_named

    user = make_user("trainer")
    run = _dead_run(studio, user, settings, dies_at)
    info = studio.runs.store.get(run.id)
    written = [c for c in studio.runs.store.checkpoints(run.id) if c.state == "written"]
    assert written
    studio.vault.commit_version(SYSTEM, int(written[0].ref["version_id"]))
    store_named("vault").settle(studio, SYSTEM, info, studio.runs.store.checkpoints(run.id))
    m = _listed(studio, user, info.checkpoint_model_id)
    assert m.writing is None and m.latest is not None
    assert {c.state for c in studio.runs.store.checkpoints(run.id)} <= {"kept", "dropped"}

