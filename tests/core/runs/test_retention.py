"""A run keeps its last K checkpoints and its best over all its attempts: an interrupted and resumed run kept
every attempt's slots (6 checkpoints instead of the last 2 and the best, issue 14)."""

from __future__ import annotations

from datetime import datetime

from studio.core.stores.runs import CheckpointInfo
from studio.core.training.checkpoints import CheckpointPolicy, retained


def _c(id, slot, step, val=None, state="kept"):
    return CheckpointInfo(id, 1, 1 + id // 10, slot, state, step, 1.0, val, 10, datetime(2026, 1, 1), {})


def test_retained_is_the_latest_rolling_ones_and_the_best_over_attempts():
    policy = CheckpointPolicy(every=4, keep_last=2, keep_best=True)
    first = [_c(1, "last-0", 8), _c(2, "last-1", 4), _c(3, "best", 8, 1.5)]
    second = [_c(11, "last-0", 12), _c(12, "last-1", 16), _c(13, "best", 12, 1.4), _c(14, "last-0", None, state="empty")]
    assert retained(policy, first + second) == {11, 12, 13}
    assert retained(policy, first + [_c(13, "best", 12, 1.6)]) == {1, 2, 3}  # the better best stays
    assert retained(CheckpointPolicy(4, 3, False), first + second) == {11, 12, 1}


def test_an_interrupted_and_resumed_run_keeps_its_last_two_and_the_best(studio, make_user, settings, in_thread):
    user = make_user("trainer")

    def stop_at_10(worker, step):
        if step == 10:
            studio.runs.stop(user, worker.run_id)

    in_thread.before_step = stop_at_10
    run = studio.runs.start(user, settings(checkpoint_store="vault", train={"max_steps": 20, "eval_every": 2}))
    assert studio.runs.wait(user, run.id, timeout_s=60, poll_s=0.05).step == 10
    in_thread.before_step = None
    studio.runs.resume(user, run.id)
    done = studio.runs.wait(user, run.id, timeout_s=60, poll_s=0.05)
    assert done.status == "completed" and done.attempt == 2
    kept = studio.runs.checkpoints(user, run.id)
    assert sorted(c.step for c in kept if not c.is_best) == [16, 20]
    best = [c for c in kept if c.is_best]
    assert len(best) == 1 and best[0].val_loss == done.best_val_loss
    versions = studio.vault.versions(user, done.checkpoint_model_id)
    assert len(versions) == 3  # the vault holds exactly what the run keeps
    from studio.core.training.checkpoints import store_named

    for c in kept:  # and each still loads
        assert store_named("vault").read(studio, user, done, c).meta["step"] == c.step
