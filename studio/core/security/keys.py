"""Each user's X25519 key pair, and the two ways a secret travels:

- `wrap_private_key` / `unwrap_private_key`: the private key at rest, encrypted (AES-256-GCM) with a key
  derived from the password by Argon2id (its own salt, not the password hash's). Changing a password
  re-wraps this blob only.
- `seal` / `open_sealed`: a secret (a model key, the audit key) encrypted to a user's public key, so that only
  that user's private key opens it: ephemeral X25519, HKDF-SHA256, AES-256-GCM. Any module may seal to a
  public key (`AccountService.public_key(user_id)`); only a logged-in UserSession can open.

Formats carry a version byte and the KDF parameters, and bind their context through AES-GCM's associated
data, so that a blob moved to another user or purpose fails to open.
"""

from __future__ import annotations

import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from studio.core.errors import IntegrityError
from studio.core.security.passwords import (
    Argon2Params,
    active_params,
    derive_key,
    descriptor,
    parse_descriptor,
)

_WRAP_VERSION = 1
_SEAL_VERSION = 1
_SEAL_INFO = b"model-studio seal v1"


def new_key_pair() -> tuple[X25519PrivateKey, bytes]:
    private = X25519PrivateKey.generate()
    return private, public_bytes(private)


def public_bytes(private: X25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _private_bytes(private: X25519PrivateKey) -> bytes:
    return private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


# -- the private key at rest ----------------------------------------------------------------------------

def parse_kdf_descriptor(text: str) -> tuple[bytes, Argon2Params]:
    try:
        return parse_descriptor(text)
    except ValueError as error:
        raise IntegrityError(
            f"The key settings of this account are damaged ({error}); an administrator must reset its password."
        ) from error


def _wrap_aad(user_id: int, public: bytes) -> bytes:
    return b"model-studio user key v1|" + struct.pack(">Q", user_id) + public


def wrap_private_key(private: X25519PrivateKey, password: str, user_id: int,
                     params: Argon2Params | None = None) -> tuple[str, bytes]:
    """(kdf descriptor, wrapped blob). The blob is version || nonce || AES-GCM(KEK, private key)."""
    params = params or active_params()
    salt = os.urandom(16)
    kek = derive_key(password, salt, params)
    nonce = os.urandom(12)
    blob = bytes([_WRAP_VERSION]) + nonce + AESGCM(kek).encrypt(
        nonce, _private_bytes(private), _wrap_aad(user_id, public_bytes(private))
    )
    return descriptor(salt, params), blob


def unwrap_private_key(blob: bytes, descriptor: str, password: str, user_id: int, public: bytes) -> X25519PrivateKey:
    """The private key, or IntegrityError when the blob does not open (a damaged or swapped blob; the
    password was checked against its hash before, so a wrong password does not get here)."""
    salt, params = parse_kdf_descriptor(descriptor)
    if len(blob) < 1 + 12 + 32 + 16 or blob[0] != _WRAP_VERSION:
        raise IntegrityError("The stored key of this account is damaged; an administrator must reset its password.")
    kek = derive_key(password, salt, params)
    try:
        raw = AESGCM(kek).decrypt(blob[1:13], blob[13:], _wrap_aad(user_id, public))
    except InvalidTag as error:
        raise IntegrityError(
            "The stored key of this account does not open (it was damaged or replaced); "
            "an administrator must reset its password."
        ) from error
    private = X25519PrivateKey.from_private_bytes(raw)
    if public_bytes(private) != public:
        raise IntegrityError("The stored key of this account does not match its public key.")
    return private


def needs_rewrap(descriptor: str) -> bool:
    try:
        return parse_kdf_descriptor(descriptor)[1] != active_params()
    except IntegrityError:
        return False  # a damaged descriptor fails the unwrap with its own message


# -- secrets sealed to a public key ---------------------------------------------------------------------

def _seal_key(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=ephemeral_public + recipient_public, info=_SEAL_INFO).derive(shared)


def seal(recipient_public: bytes, secret: bytes, aad: bytes = b"") -> bytes:
    """Encrypt `secret` so that only the holder of the private key of `recipient_public` (raw 32 bytes) can
    open it. `aad` binds the context (e.g. b"model:17"); the same aad must be given to open it.
    Format: version(1) || ephemeral public(32) || nonce(12) || ciphertext+tag."""
    if len(recipient_public) != 32:
        raise ValueError("an X25519 public key is 32 raw bytes")
    ephemeral = X25519PrivateKey.generate()
    eph_public = public_bytes(ephemeral)
    key = _seal_key(ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_public)), eph_public,
                    recipient_public)
    nonce = os.urandom(12)
    return bytes([_SEAL_VERSION]) + eph_public + nonce + AESGCM(key).encrypt(nonce, secret, aad)


def open_sealed(private: X25519PrivateKey, blob: bytes, aad: bytes = b"") -> bytes:
    if len(blob) < 1 + 32 + 12 + 16 or blob[0] != _SEAL_VERSION:
        raise IntegrityError("A sealed key is damaged (wrong length or version).")
    eph_public, nonce, body = blob[1:33], blob[33:45], blob[45:]
    key = _seal_key(private.exchange(X25519PublicKey.from_public_bytes(eph_public)), eph_public, public_bytes(private))
    try:
        return AESGCM(key).decrypt(nonce, body, aad)
    except InvalidTag as error:
        raise IntegrityError("A sealed key does not open with this user's key (damaged, or sealed for someone else).") from error
