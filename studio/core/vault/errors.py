"""What the vault reports. Messages say what went wrong and what to do; none of them carries a key,
a password or a byte of plaintext."""

from __future__ import annotations

from studio.core.errors import StudioError


class VaultError(StudioError):
    """Base of the vault's errors."""


class VaultLockedError(VaultError):
    """The acting session holds no unlocked private key: nothing in the vault can be read or changed."""

    exit_code = 4


class VaultKeyError(VaultError):
    """A wrapped key could not be opened with the key offered (not yours, revoked, or damaged)."""


class VaultIntegrityError(VaultError):
    """An encrypted file failed authentication. `reason` is one of REASONS; nothing was released."""

    REASONS = (
        "not_vault_file",  # wrong magic: not something the vault wrote
        "unsupported_version",  # a format version this build does not know
        "bad_header",  # a header field out of bounds (checked before any key derivation)
        "wrong_artifact",  # the header names another vault/artifact/version/role: files swapped or moved
        "header_auth",  # the header does not verify: damaged, or not this file's key
        "truncated",  # the file ends before its final chunk
        "chunk_damaged",  # a chunk fails its tag: damaged, removed, duplicated or reordered
        "trailing_data",  # bytes follow the final chunk (appended data, or two final chunks)
        "missing",  # the file the database names is not in the vault's folder
    )

    def __init__(self, reason: str, message: str, name: str | None = None):
        assert reason in self.REASONS, reason
        self.reason = reason
        self.name = name
        super().__init__(f"{name}: {message}" if name else message)

    def named(self, name: str) -> VaultIntegrityError:
        """The same error, naming the artifact (the stream layer does not know names)."""
        base = str(self) if self.name is None else str(self).split(": ", 1)[1]
        return VaultIntegrityError(self.reason, base, name)
