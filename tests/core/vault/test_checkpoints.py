"""A worker process writes encrypted checkpoints with data keys received over a pipe: no database, no
private key, no key on the command line, in the environment or in a file."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from studio.core.actor import SYSTEM
from studio.core.errors import AccessDenied, NotFoundError, ValidationError
from studio.core.vault import worker
from studio.core.vault.errors import VaultKeyError, VaultLockedError
from studio.core.vault.wrap import raw_private

from .conftest import blob_files, tiny_tensors

ROOT = Path(__file__).resolve().parents[3]

CHILD = textwrap.dedent("""
    import os, sys, torch
    from studio.core.vault import worker
    tickets = [worker.ArtifactTicket.from_bytes(bytes.fromhex(line)) for line in sys.stdin.read().split()]
    g = torch.Generator().manual_seed(1)
    for t in tickets:
        if t.ref.role == "weights":
            worker.save_tensors(t, {"w": torch.randn(64, 64, generator=g), "step": torch.tensor(100)})
        else:
            worker.save_tensors(t, {"exp_avg": torch.ones(64, 64)})
        worker.verify(t)
    print("sqlalchemy" in sys.modules, any(t.key.hex() in os.environ.get(k, "") for k in os.environ for t in tickets))
""")


@pytest.fixture
def alice(make_user):
    return make_user("trainer", "alice")


def test_worker_writes_checkpoints_from_keys_sent_over_a_pipe(studio, alice):
    studio.vault.add_version(alice, None, tiny_tensors(), name="run-model")
    pending = studio.vault.reserve_version(alice, "run-model", [("model.safetensors", "weights"),
                                                                ("optimizer.safetensors", "optimizer")])
    assert pending.number == 2
    assert [v.number for v in studio.vault.versions(alice, "run-model")] == [1]  # invisible until committed
    payload = "\n".join(t.to_bytes().hex() for t in pending.tickets)
    argv = [sys.executable, "-c", CHILD]
    out = subprocess.run(argv, input=payload, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False"]  # no database in the worker; no key in its environment
    assert all(t.key.hex() not in " ".join(argv) for t in pending.tickets)
    info = studio.vault.commit_version(alice, pending.version_id, architecture="gpt", parameter_count=4097)
    assert (info.number, info.state, info.kind, info.architecture) == (2, "ready", "checkpoint", "gpt")
    loaded = studio.vault.load(alice, "run-model")
    g = torch.Generator().manual_seed(1)
    assert torch.equal(loaded.tensors["w"], torch.randn(64, 64, generator=g))
    assert torch.equal(loaded.optimizer["exp_avg"], torch.ones(64, 64))
    assert studio.vault.verify(alice).ok


def test_ticket_survives_the_pipe_and_hides_its_key(studio, alice):
    pending = studio.vault.reserve_version(alice, None, name="fresh")
    ticket = pending.tickets[0]
    assert worker.ArtifactTicket.from_bytes(ticket.to_bytes()) == ticket
    assert ticket.key.hex() not in repr(ticket)


def test_commit_refuses_missing_or_foreign_files_and_abandon_cleans_up(studio, alice, make_user):
    pending = studio.vault.reserve_version(alice, None, name="fresh")
    with pytest.raises(ValidationError, match="not been written"):
        studio.vault.commit_version(alice, pending.version_id)
    other = studio.vault.reserve_version(alice, "fresh")
    worker.save_tensors(other.tickets[0], {"w": torch.ones(2)})
    Path(other.tickets[0].path).rename(pending.tickets[0].path)  # a file written for another artifact
    with pytest.raises(Exception, match="another artifact"):
        studio.vault.commit_version(alice, pending.version_id)
    bob = make_user()
    with pytest.raises(AccessDenied):  # the policy refuses first (not his model); the vault would too
        studio.vault.abandon_version(bob, pending.version_id)
    studio.grants.add(alice, bob.user_name, "model", pending.model_id, "manage")
    with pytest.raises(VaultKeyError, match="Only the user who reserved"):  # even managing it
        studio.vault.abandon_version(bob, pending.version_id)
    studio.vault.abandon_version(alice, pending.version_id)
    studio.vault.abandon_version(alice, other.version_id)
    assert blob_files(studio) == []
    with pytest.raises(NotFoundError):
        studio.vault.commit_version(alice, pending.version_id)


def test_commit_works_after_the_session_locked(studio, alice, make_user):
    pending = studio.vault.reserve_version(alice, None, name="overnight")
    alice.lock()  # the user went home; the run goes on
    worker.save_tensors(pending.tickets[0], {"w": torch.ones(3)})
    # The accounts' policy refuses a locked session outright (with the test doubles used before the accounts
    # were merged, the user's own locked session could commit); the run service commits as the studio
    # itself, and the audit log says so.
    with pytest.raises(VaultLockedError):
        studio.vault.commit_version(alice, pending.version_id)
    assert studio.vault.commit_version(SYSTEM, pending.version_id).state == "ready"
    entry = studio.audit_store.page(limit=1)[0]
    assert (entry.action, entry.actor_name, entry.outcome) == ("model.import", "system", "allowed")
    alice = studio.accounts.login("alice", make_user.password)  # back in the morning
    assert torch.equal(studio.vault.load(alice, "overnight").tensors["w"], torch.ones(3))


def test_a_committed_checkpoint_is_created_when_its_files_were_written(studio, alice):
    from datetime import UTC, datetime

    pending = studio.vault.reserve_version(alice, None, name="slots")
    worker.save_tensors(pending.tickets[0], {"w": torch.ones(3)})
    written = datetime(2026, 3, 1, 12, 30, tzinfo=UTC).timestamp()  # as if the run wrote it long after its start
    os.utime(pending.tickets[0].path, (written, written))
    info = studio.vault.commit_version(SYSTEM, pending.version_id)
    assert info.created_at == datetime(2026, 3, 1, 12, 30, tzinfo=UTC)  # VersionInfo times are aware


def test_no_secret_reaches_the_log(studio, alice, st_file, tmp_path):
    studio.vault.import_path(alice, st_file, name="tiny")
    pending = studio.vault.reserve_version(alice, "tiny")
    worker.save_tensors(pending.tickets[0], {"w": torch.ones(3)})
    studio.vault.commit_version(alice, pending.version_id)
    studio.vault.rotate(alice, "tiny")
    studio.vault.export(alice, "tiny", tmp_path / "out.safetensors")
    log_text = "".join(p.read_text() for p in studio.paths.logs.glob("*.log*"))
    assert "vault" in log_text  # the log was written
    for secret in (raw_private(alice.private_key()).hex(), pending.tickets[0].key.hex()):
        assert secret not in log_text and secret[:16] not in log_text


def test_a_rotation_re_encrypts_what_a_gone_writer_left_and_refuses_while_one_lives(studio, alice):
    """Pending files whose writer is gone are re-encrypted with the rest (they are committed later, and must
    not open with a key copied before); while a live writer holds a model's keys the rotation is refused."""
    from studio.core.errors import ConflictError
    from studio.core.vault.errors import VaultIntegrityError
    from studio.core.vault.files import verify_file

    studio.vault.add_version(alice, None, tiny_tensors(), name="ckpts")
    pending = studio.vault.reserve_version(alice, "ckpts", [("model.safetensors", "weights")])
    ticket = pending.tickets[0]
    worker.save_tensors(ticket, {"w": torch.ones(8, 8)})  # the writer, then gone (no finder names it)
    writers = []
    studio.vault.add_writer_finder(lambda s, model_id: list(writers))
    writers.append("Run 'x' (id 9)")
    with pytest.raises(ConflictError, match=r"Run 'x' \(id 9\) is writing the checkpoints"):
        studio.vault.rotate(alice, "ckpts")
    writers.clear()
    assert studio.vault.rotate(alice, "ckpts") == 2  # version 1's file and the pending one
    studio.vault.commit_version(SYSTEM, pending.version_id)
    loaded = studio.vault.load(alice, "ckpts", 2)
    assert torch.equal(loaded.tensors["w"], torch.ones(8, 8))
    path = studio.vault.blobs.path(loaded.version.artifacts[0].blob)
    with pytest.raises(VaultIntegrityError):
        verify_file(path, ticket.key, ticket.ref)  # the key the writer was handed opens nothing now
