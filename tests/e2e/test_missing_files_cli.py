"""A vault file that is gone (deleted by hand, a partial restore) is a one-line error naming it and saying what
to do in every verb that reads it, as `vault verify` says it, never a Python traceback (issue 14)."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file

from tests.e2e.cli_runner import cli_with_users


@pytest.fixture
def cli(data_dir, monkeypatch, capsys):
    return cli_with_users(data_dir, monkeypatch, capsys)


def test_a_missing_vault_file_is_a_clean_error_everywhere(cli, data_dir, tmp_path):
    model = tmp_path / "tiny.safetensors"
    save_file({"w": torch.arange(12.0).reshape(3, 4)}, str(model))
    cli("vault", "import", str(model), "--name", "tiny")
    for blob in (data_dir / "vault" / "blobs").glob("*.msv"):
        blob.unlink()
    for argv in (("vault", "export", "tiny", str(tmp_path / "a.safetensors")),
                 ("vault", "export", "tiny", str(tmp_path / "hf"), "--format", "hf"),
                 ("export", "tiny", str(tmp_path / "b.safetensors")),
                 ("sample", "tiny", "--prompt", "a"),
                 ("vault", "bundle", "tiny", str(tmp_path / "t.msb"), "--to", "bob")):
        _, err = cli(*argv, expect=1)  # main() would raise on anything but a StudioError
        assert "is missing from the vault's folder" in err and "studio vault verify" in err, argv
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert not list(tmp_path.glob("a.safetensors")) and not (tmp_path / "hf").exists()
    out, _ = cli("vault", "verify", expect=1)
    assert "tiny v1" in out and "The file is missing." in out
