"""Revocation and rotation reach a training run (issue 14: revoking a user while a run trained re-encrypted
nothing, and the worker went on writing every later checkpoint under the keys the revoked user had copied).

The choice (docs/vault.md): a live worker holds its checkpoints' data keys, handed over its pipe at start, and
nothing can take them back from it; so a revocation or rotation of the model it writes is refused, clearly,
while it lives. Once it is stopped, the revocation re-encrypts every file (what the worker left in its pending
slots included), and a resumed run gets new keys: no file written after the revocation opens with an old key.
A real worker process throughout."""

from __future__ import annotations

import time

import pytest

from studio.core.errors import ConflictError, StudioError
from studio.core.vault.errors import VaultIntegrityError
from studio.core.vault.files import verify_file

pytestmark = pytest.mark.slow


def _wait_checkpoints(studio, user, run_id, count, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = studio.runs.get(user, run_id)
        written = [c for c in studio.runs.checkpoints(user, run_id, usable_only=True)]
        if len(written) >= count or not info.is_live:
            return info
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} wrote no checkpoint")


def _files(studio, model_id):
    """(artifact row, path, ref) of every file of the model, pending versions included."""
    vault = studio.vault
    with studio.db.session() as s:
        versions = {v.id: v for v in vault.store.version_rows(s, model_id, include_pending=True)}
        meta = vault.store.meta(s)
        out = []
        for a in vault.store.model_artifact_rows(s, model_id, include_pending=True):
            if vault.blob_path(a).is_file():
                out.append((a, vault.blob_path(a), vault.ref(meta, a, versions[a.version_id])))
        return out


def _keys_held_by(studio, who, model_id):
    with studio.db.session() as s:
        keyring = studio.vault.keyring(s, who)
        return [keyring.data_key(a) for a in studio.vault.store.model_artifact_rows(s, model_id, include_pending=True)]


def _opens(path, key, ref) -> bool:
    try:
        verify_file(path, key, ref)
    except VaultIntegrityError:
        return False
    return True


def test_a_revocation_or_rotation_reaches_a_running_run(studio, make_user, settings):
    owner, bob = make_user("trainer", "olga"), make_user("trainer", "bob")
    run = studio.runs.start(owner, settings(checkpoint_store="vault", checkpoint_every=2,
                                            train={"max_steps": 100000, "eval_every": 2}))
    info = _wait_checkpoints(studio, owner, run.id, 2)
    assert info.status == "running", info.message
    model = info.checkpoint_model_id
    studio.vault.share(owner, model, bob.user_name)
    copied = _keys_held_by(studio, bob, model)  # what bob can copy while he holds access
    assert copied

    with pytest.raises(ConflictError, match=r"Run 'run-tokens-1' \(id 1\) is writing the checkpoints.*Stop the run"):
        studio.vault.revoke(owner, model, bob.user_name)
    with pytest.raises(ConflictError, match="cannot reach the files it writes next"):
        studio.vault.rotate(owner, model)
    assert bob.user_name in [g.user_name for g in studio.grants.list(owner, obj_type="model", obj_id=model)]  # nothing half-done

    studio.runs.stop(owner, run.id)
    stopped = studio.runs.wait(owner, run.id, timeout_s=120, poll_s=0.1)
    assert stopped.status == "stopped", stopped.message
    assert studio.vault.revoke(owner, model, bob.user_name) > 0
    studio.runs.resume(owner, run.id, max_steps=stopped.step + 4)
    done = studio.runs.wait(owner, run.id, timeout_s=180, poll_s=0.1)
    assert done.status == "completed", done.message

    files = _files(studio, model)
    assert len(files) >= 5 and studio.vault.load(owner, model).tensors  # the owner's keys open them
    leaks = [(a.name, a.version_id) for a, path, ref in files for key in copied if _opens(path, key, ref)]
    assert leaks == []  # no file of the model, written before or after, opens with a key bob held
    with pytest.raises(StudioError):
        studio.vault.load(bob, model)
