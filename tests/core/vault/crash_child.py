"""Run one vault operation over and over until killed (tests/core/vault/test_crash.py kills it with
SIGKILL at a random moment). Keys arrive on stdin, as the accounts code would hold them in memory."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from studio.core.services import Studio
from tests.vault_doubles import FakeDirectory, KeyedSession


def main() -> None:
    data_dir, mode, source = sys.argv[1], sys.argv[2], sys.argv[3]
    keys = json.loads(sys.stdin.readline())
    studio = Studio.open(data_dir, log_to_file=False)
    directory = FakeDirectory()
    studio.vault.directory = directory
    studio.vault.chunk_size = 4096
    sessions = {}
    for u in keys["users"]:
        key = X25519PrivateKey.from_private_bytes(bytes.fromhex(u["key"]))
        sessions[u["name"]] = directory.add(KeyedSession(u["id"], u["name"], u["role"], key))
    admin, alice = sessions["admin"], sessions["alice"]
    alternates = [X25519PrivateKey.from_private_bytes(bytes.fromhex(k)) for k in keys.get("alternates", [])]
    print("ready", flush=True)
    n = 0
    while True:
        if mode == "import":
            studio.vault.import_path(alice, Path(source), name="m")
        elif mode == "rotate":
            studio.vault.rotate(alice, "m")
        elif mode == "rewrap":
            # the user's key pair was replaced (a reset): re-wrap all their keys to the other one
            directory.add(KeyedSession(alice.user_id, "alice", "trainer", alternates[(n + 1) % 2]))
            studio.vault.rewrap_user(admin, alice.user_id)
        n += 1


if __name__ == "__main__":  # run as `python -m tests.core.vault.crash_child` from the repository root
    main()
