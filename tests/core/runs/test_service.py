"""The run service with workers in threads (tests/core/runs/fakes.py): start, watch, control, checkpoints,
exact resume, failures. The same worker in real processes is tested in tests/e2e/test_runs.py."""

import numpy as np
import pytest

from studio.core.errors import AccessDenied, ConflictError, ValidationError
from studio.core.services.runs import RunSettings


def test_a_run_completes_with_metrics_checkpoints_events_and_log(studio, make_user, settings, in_thread):
    user = make_user("trainer")
    plan = studio.runs.plan(user, settings(), estimate="flops")
    from studio.core.models.config import parameter_count

    assert plan.parameters == parameter_count(plan.model_config) > 0 and plan.estimate.step_time_s > 0
    run = studio.runs.start(user, settings(name="first"))
    assert run.status == "queued" and run.name == "first"
    done = studio.runs.wait(user, run.id, timeout_s=60, poll_s=0.05)
    assert in_thread.codes == [0]
    assert done.status == "completed", done.message
    assert done.step == 12 and done.max_steps == 12 and done.tokens_seen == 12 * 4 * 12
    assert done.best_val_loss is not None and done.train_loss is not None
    curves = studio.runs.metrics(user, run.id)
    np.testing.assert_array_equal(curves["train_loss"].steps, np.arange(1, 13))
    np.testing.assert_array_equal(curves["val_loss"].steps, [4, 8, 12])
    assert len(curves["lr"]) == len(curves["grad_norm"]) == len(curves["tokens_per_s"]) == 12
    ckpts = studio.runs.checkpoints(user, run.id)
    steps = sorted(c.step for c in ckpts if not c.is_best)
    assert steps == [8, 12]  # every 4 steps, the last two kept
    best = [c for c in ckpts if c.is_best]
    assert len(best) == 1 and best[0].val_loss == pytest.approx(done.best_val_loss)
    kinds = [e.message.split(":")[0] for e in studio.runs.events(user, run.id) if e.kind == "status"]
    assert kinds == ["queued", "running", "completed"]
    text, _ = studio.runs.read_log(user, run.id)
    assert "step 12/12" in text and "completed" in text
    assert done.system["device"] == "cpu" and done.system["threads"] == 1


def test_settings_are_validated_before_anything_is_made(studio, make_user, settings, in_thread):
    user = make_user("trainer")
    with pytest.raises(ValidationError) as info:
        studio.runs.start(user, settings(train={"lr": 0}))
    assert info.value.field == "lr"
    with pytest.raises(ValidationError) as info:
        studio.runs.start(user, settings(model={"n_layer": 2, "n_head": 3, "n_embd": 16, "block_size": 16}))
    assert info.value.field == "n_head"
    with pytest.raises(ValidationError) as info:
        studio.runs.start(user, settings(train={"seq_len": 64}))
    assert info.value.field == "seq_len"
    with pytest.raises(ValidationError):
        studio.runs.plan(user, RunSettings())  # no dataset
    assert studio.runs.list(user) == [] and in_thread.codes == []


def test_viewers_cannot_start_runs_and_others_cannot_see_them(studio, make_user, settings, in_thread):
    owner, other, viewer = make_user("trainer"), make_user("trainer"), make_user("viewer")
    with pytest.raises(AccessDenied):
        studio.runs.start(viewer, settings())
    run = studio.runs.start(owner, settings())
    studio.runs.wait(owner, run.id, timeout_s=60, poll_s=0.05)
    assert [r.id for r in studio.runs.list(owner)] == [run.id]
    assert studio.runs.list(other) == []
    with pytest.raises(AccessDenied):
        studio.runs.metrics(other, run.id)
    with pytest.raises(AccessDenied):
        studio.runs.delete(other, run.id)


def _losses(studio, user, run_id):
    c = studio.runs.metrics(user, run_id, ["train_loss", "val_loss"])
    return c["train_loss"], c["val_loss"]


