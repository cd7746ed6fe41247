"""Each user's pin of their copy of the audit secret.

The audit secret is sealed to each user's public key (keys.seal): anyone who knows a public key, and public
keys are in studio.db, can seal a secret of their own choosing to it. Sealing one chosen secret to every user
would give that person a key to MAC audit entries and access rows (security/rowauth.py) that every session
accepts. So each user's row also carries `trust`: an HMAC over their copy of the secret under a key derived
from their own private key, which only they (with their password) and whoever made the key pair (the
administrator creating or resetting the account, at that moment) can compute. A login checks it and refuses
a secret that does not match.

An account made before pins existed has none; its first login pins what it finds (trust on first use,
docs/threat-model.md). Changing one's password keeps the key pair, and so the pin.
"""

from __future__ import annotations

import hashlib
import hmac
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

VERSION = 1


def _self_key(private: X25519PrivateKey) -> bytes:
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"model-studio self key v1|pins").derive(raw)


def pin(private: X25519PrivateKey, user_id: int, audit_secret: bytes | None) -> bytes:
    digest = hashlib.sha256(audit_secret or b"").digest()
    mac = hmac.digest(_self_key(private), b"model-studio trust v1|" + struct.pack(">Q", user_id) + digest, "sha256")
    return bytes([VERSION]) + mac


def matches(private: X25519PrivateKey, user_id: int, audit_secret: bytes | None, blob: bytes | None) -> bool:
    return blob is not None and hmac.compare_digest(pin(private, user_id, audit_secret), bytes(blob))
