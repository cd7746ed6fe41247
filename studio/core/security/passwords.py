"""Passwords: the rules a new password must pass, and Argon2id in PHC strings.

Only the PHC string (`$argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>`) is stored. Its parameters are read
back from the string on every login and bounded before the KDF runs (a database edited to ask for 1 TiB
of memory must not hang the studio); when they differ from the current ones, the login rehashes.
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from studio.core.errors import ValidationError
from studio.core.messages import msg
from studio.core.resources import resource_path

MIN_LENGTH = 10
MAX_LENGTH = 1024  # a password is a secret, not a file: bound the KDF input


@dataclass(frozen=True)
class Argon2Params:
    time_cost: int  # iterations (t)
    lanes: int  # parallelism (p)
    memory_kib: int  # memory (m), KiB

    def phc_params(self) -> str:
        return f"m={self.memory_kib},t={self.time_cost},p={self.lanes}"


# RFC 9106 section 4, second recommended option: t=3, p=4, m=64 MiB. Production uses it (0.16-0.37 s here).
RFC9106_SECOND = Argon2Params(time_cost=3, lanes=4, memory_kib=64 * 1024)
PRODUCTION = RFC9106_SECOND
# Bounds for parameters read back from the database, checked before the KDF runs.
_MAX = Argon2Params(time_cost=64, lanes=64, memory_kib=4 * 1024 * 1024)

_active = PRODUCTION


def active_params() -> Argon2Params:
    """The parameters new hashes and key wraps use. Tests lower them (tests/conftest.py); nothing else should."""
    return _active


def set_active_params(params: Argon2Params) -> None:
    global _active
    _active = params


def derive_key(password: str, salt: bytes, params: Argon2Params, length: int = 32) -> bytes:
    kdf = Argon2id(salt=salt, length=length, iterations=params.time_cost, lanes=params.lanes,
                   memory_cost=params.memory_kib)
    return kdf.derive(_encode(password))


def hash_password(password: str, params: Argon2Params | None = None) -> str:
    p = params or active_params()
    kdf = Argon2id(salt=os.urandom(16), length=32, iterations=p.time_cost, lanes=p.lanes, memory_cost=p.memory_kib)
    return kdf.derive_phc_encoded(_encode(password))


_PARAMS = r"\$argon2id\$v=19\$m=(\d{1,10}),t=(\d{1,4}),p=(\d{1,4})\$([A-Za-z0-9+/]{11,64})"
_PHC = re.compile("^" + _PARAMS + r"\$([A-Za-z0-9+/]{22,128})$")
_DESCRIPTOR = re.compile("^" + _PARAMS + "$")


def _bounded(m: re.Match[str]) -> Argon2Params:
    params = Argon2Params(time_cost=int(m.group(2)), lanes=int(m.group(3)), memory_kib=int(m.group(1)))
    if not (1 <= params.time_cost <= _MAX.time_cost and 1 <= params.lanes <= _MAX.lanes
            and 8 * params.lanes <= params.memory_kib <= _MAX.memory_kib):
        raise ValueError("Argon2id parameters out of bounds")
    return params


def parse_params(phc: str) -> Argon2Params:
    """The parameters of a stored PHC string; ValueError when it is not one we accept."""
    m = _PHC.match(phc or "")
    if not m:
        raise ValueError("not an Argon2id PHC string")
    return _bounded(m)


def descriptor(salt: bytes, params: Argon2Params) -> str:
    """A PHC string without the hash: how a key is derived from a password (stored beside what it wraps)."""
    return f"$argon2id$v=19${params.phc_params()}${base64.b64encode(salt).decode().rstrip('=')}"


def parse_descriptor(text: str) -> tuple[bytes, Argon2Params]:
    m = _DESCRIPTOR.match(text or "")
    if not m:
        raise ValueError("not an Argon2id key descriptor")
    salt = m.group(4)
    return base64.b64decode(salt + "=" * (-len(salt) % 4)), _bounded(m)


def verify_password(password: str, phc: str) -> bool:
    """True when `password` matches `phc`. A malformed or out-of-bounds string is a mismatch, after the same
    work as a real check (so that its cost tells nothing)."""
    try:
        parse_params(phc)
    except ValueError:
        phc = _dummy_hash()
        _verify(password, phc)
        return False
    return _verify(password, phc)


def verify_dummy(password: str) -> None:
    """The cost of one real check, for a login whose user name does not exist."""
    _verify(password, _dummy_hash())


def needs_rehash(phc: str) -> bool:
    try:
        return parse_params(phc) != active_params()
    except ValueError:
        return True


def _verify(password: str, phc: str) -> bool:
    try:
        Argon2id.verify_phc_encoded(_encode(password), phc)
    except InvalidKey:
        return False
    return True


def _dummy_hash() -> str:
    """A well-formed PHC string with the current parameters that no password matches, made without running
    Argon2id: checking against it costs exactly one Argon2id run, the first time in a process as every time
    after (hashing a dummy password once and caching it made the first unknown name cost two runs)."""
    p = active_params()
    salt = base64.b64encode(os.urandom(16)).decode().rstrip("=")
    digest = base64.b64encode(os.urandom(32)).decode().rstrip("=")
    return f"$argon2id$v=19${p.phc_params()}${salt}${digest}"


def _encode(password: str) -> bytes:
    return password.encode("utf-8")


# -- the rules ------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    path = resource_path("security", "common-passwords.txt")
    words = (line.strip().lower() for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(w for w in words if w and not w.startswith("#"))


def _base(password: str) -> str:
    """The password without the decoration people add to meet rules ("Password2024!" -> "password")."""
    return re.sub(r"[\d\W_]+$", "", password.lower())


def check_password_rules(password: str, user_name: str = "") -> None:
    """Raise ValidationError saying what to change when `password` may not be used."""
    if len(password) < MIN_LENGTH:
        raise ValidationError(msg("The password must have at least {min_length} characters.", min_length=MIN_LENGTH), field="password")
    if len(password) > MAX_LENGTH:
        raise ValidationError(msg("The password may have at most {max_length} characters.", max_length=MAX_LENGTH), field="password")
    lowered = password.lower()
    common = common_passwords()
    if lowered in common or _base(password) in common:
        raise ValidationError(msg("This password is on the list of common passwords; choose another."), field="password")
    if len(set(password)) < 4:
        raise ValidationError(msg("The password repeats too few characters; choose a longer mix."), field="password")
    if len(user_name) >= 3 and user_name.lower() in lowered:
        raise ValidationError(msg("The password must not contain the user name."), field="password")
