"""What a killed writer leaves in the vault's folder (the files of an import or a rotation that never
committed, its temp files) is removed when the studio next opens, if no live process holds it; a live
writer's files are never touched, however old (issue 14: 1.9 GB stayed until a whole-vault verify a day
later)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from studio.core.fsutil import HAVE_FLOCK
from studio.core.services import Studio

pytestmark = pytest.mark.skipif(not HAVE_FLOCK, reason="flock")

KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from studio.core.fsutil import atomic_writer
from studio.core.vault.blobs import BlobStore, NewBlobs
new = NewBlobs(BlobStore(Path(sys.argv[1])))
new.add("a" * 32 + ".0.msv").write_bytes(b"complete, never committed")
w = atomic_writer(new.add("b" * 32 + ".0.msv")); w.__enter__().write(b"half")
os.kill(os.getpid(), signal.SIGKILL)
"""


def _names(studio):
    return sorted(p.name for p in (studio.paths.vault / "blobs").iterdir())


def test_a_killed_writers_files_go_at_the_next_open(data_dir):
    with Studio.open(data_dir) as studio:
        vault_dir = studio.paths.vault
    run = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(vault_dir)], capture_output=True)
    assert run.returncode == -signal.SIGKILL, run.stderr
    left = sorted(p.name for p in (vault_dir / "blobs").iterdir())
    assert len(left) == 3 and any(n.endswith(".tmp") for n in left) and any(n.endswith(".lock") for n in left)
    with Studio.open(data_dir) as studio:  # at once: no age to wait out
        assert _names(studio) == []


def test_a_live_writers_files_stay_however_old(studio):
    from studio.core.fsutil import atomic_writer
    from studio.core.vault.blobs import NewBlobs

    new = NewBlobs(studio.vault.blobs)
    new.add("c" * 32 + ".0.msv").write_bytes(b"written, the commit still to come")
    with atomic_writer(new.add("d" * 32 + ".0.msv")) as fh:
        fh.write(b"being written")
        old = time.time() - 48 * 3600
        for p in (studio.paths.vault / "blobs").iterdir():
            os.utime(p, (old, old))
        assert studio.vault.sweep() == []
        with Studio.open(studio.paths.root):
            pass
        assert len(_names(studio)) == 3  # the file, the temp file, the writer's lock
    new.release()
    studio.vault.sweep()
    assert _names(studio) == []  # released without a commit: nothing references them now
