"""kill -9 at random points of an import, a rotation and a re-wrap (the vault's side of a password reset):
the vault always opens afterwards in the old state or the new one, never neither."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from safetensors.torch import save_file

from studio.core.services import Studio
from studio.core.vault.errors import VaultKeyError
from studio.core.vault.wrap import raw_private
from tests.vault_doubles import FakeDirectory, KeyedSession

ROOT = Path(__file__).resolve().parents[3]
KILLS = 6


def _open(data_dir, sessions):
    studio = Studio.open(data_dir, log_to_file=False)
    studio.vault.directory = FakeDirectory()
    for s in sessions:
        studio.vault.directory.add(s)
    studio.vault.chunk_size = 4096
    return studio


def _kill_during(data_dir, mode, source, keys, rng):
    child = subprocess.Popen([sys.executable, "-m", "tests.core.vault.crash_child", str(data_dir), mode, str(source)],
                             cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    child.stdin.write(json.dumps(keys) + "\n")
    child.stdin.flush()
    assert child.stdout.readline().strip() == "ready"
    time.sleep(rng.uniform(0.05, 0.5))
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL


def _integrity(data_dir):
    with sqlite3.connect(data_dir / "studio.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.fixture
def setting(tmp_path):
    data_dir = tmp_path / "data"
    admin = KeyedSession(1, "admin", "admin")
    alice = KeyedSession(2, "alice", "trainer")
    tensors = {"w": torch.randn(256, 1024), "b": torch.randn(1024)}  # ~1 MB: 256 chunks of 4 KiB
    source = tmp_path / "m.safetensors"
    save_file(tensors, str(source))
    with _open(data_dir, [admin, alice]) as studio:
        studio.vault.import_path(alice, source, name="m")
    keys = {"users": [{"id": s.user_id, "name": s.user_name, "role": s.role, "key": s.secret_hex()}
                      for s in (admin, alice)]}
    return data_dir, admin, alice, tensors, source, keys


def _loads_everything(studio, who, tensors):
    """verify() checks every chunk of every file; loading the first and the last version checks content."""
    versions = studio.vault.versions(who, "m")
    for v in {versions[0].number, versions[-1].number}:
        loaded = studio.vault.load(who, "m", v)
        assert all(torch.equal(loaded.tensors[k], tensors[k]) for k in tensors)
    return versions


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["import", "rotate"])
def test_kill_during_import_or_rotation_leaves_a_readable_vault(setting, mode):
    data_dir, admin, alice, tensors, source, keys = setting
    rng = random.Random(4)
    history = []
    for _ in range(KILLS):
        _kill_during(data_dir, mode, source, keys, rng)
        _integrity(data_dir)
        with _open(data_dir, [admin, alice]) as studio:
            versions = _loads_everything(studio, alice, tensors)
            assert studio.vault.verify(admin).ok
            epochs = [a.key_epoch for v in versions for a in v.artifacts]
            history.append((len(versions), max(epochs)))
            studio.vault.collect_garbage(min_age_s=0)  # what a crash left: unreferenced files only
            blobs = {p.name for p in (data_dir / "vault" / "blobs").iterdir()}
            assert blobs == {a.blob for v in versions for a in v.artifacts}
            _loads_everything(studio, alice, tensors)
    progress = [h[0] for h in history] if mode == "import" else [h[1] for h in history]
    assert progress[-1] > 0 and progress == sorted(progress)  # work committed between the kills


@pytest.mark.slow
def test_kill_during_a_rewrap_leaves_all_old_or_all_new_keys(setting):
    data_dir, admin, alice, tensors, source, keys = setting
    with _open(data_dir, [admin, alice]) as studio:
        for seed in range(3):
            studio.vault.add_version(alice, "m", {k: v + seed for k, v in tensors.items()})
    second = X25519PrivateKey.generate()
    keys["alternates"] = [raw_private(alice.key).hex(), raw_private(second).hex()]
    rng = random.Random(5)
    snapshots = [_alice_wraps(data_dir)]
    for _ in range(KILLS):
        _kill_during(data_dir, "rewrap", source, keys, rng)
        _integrity(data_dir)
        opens = []
        for key in (alice.key, second):
            who = KeyedSession(alice.user_id, "alice", "trainer", key)
            with _open(data_dir, [admin, who]) as studio:
                results = []
                for n in range(1, 5):
                    try:
                        studio.vault.load(who, "m", n)
                        results.append(True)
                    except VaultKeyError:
                        results.append(False)
                assert len(set(results)) == 1, "some keys re-wrapped, some not"
                opens.append(results[0])
        assert opens in ([True, False], [False, True])  # exactly one key pair opens everything
        snapshots.append(_alice_wraps(data_dir))
    assert len(set(snapshots)) > 1  # re-wraps did commit between the kills


def _alice_wraps(data_dir):
    with sqlite3.connect(data_dir / "studio.db") as conn:
        return tuple(r[0] for r in conn.execute(
            "SELECT wrapped FROM vault_wrapped_keys WHERE recipient = 'user' AND user_id = 2 ORDER BY id"))
