"""Run one vault operation over and over until killed (tests/core/vault/test_crash.py kills it with
SIGKILL at a random moment). It logs in as the test's users, with their passwords, at the tests' low
Argon2id cost."""

from __future__ import annotations

import sys
from pathlib import Path

from studio.core.security import passwords
from studio.core.services import Studio
from tests.conftest import TEST_ARGON2, TEST_PASSWORD

# the password a key reset alternates with TEST_PASSWORD
OTHER_PASSWORD = "Lantern-Heron-6042"


def main() -> None:
    data_dir, mode, source = sys.argv[1], sys.argv[2], sys.argv[3]
    passwords.set_active_params(passwords.Argon2Params(*TEST_ARGON2))
    studio = Studio.open(data_dir, log_to_file=False)
    studio.vault.chunk_size = 4096
    admin = studio.accounts.login("admin", TEST_PASSWORD)
    alice = None if mode == "rewrap" else studio.accounts.login("alice", TEST_PASSWORD)
    print("ready", flush=True)
    n = 0
    while True:
        if mode == "import":
            studio.vault.import_path(alice, Path(source), name="m")
        elif mode == "rotate":
            studio.vault.rotate(alice, "m")
        elif mode == "rewrap":
            # an administrator resets alice's password: a new key pair, and every key of hers re-wrapped to
            # it through the recovery key, in the reset's one transaction
            studio.accounts.reset_password(admin, "alice", (OTHER_PASSWORD, TEST_PASSWORD)[n % 2])
        n += 1


if __name__ == "__main__":  # run as `python -m tests.core.vault.crash_child` from the repository root
    main()
