"""OpenSSF model signing (OMS) of exports, with the `model-signing` package in its local-key mode.

    sign(model_path, signature_path, private_key)      # a Sigstore bundle: DSSE envelope around an in-toto
                                                         # statement listing every file with its SHA-256
    check = inspect(signature_path)                     # the key hint (fingerprint), before trusting anything
    verify(model_path, signature_path, public_key)      # SignatureMismatch naming the files that differ

The key stays in memory: model-signing's EC signer reads a PEM file from a path, so the studio hands it the
opened key object instead (the two small classes below set the attribute its sign/verify methods use; the
package is pinned and tests/core/exports/test_signing.py checks the round trip). A signed folder holds its
signature as `model.sig`, which the manifest leaves out; a signed file has FILE.sig beside it. The result
verifies with the `model_signing` command too: `model_signing verify key DIR --signature DIR/model.sig
--public_key KEY.pem` (the public key from `studio keys signing-key`).
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core.errors import ValidationError


class SignatureMismatch(ValidationError):
    """The files are not what was signed (or the signature is not the key's)."""


@dataclass(frozen=True)
class SignatureInfo:
    fingerprint: str  # the signing key's hint (sha256 of its public PEM)
    files: tuple[str, ...]  # what the signature lists


def _hashing(model_path: Path, signature_path: Path) -> Any:
    from model_signing import hashing

    config = hashing.Config()
    if model_path.is_dir():
        try:
            inside = signature_path.resolve().relative_to(model_path.resolve())
        except ValueError:
            inside = None
        config.set_ignored_paths(paths=[inside] if inside is not None else [], ignore_git_paths=False)
    return config


def _signer(private_key: Any) -> Any:
    from model_signing._signing import sign_ec_key

    class MemoryKeySigner(sign_ec_key.Signer):
        def __init__(self, key: Any):  # the parent reads a PEM file; the key is already open
            sign_ec_key._check_supported_ec_key(key.public_key())
            self._private_key = key

    return MemoryKeySigner(private_key)


def _verifier(public_key: Any) -> Any:
    from model_signing._signing import sign_ec_key

    class MemoryKeyVerifier(sign_ec_key.Verifier):
        def __init__(self, key: Any):
            sign_ec_key._check_supported_ec_key(key)
            self._public_key = key

    return MemoryKeyVerifier(public_key)


def sign(model_path: Path, signature_path: Path, private_key: Any) -> None:
    from model_signing._signing import signing

    manifest = _hashing(model_path, signature_path).hash(model_path)
    _signer(private_key).sign(signing.Payload(manifest)).write(pathlib.Path(signature_path))


def _read(signature_path: Path) -> Any:
    from model_signing._signing import sign_sigstore_pb

    try:
        return sign_sigstore_pb.Signature.read(pathlib.Path(signature_path))
    except Exception as error:  # noqa: BLE001 - protobuf/json raise their own kinds
        raise SignatureMismatch(f"{Path(signature_path).name} is not a model signature the studio reads "
                                f"({type(error).__name__}).") from None


def inspect(signature_path: Path) -> SignatureInfo:
    """What a signature says about itself, unverified: its key hint and its files."""
    import base64
    import json

    signature = _read(signature_path)
    hint = signature.bundle.verification_material.public_key.hint or ""
    try:
        payload = signature.bundle.dsse_envelope.payload  # the statement's JSON (the reader decoded base64)
        statement = json.loads(payload if payload.lstrip()[:1] in (b"{", "{") else base64.b64decode(payload))
        files = tuple(sorted(r.get("name", "") for r in statement["predicate"]["resources"]))
    except (ValueError, KeyError, TypeError):
        files = ()
    return SignatureInfo(hint, files)


def verify(model_path: Path, signature_path: Path, public_key: Any) -> tuple[str, ...]:
    """The files the signature covers, after checking the signature with `public_key` and every file's
    digest; SignatureMismatch names what differs (a changed, missing or added file)."""
    signature = _read(signature_path)
    try:
        expected = _verifier(public_key).verify(signature)
    except Exception as error:  # noqa: BLE001 - cryptography's InvalidSignature, ValueError for a key mismatch
        raise SignatureMismatch(f"The signature {Path(signature_path).name} was not made by this key, or was "
                                f"changed ({type(error).__name__}).") from None
    actual = _hashing(model_path, signature_path).hash(model_path)
    def named(identifier: Any) -> str:  # a signed file is listed as "." in its own manifest
        name = str(identifier)
        return Path(model_path).name if name in (".", "") else name

    want = {named(r.identifier): r.digest for r in expected.resource_descriptors()}
    have = {named(r.identifier): r.digest for r in actual.resource_descriptors()}
    changed = sorted(n for n in want if n in have and have[n] != want[n])
    missing = sorted(set(want) - set(have))
    added = sorted(set(have) - set(want))
    if changed or missing or added:
        parts = []
        if changed:
            parts.append("changed since it was signed: " + ", ".join(changed))
        if missing:
            parts.append("missing: " + ", ".join(missing))
        if added:
            parts.append("not signed: " + ", ".join(added))
        raise SignatureMismatch(f"{Path(model_path).name} does not match its signature ({'; '.join(parts)}).")
    return tuple(sorted(want))
