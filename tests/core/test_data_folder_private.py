"""The data folder is its owner's alone: folders 0700, files 0600 (SQLite's WAL and SHM, the anchor, logs,
blobs, datasets, run folders included), and a folder left readable by an older studio is fixed on open, once
(issue 14: folders 0755 and studio.db 0644 let every local account read password hashes, wrapped keys and
the audit log)."""

from __future__ import annotations

import os
import stat

import pytest

from studio.core.services import Studio

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


def _open_to_others(root):
    found = []
    for here, _dirs, names in os.walk(root):
        for path in [here, *(os.path.join(here, n) for n in names)]:
            mode = os.lstat(path).st_mode
            if not stat.S_ISLNK(mode) and mode & 0o077:
                found.append(f"{os.path.relpath(path, root)} {stat.filemode(mode)}")
    return found


def test_everything_the_studio_creates_is_private(tmp_path, capsys):
    from studio.core.datasets.options import ImportOptions

    os.umask(0o022)  # what a desktop session usually gives a process
    data_dir = tmp_path / "new" / "data"
    text = tmp_path / "stories.txt"
    text.write_text("The little robot sang a song about the stars.\n\n" * 200)
    with Studio.open(data_dir) as studio:
        root = studio.accounts.create_first_admin("root", "Quartz-Falcon-7319")
        studio.datasets.import_dataset(root, ImportOptions(path=str(text), name="s", tokenizer="char",
                                                           split=(0.8, 0.2, 0.0)))
        from studio.core.models.config import GPTConfig
        from studio.core.models.gpt import GPT, model_tensors

        config = GPTConfig(vocab_size=32, block_size=16, n_layer=1, n_head=2, n_embd=16)
        studio.vault.add_version(root, None, model_tensors(GPT(config)), name="tiny", config=config.to_dict())
        names = {p.name for p in data_dir.iterdir()}
        assert {"studio.db", "studio.db-wal", "studio.db-shm", "audit-anchor.db", "vault", "datasets", "logs"} <= names
        assert (data_dir / "logs" / "studio.log").stat().st_size > 0
        assert _open_to_others(data_dir) == []
        assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
        assert stat.S_IMODE((data_dir / "studio.db").stat().st_mode) == 0o600
        # Exports leave private too: plaintext weights, a bundle's wrapped keys, the audit log, HF folders.
        out = tmp_path / "out"
        out.mkdir()
        studio.vault.export(root, "tiny", out / "tiny.safetensors")
        studio.vault.export(root, "tiny", out / "tiny-hf", format="hf")
        studio.vault.bundle(root, "tiny", out / "tiny.msb", to_user="root")
        studio.compression.export(root, "tiny", out / "c.safetensors", zstd=True)
        studio.compression.export(root, "tiny", out / "c-hf", format="hf")
        studio.audit.export(root, out / "log.csv")
        made = sorted(p.name for p in out.iterdir())
        assert made == ["c-hf", "c.safetensors.zst", "log.csv", "tiny-hf", "tiny.msb", "tiny.safetensors"]
        assert len(list((out / "tiny-hf").iterdir())) >= 2
        assert _open_to_others(out) == []
    assert "readable by other accounts" not in capsys.readouterr().err  # a new folder: nothing to say


def test_a_readable_folder_is_made_private_on_open_and_said_once(data_dir, capsys):
    os.umask(0o022)
    with Studio.open(data_dir) as studio:
        studio.accounts.create_first_admin("root", "Quartz-Falcon-7319")
    for here, _dirs, names in os.walk(data_dir):  # as an older studio left it
        os.chmod(here, 0o755)
        for n in names:
            os.chmod(os.path.join(here, n), 0o644)
    capsys.readouterr()
    with Studio.open(data_dir):
        pass
    said = capsys.readouterr().err
    assert "was readable by other accounts" in said and "it is private now" in said
    assert _open_to_others(data_dir) == []
    with Studio.open(data_dir):
        pass
    assert capsys.readouterr().err == ""  # once
