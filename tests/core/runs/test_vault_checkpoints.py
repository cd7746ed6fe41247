"""Checkpoints encrypted in the vault (the real store), with workers in threads."""

import numpy as np
import pytest

from studio.core.errors import StudioError


@pytest.fixture
def vault_settings(settings):
    def make(**changes):
        return settings(checkpoint_store="vault", **changes)

    return make


def _plaintext_anywhere(root, needles=(b"transformer.wte", b"optim/", b"studio.training_state")):
    found = []
    for path in root.rglob("*"):
        if path.is_file() and path.name != "studio.db" and "tokens" not in path.parts:
            data = path.read_bytes()
            found += [f"{path.name}: {n!r}" for n in needles if n in data]
    return found


def test_checkpoints_are_vault_versions_encrypted_on_disk(studio, make_user, vault_settings, in_thread, data_dir):
    user = make_user("trainer")
    run = studio.runs.start(user, vault_settings(name="vaulted"))
    done = studio.runs.wait(user, run.id, timeout_s=60, poll_s=0.05)
    assert done.status == "completed", done.message
    ckpts = studio.runs.checkpoints(user, run.id)
    assert {c.state for c in ckpts} == {"kept"}  # committed by the worker at its end
    assert sorted(c.step for c in ckpts if not c.is_best) == [8, 12]
    versions = studio.vault.versions(user, done.checkpoint_model_id)
    assert len(versions) == 3 and {v.kind for v in versions} == {"checkpoint"}
    assert {a.name for a in versions[0].artifacts} == {"model.safetensors", "training-state.safetensors",
                                                       "training-state.json", "config.json", "tokenizer.json"}
    assert studio.vault.show(user, done.checkpoint_model_id).model.name == "vaulted (run 1)"
    assert _plaintext_anywhere(data_dir) == []
    # the weights of the last checkpoint are the model the run ended with
    from studio.core.training.checkpoints import store_named

    last = max((c for c in ckpts if not c.is_best), key=lambda c: c.step)
    state = store_named("vault").read(studio, user, done, last)
    assert state.meta["step"] == 12 and "model/transformer.wte.weight" in state.tensors


def test_stop_and_resume_through_the_vault_is_exact(studio, make_user, vault_settings, in_thread):
    user = make_user("trainer")
    straight = studio.runs.start(user, vault_settings(train={"max_steps": 16}))
    studio.runs.wait(user, straight.id, timeout_s=60, poll_s=0.05)

    def stop_at_6(worker, step):
        if step == 6:
            studio.runs.stop(user, worker.run_id)

    in_thread.before_step = stop_at_6
    split = studio.runs.start(user, vault_settings(train={"max_steps": 16}))
    assert studio.runs.wait(user, split.id, timeout_s=60, poll_s=0.05).step == 6
    in_thread.before_step = None
    studio.runs.resume(user, split.id)
    done = studio.runs.wait(user, split.id, timeout_s=60, poll_s=0.05)
    assert done.status == "completed" and done.attempt == 2
    a = studio.runs.metrics(user, straight.id, ["train_loss"])["train_loss"]
    b = studio.runs.metrics(user, split.id, ["train_loss"])["train_loss"]
    np.testing.assert_allclose(b.values, a.values, rtol=0, atol=1e-6)
    # both attempts' checkpoints are in the vault, the empty slots were abandoned
    kept = [c for c in studio.runs.checkpoints(user, split.id, usable_only=False) if c.state == "kept"]
    assert len(studio.vault.versions(user, done.checkpoint_model_id)) == len(kept)


def test_a_failed_vault_write_keeps_the_previous_checkpoint_loadable(studio, make_user, vault_settings,
                                                                     in_thread, monkeypatch):
    from studio.core.training.checkpoints import store_named
    from studio.core.vault import worker as vault_worker

    calls = {"n": 0}
    real = vault_worker.save_tensors

    def failing(ticket, tensors, metadata=None):
        calls["n"] += 1
        if calls["n"] > 4:  # two checkpoints of step 4 (last, best) pass; then the disk is full
            raise OSError(28, "No space left on device")
        return real(ticket, tensors, metadata)

    monkeypatch.setattr(vault_worker, "save_tensors", failing)
    user = make_user("trainer")
    run = studio.runs.start(user, vault_settings())
    done = studio.runs.wait(user, run.id, timeout_s=60, poll_s=0.05)
    assert done.status == "failed" and "step 4, is intact" in done.message
    usable = studio.runs.checkpoints(user, run.id)
    assert sorted(c.step for c in usable) == [4, 4] and {c.state for c in usable} == {"kept"}
    state = store_named("vault").read(studio, user, done, usable[0])
    assert state.meta["step"] == 4
    monkeypatch.setattr(vault_worker, "save_tensors", real)
    studio.runs.resume(user, run.id)
    assert studio.runs.wait(user, run.id, timeout_s=60, poll_s=0.05).status == "completed"