def test_stop_then_resume_gives_the_same_loss_at_every_step(studio, make_user, settings, in_thread):
    user = make_user("trainer")
    straight = studio.runs.start(user, settings(train={"max_steps": 20}))
    studio.runs.wait(user, straight.id, timeout_s=60, poll_s=0.05)

    def stop_at_7(worker, step):
        if step == 7:
            studio.runs.stop(user, worker.run_id)

    in_thread.before_step = stop_at_7
    split = studio.runs.start(user, settings(train={"max_steps": 20}))
    stopped = studio.runs.wait(user, split.id, timeout_s=60, poll_s=0.05)
    assert stopped.status == "stopped" and stopped.step == 7, stopped.message
    assert max(c.step for c in studio.runs.checkpoints(user, split.id)) == 7  # the final checkpoint
    in_thread.before_step = None
    studio.runs.resume(user, split.id)
    done = studio.runs.wait(user, split.id, timeout_s=60, poll_s=0.05)
    assert done.status == "completed" and done.step == 20 and done.attempt == 2, studio.runs.read_log(user, split.id)[0]
    (a_train, a_val), (b_train, b_val) = _losses(studio, user, straight.id), _losses(studio, user, split.id)
    np.testing.assert_array_equal(a_train.steps, b_train.steps)
    np.testing.assert_allclose(b_train.values, a_train.values, rtol=0, atol=1e-6)
    np.testing.assert_allclose(b_val.values, a_val.values, rtol=0, atol=1e-6)


def test_pause_holds_and_resume_continues_unchanged(studio, make_user, settings, in_thread):
    user = make_user("trainer")
    straight = studio.runs.start(user, settings())
    studio.runs.wait(user, straight.id, timeout_s=60, poll_s=0.05)
    seen = {}

    def pause_at_5(worker, step):
        if step == 5:
            studio.runs.pause(user, worker.run_id)

    in_thread.before_step = pause_at_5
    run = studio.runs.start(user, settings())
    for _ in range(400):
        seen = studio.runs.get(user, run.id)
        if seen.status == "paused":
            break
        import time

        time.sleep(0.02)
    assert seen.status == "paused" and seen.step == 5
    with pytest.raises(ConflictError):
        studio.runs.delete(user, run.id)  # live
    studio.runs.resume(user, run.id)
    done = studio.runs.wait(user, run.id, timeout_s=60, poll_s=0.05)
    assert done.status == "completed" and done.attempt == 1  # the same worker went on
    np.testing.assert_allclose(_losses(studio, user, run.id)[0].values, _losses(studio, user, straight.id)[0].values,
                               rtol=0, atol=1e-6)
    statuses = [e.message.split(":")[0] for e in studio.runs.events(user, run.id) if e.kind == "status"]
    assert statuses == ["queued", "running", "paused", "running", "completed"]


def test_a_full_disk_fails_the_run_clearly_and_keeps_the_previous_checkpoint(studio, make_user, settings,
                                                                             in_thread):
    from tests.core.runs.fakes import PlainStore

    user = make_user("trainer")
    PlainStore.fail_after = [2]  # the checkpoint of step 4 and the best of step 4 go through, then ENOSPC
    try:
        run = studio.runs.start(user, settings())
        done = studio.runs.wait(user, run.id, timeout_s=60, poll_s=0.05)
    finally:
        PlainStore.fail_after = None
    assert done.status == "failed"
    assert "Could not write the checkpoint of step 8" in done.message
    assert "No space left on device" in done.message and "step 4, is intact" in done.message
    assert done.step == 8  # it did not go on without checkpoints
    kept = [c for c in studio.runs.checkpoints(user, run.id) if not c.is_best]
    assert [c.step for c in kept] == [4]
    from studio.core.training.state import read_state

    state = read_state(open(kept[0].ref["file"], "rb").read())
    assert state.meta["step"] == 4
    assert len(studio.runs.metrics(user, run.id)["train_loss"]) == 8  # metrics up to the failure kept
    studio.runs.resume(user, run.id)  # and it resumes from step 4
    assert studio.runs.wait(user, run.id, timeout_s=60, poll_s=0.05).status == "completed"


def test_divergence_ends_the_run_with_advice(studio, make_user, settings, in_thread):
    user = make_user("trainer")
    run = studio.runs.start(user, settings(train={"lr": 1e6, "grad_clip": 0, "warmup_steps": 0,
                                                  "optimizer": "sgd"}))
    done = studio.runs.wait(user, run.id, timeout_s=60, poll_s=0.05)
    assert done.status == "diverged"
    assert "lower learning rate" in done.message


def test_delete_removes_metrics_events_and_checkpoints(studio, make_user, settings, in_thread):
    from tests.core.runs.fakes import PlainStore

    user = make_user("trainer")
    run = studio.runs.start(user, settings())
    studio.runs.wait(user, run.id, timeout_s=60, poll_s=0.05)
    studio.runs.delete(user, run.id)
    assert run.id in PlainStore.deleted
    assert studio.runs.list(user) == []
    with studio.db.engine.connect() as conn:
        for table in ("run_metrics", "run_metric_blocks", "run_events", "run_checkpoints"):
            assert conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() == 0
    assert not studio.paths.run_dir(run.id).exists()
