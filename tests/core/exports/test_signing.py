"""OpenSSF model signing of exports: signed with the exporting user's key (made on first use, recorded), the
signature verifies with model-signing's own verifier, import checks it and says who signed, a changed file is
refused naming it, and a signature by a key the studio does not know is reported unchecked unless the user
gives the public key."""

from __future__ import annotations

import json

import pytest

from studio.core.exports.signing import SignatureMismatch, inspect


def test_a_signed_folder_imports_as_signed_by_its_exporter(studio, admin, stored_gpt, tmp_path):
    result = studio.exports.export(admin, "tiny", tmp_path / "hf", format="hf", sign=True)
    assert result.signature == "model.sig" and "model.sig" in result.files and result.signed_by == admin.user_name
    info = inspect(tmp_path / "hf" / "model.sig")
    assert info.fingerprint == result.fingerprint and "config.json" in info.files and "model.sig" not in info.files
    created = [e for e in studio.audit_store.page(limit=30) if e.action == "signing_key.create"]
    exported = next(e for e in studio.audit_store.page(limit=30) if e.action == "model.export")
    assert len(created) == 1 and exported.details["signed"] == result.fingerprint
    back = studio.vault.import_path(admin, tmp_path / "hf", name="back")
    assert back.signature.verified and back.signature.signer == admin.user_name
    assert back.version.metadata["signature"]["fingerprint"] == result.fingerprint
    # the same key signs the next export (no second key)
    again = studio.exports.export(admin, "tiny", tmp_path / "t.safetensors", sign=True)
    assert again.fingerprint == result.fingerprint and again.signature == "t.safetensors.sig"
    assert len([e for e in studio.audit_store.page(limit=40) if e.action == "signing_key.create"]) == 1


def test_the_signature_verifies_with_model_signing_itself(studio, admin, stored_gpt, tmp_path):
    import model_signing

    result = studio.exports.export(admin, "tiny", tmp_path / "t.gguf", format="gguf", sign=True)
    assert result.files == ("t.gguf", "t.Modelfile", "t.gguf.sig")
    _, fingerprint, pem = studio.signing.public_key(admin)
    assert fingerprint == result.fingerprint
    (tmp_path / "key.pem").write_text(pem)
    config = model_signing.verifying.Config().use_elliptic_key_verifier(public_key=tmp_path / "key.pem")
    config.verify(tmp_path / "t.gguf", tmp_path / "t.gguf.sig")  # raises on a mismatch


def test_a_changed_file_is_refused_naming_it(studio, admin, stored_gpt, tmp_path):
    studio.exports.export(admin, "tiny", tmp_path / "hf", format="hf", sign=True)
    config = tmp_path / "hf" / "config.json"
    config.write_text(json.dumps(json.loads(config.read_text()) | {"n_layer": 1}))
    with pytest.raises(SignatureMismatch, match=r"changed since it was signed: config\.json"):
        studio.vault.import_path(admin, tmp_path / "hf", name="bad")
    (tmp_path / "hf" / "extra.txt").write_text("x")
    with pytest.raises(SignatureMismatch, match=r"not signed: extra\.txt"):
        studio.vault.import_path(admin, tmp_path / "hf", name="bad")
    assert [m.name for m in studio.vault.list_models(admin)] == ["tiny"]


def test_a_stranger_key_is_unchecked_unless_given(studio, admin, stored_gpt, tmp_path):
    from cryptography.hazmat.primitives.asymmetric import ec

    from studio.core.exports.signing import sign
    from studio.core.security.signing_keys import public_pem

    studio.exports.export(admin, "tiny", tmp_path / "s.safetensors")
    stranger = ec.generate_private_key(ec.SECP256R1())
    sign(tmp_path / "s.safetensors", tmp_path / "s.safetensors.sig", stranger)
    unknown = studio.vault.import_path(admin, tmp_path / "s.safetensors", name="s1")
    assert not unknown.signature.verified and any("does not know" in w for w in unknown.warnings)
    (tmp_path / "stranger.pem").write_bytes(public_pem(stranger.public_key()))
    given = studio.vault.import_path(admin, tmp_path / "s.safetensors", name="s2", trust_key=tmp_path / "stranger.pem")
    assert given.signature.verified and given.signature.signer is None
    (tmp_path / "other.pem").write_bytes(public_pem(ec.generate_private_key(ec.SECP256R1()).public_key()))
    with pytest.raises(SignatureMismatch, match="was not made with the key other.pem"):
        studio.vault.import_path(admin, tmp_path / "s.safetensors", name="s3", trust_key=tmp_path / "other.pem")