def test_deleting_a_run_crypto_shreds_its_checkpoints(studio, make_user, vault_settings, in_thread):
    user = make_user("trainer")
    run = studio.runs.start(user, vault_settings())
    done = studio.runs.wait(user, run.id, timeout_s=60, poll_s=0.05)
    studio.runs.delete(user, run.id)
    with pytest.raises(StudioError):
        studio.vault.show(user, done.checkpoint_model_id)
    assert not list((studio.paths.vault / "blobs").glob("*.msv"))


def test_a_grant_on_the_checkpoint_model_lets_a_viewer_read_the_run(studio, make_user, vault_settings, in_thread):
    owner, viewer = make_user("trainer"), make_user("viewer")
    run = studio.runs.start(owner, vault_settings())
    done = studio.runs.wait(owner, run.id, timeout_s=60, poll_s=0.05)
    assert studio.runs.list(viewer) == []
    studio.grants.add(owner, viewer.user_name, "model", done.checkpoint_model_id, "use")
    assert [r.id for r in studio.runs.list(viewer)] == [run.id]
    assert len(studio.runs.metrics(viewer, run.id)["train_loss"]) == 12
    from studio.core.errors import AccessDenied

    with pytest.raises(AccessDenied):
        studio.runs.stop(viewer, run.id)


def test_a_pause_writes_a_checkpoint_of_its_step_that_can_be_read_while_paused(studio, make_user, vault_settings,
                                                                               in_thread):
    import time

    from studio.core.training.checkpoints import store_named

    user = make_user("trainer")

    def pause_at_5(worker, step):
        if step == 5:
            studio.runs.pause(user, worker.run_id)

    in_thread.before_step = pause_at_5
    run = studio.runs.start(user, vault_settings(train={"max_steps": 12}))
    deadline = time.monotonic() + 60
    while studio.runs.get(user, run.id).status != "paused" and time.monotonic() < deadline:
        time.sleep(0.02)
    paused = studio.runs.get(user, run.id)
    assert paused.status == "paused" and paused.step == 5 and "checkpoint of step 5 written" in paused.message
    at_pause = next(c for c in studio.runs.checkpoints(user, run.id) if c.step == 5 and not c.is_best)
    assert at_pause.state == "written"  # a slot the worker holds, not committed
    state = store_named("vault").read(studio, user, paused, at_pause)  # read while paused
    assert state.meta["step"] == 5 and "model/transformer.wte.weight" in state.tensors
    from dataclasses import replace

    with pytest.raises(StudioError, match="still being written"):  # a running worker may rewrite its slots
        store_named("vault").read(studio, user, replace(paused, status="running"), at_pause)
    in_thread.before_step = lambda worker, step: None  # the same worker goes on: its hook stays, doing nothing
    studio.runs.resume(user, run.id)
    done = studio.runs.wait(user, run.id, timeout_s=60, poll_s=0.05)
    assert done.status == "completed", done.message


def test_each_user_sees_only_the_samples_they_kept(studio, make_user, vault_settings, in_thread):
    import json

    from studio.core.errors import AccessDenied, ValidationError

    owner, viewer, stranger = make_user("trainer"), make_user("viewer"), make_user("trainer")
    run = studio.runs.start(owner, vault_settings())
    done = studio.runs.wait(owner, run.id, timeout_s=60, poll_s=0.05)
    studio.grants.add(owner, viewer.user_name, "model", done.checkpoint_model_id, "use")
    sample = {"source": "run1:checkpoint3", "label": "r · step 12", "step": 12, "prompt": "secret plan",
              "text": " goes here", "settings": {"seed": 1}, "created_at": "2026-12-01T00:00:00+00:00",
              "tokens": 3, "tokens_per_s": 120.5}
    studio.runs.keep_sample(owner, run.id, sample)
    studio.runs.keep_sample(viewer, run.id, dict(sample, prompt="my own"))
    assert [s["prompt"] for s in studio.runs.samples(owner, run.id)] == ["secret plan"]
    assert [s["prompt"] for s in studio.runs.samples(viewer, run.id)] == ["my own"]  # not the owner's
    assert studio.runs.samples(owner, run.id)[0] == sample
    with pytest.raises(AccessDenied):  # no access to the run: neither reads nor keeps
        studio.runs.samples(stranger, run.id)
    with pytest.raises(AccessDenied):
        studio.runs.keep_sample(stranger, run.id, sample)
    with pytest.raises(ValidationError):
        studio.runs.keep_sample(owner, run.id, {"prompt": 3})
    # a run from before per-user samples: its one shared file counts as the owner's
    legacy = studio.paths.run_dir(run.id) / "samples.jsonl"
    legacy.write_text(json.dumps(dict(sample, prompt="old")) + "\n", encoding="utf-8")
    assert [s["prompt"] for s in studio.runs.samples(owner, run.id)] == ["old", "secret plan"]
    assert [s["prompt"] for s in studio.runs.samples(viewer, run.id)] == ["my own"]
