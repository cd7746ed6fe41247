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

    def append(session, **entry):
        if entry["action"] in ("model.export", "audit.export"):
            seen.append(sorted(os.listdir(out)))
        return real(session, **entry)

    monkeypatch.setattr(studio.audit_store, "append", append)
    EXPORTS[kind](studio, admin, out)
    assert len(seen) == 1 and len(seen[0]) == 1 and seen[0][0].startswith(".") and seen[0][0].endswith(".partial")
    names = os.listdir(out)
    assert len(names) == 1 and not names[0].startswith(".")  # published, the hidden folder gone
    entry = studio.audit_store.page(limit=1)[0]
    assert entry.action in ("model.export", "audit.export") and entry.outcome == "allowed"
