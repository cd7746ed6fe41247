"""`studio export ... --format`, `studio verify` and `studio keys signing-key` end to end, with real logins."""

from __future__ import annotations

import json

import pytest

from studio.core.exports.base import ExportOptions
from studio.core.exports.safetensors_file import FORMAT as SAFETENSORS
from tests.core.exports.conftest import native_source
from tests.e2e.cli_runner import cli_with_users


@pytest.fixture
def cli(data_dir, monkeypatch, capsys):
    return cli_with_users(data_dir, monkeypatch, capsys)


@pytest.fixture
def stored(cli, tmp_path):
    """A tiny native GPT imported as "tiny" by alice, from a self-contained single file."""
    SAFETENSORS.write(native_source("byte"), tmp_path / "src.safetensors", ExportOptions())
    cli("vault", "import", str(tmp_path / "src.safetensors"), "--name", "tiny")
    return "tiny"


def test_export_gguf_signed_then_verify(cli, stored, tmp_path):
    out, _ = cli("export", "tiny", str(tmp_path / "t.gguf"), "--format", "gguf", "--quant", "q8_0", "--sign",
                 "--check")
    assert "t.gguf, t.Modelfile, t.gguf.sig" in out and "q8_0" in out and "signed by alice" in out
    assert "checked with llama.cpp" in out
    out, _ = cli("verify", str(tmp_path / "t.gguf"), user="bob")  # anyone can check alice's signature
    assert "signed by alice; the signature and every file check out" in out and "t.gguf" in out
    pem, err = cli("keys", "signing-key", "--of", "alice", user="bob")
    assert pem.startswith("-----BEGIN PUBLIC KEY-----") and "fingerprint" in err
    (tmp_path / "alice.pem").write_text(pem)
    with open(tmp_path / "t.gguf", "r+b") as f:  # one byte of the weights changed
        f.seek(-1, 2)
        last = f.read(1)
        f.seek(-1, 2)
        f.write(bytes([last[0] ^ 1]))
    _, err = cli("verify", str(tmp_path / "t.gguf"), "--trust-key", str(tmp_path / "alice.pem"), expect=1)
    assert "changed since it was signed: t.gguf" in err


def test_export_onnx_and_refusals(cli, stored, tmp_path):
    out, _ = cli("export", "tiny", str(tmp_path / "onnx"), "--format", "onnx", "--no-kv-cache", "--check", "--json")
    result = json.loads(out)
    assert "model.onnx" in result["files"] and result["check"]["model"]["max_abs_diff"] < 1e-4
    _, err = cli("export", "tiny", str(tmp_path / "x.gguf"), "--format", "gguf", "--quant", "int8", expect=1)
    assert "takes --quant f32" in err
    _, err = cli("verify", str(tmp_path / "onnx"), expect=1)
    assert "has no signature" in err and "--sign" in err
    cli("vault", "share", "tiny", "--with", "bob", "--permission", "use")  # use, not export
    _, err = cli("export", "tiny", str(tmp_path / "y.gguf"), "--format", "gguf", user="bob", expect=4)
    assert "may not do model.export" in err and not (tmp_path / "y.gguf").exists()
