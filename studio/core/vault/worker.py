"""The vault from a worker process: write (and check) encrypted files with a data key received over a
pipe, without the database and without any user's private key.

The parent (holding an unlocked session) reserves a version with VaultService.reserve_version: that
creates the rows, wraps each file's data key for the model's recipients and the recovery key, and returns
one ArtifactTicket per file. It sends `ticket.to_bytes()` through a pipe (multiprocessing Connection
.send_bytes, or the worker's stdin), never as a command-line argument, an environment variable or a file.
The worker writes each file with save_tensors / save_bytes / open_writer, then someone (the worker or the
parent) calls VaultService.commit_version, which checks the files and makes the version visible.
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from studio.core.vault import safetensors_io, stream
from studio.core.vault.files import atomic_encrypted_writer, verify_file
from studio.core.vault.stream import ArtifactRef, StreamWriter

if TYPE_CHECKING:
    import torch

TICKET_FORMAT = 1


@dataclass(frozen=True)
class ArtifactTicket:
    """Everything needed to write one vault file. Holds a data key: keep it in memory, send it only
    through a pipe, and drop it when the file is written."""

    ref: ArtifactRef
    key: bytes = field(repr=False)
    path: str  # where the encrypted file must appear (it appears atomically)
    name: str  # the file name it is exported as (model.safetensors, optimizer.safetensors, ...)
    chunk_size: int = stream.DEFAULT_CHUNK_SIZE
    version_id: int = 0  # the pending version to commit

    def to_bytes(self) -> bytes:
        return json.dumps({
            "format": TICKET_FORMAT, "key": base64.b64encode(self.key).decode(), "path": self.path,
            "name": self.name, "chunk_size": self.chunk_size, "version_id": self.version_id,
            "vault_id": self.ref.vault_id.hex(), "artifact_id": self.ref.artifact_id.hex(),
            "version": self.ref.version, "role": self.ref.role,
        }).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> ArtifactTicket:
        doc = json.loads(data.decode("utf-8"))
        if doc.get("format") != TICKET_FORMAT:
            raise ValueError("unknown ticket format")
        ref = ArtifactRef(bytes.fromhex(doc["vault_id"]), bytes.fromhex(doc["artifact_id"]), int(doc["version"]),
                          str(doc["role"]))
        return cls(ref, base64.b64decode(doc["key"]), str(doc["path"]), str(doc["name"]), int(doc["chunk_size"]),
                   int(doc["version_id"]))


@contextlib.contextmanager
def open_writer(ticket: ArtifactTicket) -> Iterator[StreamWriter]:
    """A writable stream into the ticket's file; the file appears complete only if the block succeeds."""
    with atomic_encrypted_writer(Path(ticket.path), ticket.key, ticket.ref, ticket.chunk_size) as writer:
        yield writer


def save_tensors(ticket: ArtifactTicket, tensors: Mapping[str, torch.Tensor],
                 metadata: Mapping[str, str] | None = None) -> int:
    """Stream `tensors` as safetensors into the ticket's encrypted file, one tensor at a time (no copy of
    the whole state in memory). Returns the plaintext size."""
    with open_writer(ticket) as writer:
        return safetensors_io.write_tensors(writer, tensors, metadata)


def save_bytes(ticket: ArtifactTicket, data: bytes) -> int:
    with open_writer(ticket) as writer:
        writer.write(data)
    return len(data)


def verify(ticket: ArtifactTicket) -> int:
    """Check every chunk of the ticket's file; returns its plaintext size."""
    return verify_file(Path(ticket.path), ticket.key, ticket.ref)
