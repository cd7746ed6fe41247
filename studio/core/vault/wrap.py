"""Key wrapping: a 32-byte secret (a file's data key, or the vault's recovery private key) sealed to one
X25519 public key with HPKE (RFC 9180, base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM),
bound by HPKE's `info` to what it is for, so that a wrapped key copied to another row does not open.

Wrapped key, format 1 (docs/vault-format.md, section 2):

    "MSW1" || kem id (u16) || kdf id (u16) || aead id (u16) || HPKE enc (32) || sealed secret (32 + 16)

The suite ids are checked against the one suite this version accepts, and the length against the exact
size, before any key agreement or derivation runs: nothing in a stored blob can choose a weaker suite
(no downgrade) or make the reader work (no denial of service).
"""

from __future__ import annotations

import hashlib
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

from studio.core.vault.errors import VaultKeyError

MAGIC = b"MSW1"
SUITE_IDS = (0x0020, 0x0001, 0x0002)  # RFC 9180: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM
SECRET_SIZE = 32
ENC_SIZE = 32
WRAPPED_SIZE = len(MAGIC) + 6 + ENC_SIZE + SECRET_SIZE + 16
_SUITE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)
_LABEL = b"model-studio/vault/v1/wrap/"


def public_key_from(raw_or_key: bytes | X25519PublicKey) -> X25519PublicKey:
    if isinstance(raw_or_key, X25519PublicKey):
        return raw_or_key
    if not isinstance(raw_or_key, bytes | bytearray) or len(raw_or_key) != 32:
        raise VaultKeyError("A user's public key must be 32 bytes (X25519).")
    return X25519PublicKey.from_public_bytes(bytes(raw_or_key))


def raw_public(key: X25519PublicKey | X25519PrivateKey) -> bytes:
    if isinstance(key, X25519PrivateKey):
        key = key.public_key()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def raw_private(key: X25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


def fingerprint(public: bytes | X25519PublicKey) -> str:
    """A short, stable name for a public key (what a user reads out to compare two screens)."""
    return hashlib.sha256(raw_public(public_key_from(public))).hexdigest()[:16]


# --- what a wrap is bound to (HPKE info) -----------------------------------------------------------------


def info_data_key(vault_id: bytes, artifact_id: bytes, recipient: str, user_id: int = 0) -> bytes:
    """A file's data key, for one user ("user", id) or for the recovery key ("recovery")."""
    return _LABEL + b"data-key/" + vault_id + artifact_id + recipient.encode() + struct.pack(">Q", user_id)


def info_dataset_key(vault_id: bytes, dataset_uid: bytes, recipient: str, user_id: int = 0) -> bytes:
    """A dataset's data key (one per dataset, its files told apart by their ArtifactRef), for one user
    ("user", id) or for the recovery key ("recovery")."""
    return _LABEL + b"dataset-key/" + vault_id + dataset_uid + recipient.encode() + struct.pack(">Q", user_id)


def info_recovery_key(vault_id: bytes, admin_id: int) -> bytes:
    """The vault's recovery private key, for one administrator."""
    return _LABEL + b"recovery-key/" + vault_id + struct.pack(">Q", admin_id)


def info_bundle_key(bundle_id: bytes, artifact_id: bytes, recipient_public: bytes) -> bytes:
    """A bundle file's data key, for the recipient named by their public key."""
    return _LABEL + b"bundle-key/" + bundle_id + artifact_id + recipient_public


# --- wrap and unwrap --------------------------------------------------------------------------------------


def wrap(secret: bytes, recipient: bytes | X25519PublicKey, info: bytes) -> bytes:
    if len(secret) != SECRET_SIZE:
        raise ValueError("only 32-byte secrets are wrapped")
    try:
        sealed = _SUITE.encrypt(bytes(secret), public_key_from(recipient), info=info)
    except ValueError:  # a low-order point (e.g. all zeros): no shared secret
        raise VaultKeyError("The recipient's public key is invalid.") from None
    return MAGIC + struct.pack(">HHH", *SUITE_IDS) + sealed


def unwrap(blob: bytes, private_key: X25519PrivateKey, info: bytes) -> bytes:
    """The secret, or VaultKeyError when the blob is not for this key, not for this purpose, or damaged."""
    blob = bytes(blob)
    if len(blob) != WRAPPED_SIZE or blob[:4] != MAGIC:
        raise VaultKeyError("A wrapped key is damaged (wrong size or format): restore the vault from a backup.")
    if struct.unpack(">HHH", blob[4:10]) != SUITE_IDS:
        raise VaultKeyError("A wrapped key uses an algorithm suite this version does not accept.")
    try:
        return _SUITE.decrypt(blob[10:], private_key, info=info)
    except (InvalidTag, ValueError):
        raise VaultKeyError(
            "A wrapped key does not open with your key: it is not yours, it was revoked, or it is damaged."
        ) from None
