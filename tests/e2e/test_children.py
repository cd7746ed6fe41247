"""Every kind of child the studio starts (a run's worker, torchrun and its ranks, a dataset import's tokenizers,
the self-test's child), started from a working directory holding a hostile `studio/` package that records
whatever it is given: none imports it, each starts in the folder the studio chose, and none has a password in
its environment (/proc/PID/environ). Real processes throughout."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import TEST_PASSWORD
from tests.e2e.test_runs import _wait_step

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")

HOSTILE = '''
import json, os, sys
record = {"argv": sys.argv, "cwd": os.getcwd(), "env": sorted(os.environ)}
try:
    record["stdin"] = os.read(0, 1 << 16).hex()
except OSError:
    pass
with open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), f"record-{os.getpid()}.json"), "w") as fh:
    json.dump(record, fh)
raise SystemExit(3)
'''


@pytest.fixture
def hostile(tmp_path, monkeypatch):
    """The working directory: a `studio/` package there that would record argv, stdin and environment.
    STUDIO_PASSWORD and STUDIO_NEW_PASSWORD are set, as when the CLI is used with them."""
    folder = tmp_path / "hostile"
    (folder / "studio").mkdir(parents=True)
    (folder / "studio" / "__init__.py").write_text(HOSTILE)
    (folder / "studio" / "__main__.py").write_text(HOSTILE)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("STUDIO_PASSWORD", TEST_PASSWORD)
    monkeypatch.setenv("STUDIO_NEW_PASSWORD", TEST_PASSWORD + "-new")
    return folder


def _records(folder: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in folder.glob("record-*.json")]


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item)


def _assert_clean(pid: int, cwd: Path) -> None:
    env = _environ(pid)
    assert "STUDIO_PASSWORD" not in env and "STUDIO_NEW_PASSWORD" not in env
    assert not any(TEST_PASSWORD in v for v in env.values()), "a password in a child's environment"
    assert Path(os.readlink(f"/proc/{pid}/cwd")) == cwd.resolve()


def _forms(secret: bytes) -> list[bytes]:
    """The ways a key could sit in text: raw, hex, base64."""
    return [secret, secret.hex().encode(), base64.b64encode(secret).rstrip(b"=")]


def test_a_worker_ignores_a_studio_folder_in_the_cwd_and_holds_no_secret_outside_its_pipe(
        studio, make_user, settings, hostile, small_dataset, monkeypatch):
    """An encrypted dataset and vault checkpoints: the worker's launch message carries the dataset's key and
    the checkpoint slots' secrets; none of them (nor the password) is in its command line, its environment,
    its log or the studio's log."""
    from studio.core.training import launch
    from studio.core.vault.worker import ArtifactTicket

    sent = []
    real = launch.start_process
    monkeypatch.setattr(launch, "start_process", lambda *a, **kw: sent.append(a[2]) or real(*a, **kw))
    user = make_user("trainer")
    small_dataset(user, encrypt=True)
    run = studio.runs.start(user, settings(data=None, dataset="stories", checkpoint_store="vault",
                                           train={"max_steps": 100000}))
    info = _wait_step(studio, user, run.id, 2)
    assert info.status == "running", (info.message, _records(hostile))
    run_dir = studio.paths.run_dir(run.id)
    _assert_clean(info.pid, run_dir)
    cmdline = Path(f"/proc/{info.pid}/cmdline").read_bytes()
    environ = Path(f"/proc/{info.pid}/environ").read_bytes()
    studio.runs.kill(user, run.id)
    assert _records(hostile) == []

    [message] = sent
    secrets = [base64.b64decode(message.extra["data"]["key"]["key"])]
    secrets += [ArtifactTicket.from_bytes(base64.b64decode(raw)).key
                for c in message.checkpoints for raw in c["secret"]["tickets"]]
    assert len(secrets) >= 6 and all(len(k) == 32 for k in secrets)  # the dataset's key, every slot's data keys
    logs = b"".join(p.read_bytes() for p in (run_dir / "run.log", studio.paths.log_file) if p.exists())
    assert b"step" in logs.lower()  # the run's log was read, not an empty file
    for where, text in {"argv": cmdline, "environment": environ, "logs": logs}.items():
        for secret in secrets:
            assert not any(f in text for f in _forms(secret)), f"a key in the worker's {where}"
        assert TEST_PASSWORD.encode() not in text, f"the password in the worker's {where}"


@pytest.mark.slow
def test_torchrun_and_its_ranks_ignore_the_cwd_and_hold_no_password(studio, make_user, settings, hostile):
    user = make_user("trainer")
    run = studio.runs.start(user, settings(checkpoint_store="vault", nproc=2, train={"max_steps": 100000}))
    info = _wait_step(studio, user, run.id, 2)
    assert info.status == "running", (info.message, _records(hostile))
    pids = {info.pid, *info.system["pids"]}
    assert len(pids) == 3  # torchrun and two ranks
    for pid in pids:
        _assert_clean(pid, studio.paths.run_dir(run.id))
    studio.runs.kill(user, run.id)
    assert _records(hostile) == []


def test_tokenizing_workers_ignore_the_cwd_and_hold_no_password(hostile, monkeypatch):
    from studio.core import procs
    from studio.core.datasets.encode import BlockEncoder, encode_block
    from studio.core.datasets.tokenizers import train_bpe

    started = []
    real = procs.popen

    def spy(command, **kwargs):
        proc = real(command, **kwargs)
        started.append((proc.pid, _environ(proc.pid), Path(os.readlink(f"/proc/{proc.pid}/cwd"))))
        return proc

    monkeypatch.setattr(procs, "popen", spy)
    texts = [f"the robot {i} sang to the river and the stars" for i in range(200)]
    bpe = train_bpe(texts, 300)
    block = ("".join(texts), np.array([len(t) for t in texts]))
    encoder = BlockEncoder(bpe, workers=2)
    try:
        results = list(encoder.encode([(0, block), (1, block)]))
    finally:
        encoder.close()
    assert [k for k, _ in results] == [0, 1]
    assert results[0][1][0].tolist() == encode_block(bpe, *block)[0].tolist()
    assert len(started) == 2 and _records(hostile) == []
    for _, env, cwd in started:
        assert "STUDIO_PASSWORD" not in env and "STUDIO_NEW_PASSWORD" not in env
        assert cwd == procs.install_dir()


def test_the_self_tests_child_ignores_the_cwd(hostile, tmp_path):
    from studio.core import selftest

    (tmp_path / "data").mkdir()
    detail = selftest._child_process(selftest.SelfTest(tmp_path / "data"))
    assert detail.startswith("child process ok")
    assert _records(hostile) == []
