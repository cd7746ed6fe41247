"""Every path that writes plaintext (or a bundle) out of the studio: nothing is visible at the destination
until its audit entry committed, and nothing is left anywhere when the entry cannot be written (issue 14).
One mechanism (studio.core.fsutil.staged_output) under all of them: vault export (safetensors, hf), vault
bundle, compression export (safetensors, shards, hf), the export service (one staged folder for every format) and the audit
log's export."""

from __future__ import annotations

import os

import pytest

from studio.core.errors import AuditWriteError


@pytest.fixture
def model(studio, admin):
    """A tiny GPT stored in the vault (name "tiny")."""
    from studio.core.models.config import GPTConfig
    from studio.core.models.gpt import GPT, model_tensors

    config = GPTConfig(vocab_size=32, block_size=16, n_layer=1, n_head=2, n_embd=16)
    studio.vault.add_version(admin, None, model_tensors(GPT(config)), name="tiny", config=config.to_dict())
    return "tiny"


EXPORTS = {
    "vault safetensors": lambda st, a, out: st.vault.export(a, "tiny", out / "m.safetensors"),
    "vault hf": lambda st, a, out: st.vault.export(a, "tiny", out / "hf", format="hf"),
    "vault bundle": lambda st, a, out: st.vault.bundle(a, "tiny", out / "m.msb", to_user=a.user_name),
    "compression safetensors": lambda st, a, out: st.compression.export(a, "tiny", out / "c.safetensors", zstd=True),
    "compression shards": lambda st, a, out: st.compression.export(a, "tiny", out / "shards", shard_size="4KB"),
    "compression hf": lambda st, a, out: st.compression.export(a, "tiny", out / "chf", format="hf"),
    "audit csv": lambda st, a, out: st.audit.export(a, out / "log.csv"),
    "exports safetensors": lambda st, a, out: st.exports.export(a, "tiny", out / "e.safetensors"),
}


def _out(tmp_path):
    out = tmp_path / "exports"
    out.mkdir()
    return out


@pytest.mark.parametrize("kind", EXPORTS)
def test_nothing_is_left_when_the_entry_cannot_be_written(studio, admin, model, tmp_path, kind, monkeypatch):
    out = _out(tmp_path)

    def refuse(*args, **kwargs):
        raise AuditWriteError("The audit log could not be written (disk quota exceeded); nothing was done.")

    monkeypatch.setattr(studio.audit_store, "append", refuse)
    with pytest.raises(AuditWriteError):
        EXPORTS[kind](studio, admin, out)
    assert os.listdir(out) == []  # neither the file nor a hidden temp


@pytest.mark.parametrize("kind", EXPORTS)
def test_the_destination_appears_only_after_the_entry(studio, admin, model, tmp_path, kind, monkeypatch):
    out = _out(tmp_path)
    seen = []
    real = studio.audit_store.append

    notes = []

    def append(session, **entry):
        if entry["action"] in ("model.export", "audit.export"):
            seen.append(sorted(os.listdir(out)))
            notes.append([p.read_text().split() for p in studio.paths.staging.glob("*.lock")])
        return real(session, **entry)

    monkeypatch.setattr(studio.audit_store, "append", append)
    EXPORTS[kind](studio, admin, out)
    assert len(seen) == 1 and len(seen[0]) == 1 and seen[0][0].startswith(".") and seen[0][0].endswith(".partial")
    names = os.listdir(out)
    assert len(names) == 1 and not names[0].startswith(".")  # published, the hidden folder gone
    assert notes == [[[str(out / seen[0][0])]]]  # the journal named the hidden folder while it lived
    assert list(studio.paths.staging.glob("*")) == []  # and forgets it once published
    entry = studio.audit_store.page(limit=1)[0]
    assert entry.action in ("model.export", "audit.export") and entry.outcome == "allowed"


KILLED_EXPORT = """
import os, signal, sys
from studio.core.security import passwords
from studio.core.services import Studio

passwords.set_active_params(passwords.Argon2Params(1, 1, 64))
studio = Studio.open(sys.argv[1])
admin = studio.accounts.login("admin", sys.argv[2])
real = studio.audit_store.append

def killed(session, **entry):  # everything written, the entry not yet committed: the worst moment
    if entry["action"] == "model.export":
        os.kill(os.getpid(), signal.SIGKILL)
    return real(session, **entry)

studio.audit_store.append = killed
getattr(studio, sys.argv[3]).export(admin, "tiny", sys.argv[4], **({"format": "hf"} if sys.argv[3] == "vault" else {}))
"""


@pytest.mark.parametrize("service", ["vault", "exports"])
def test_a_killed_exports_plaintext_goes_at_the_next_open(studio, admin, model, tmp_path, service):
    """kill -9 while an export writes (issue 14: the hidden folder of plaintext stayed beside the destination
    for good, with no audit entry): the next open of the data folder removes it."""
    import signal
    import subprocess
    import sys

    from studio.core.fsutil import staged_output
    from studio.core.services import Studio
    from tests.conftest import TEST_PASSWORD

    out = _out(tmp_path)
    decoy = out / ".decoy.partial"  # a note may name only hidden *.partial folders; this one names none
    decoy.mkdir()
    studio.paths.staging.mkdir()
    (studio.paths.staging / "stranger.lock").write_text(f"{out / 'not-hidden'}\nrelative/.x.partial\n")
    (out / "not-hidden").mkdir()
    proc = subprocess.run([sys.executable, "-c", KILLED_EXPORT, str(studio.paths.root), TEST_PASSWORD, service,
                           str(out / "m")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    [left] = [p for p in out.iterdir() if p.name.startswith(".m.")]
    assert any(f.is_file() and f.stat().st_size > 0 for f in left.rglob("*"))  # the plaintext, as the kill left it
    with staged_output(out / "live", journal=studio.paths.staging) as live:  # an export in progress meanwhile
        live.path.write_bytes(b"being written")
        with Studio.open(studio.paths.root):
            pass
        assert live.path.exists()
        assert sorted(p.name for p in out.iterdir()) == sorted([".decoy.partial", "not-hidden", live.folder.name])
    assert list(studio.paths.staging.glob("*.lock")) == []
