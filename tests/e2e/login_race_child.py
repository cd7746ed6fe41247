"""The racers of tests/e2e/test_login_race.py: `python login_race_child.py DATA GO NOW OUTDIR RIGHT N`.

Imports the studio once, then forks N processes (separate processes, each with its own database connections,
without paying for the imports N times). Each opens the data folder, says it is ready, waits for the GO file,
logs in once as alice with the clock frozen at NOW (the right password if its index is RIGHT, else a wrong
guess) and writes what happened to OUTDIR/<index>.json."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path

from studio.core.errors import AccountLockedError, AuthenticationError, LoginThrottledError
from studio.core.security import passwords
from studio.core.services import Studio
from studio.core.services.accounts import AccountService

PASSWORD = "Quartz-Falcon-7319"  # tests.conftest.TEST_PASSWORD


def racer(data: str, go: str, out: Path, password: str) -> None:
    studio = Studio.open(Path(data), log_to_file=False)
    (out.with_suffix(".ready")).touch()
    while not os.path.exists(go):
        time.sleep(0.002)
    try:
        studio.accounts.login("alice", password)
        outcome = "ok"
    except AccountLockedError:
        outcome = "locked"
    except LoginThrottledError:
        outcome = "throttled"
    except AuthenticationError:
        outcome = "wrong"
    except Exception as error:  # noqa: BLE001 - the test reports any other failure (UNIQUE constraint, locked db)
        outcome = f"error: {type(error).__name__}: {error}"
    out.write_text(json.dumps({"outcome": outcome, "right": password == PASSWORD}))
    studio.close()


def main(data: str, go: str, now: str, outdir: str, right: str, n: str) -> int:
    passwords.set_active_params(passwords.Argon2Params(1, 1, 64))  # as the tests' accounts were made
    frozen = datetime.fromisoformat(now)
    AccountService.now = staticmethod(lambda: frozen)  # no time passes: the throttle's decisions are exact
    pids = []
    for i in range(int(n)):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                racer(data, go, Path(outdir) / f"{i}.json", PASSWORD if i == int(right) else f"Wrong-Guess-{i:04d}")
            except BaseException:  # noqa: BLE001
                import traceback

                traceback.print_exc()
                code = 1
            os._exit(code)
        pids.append(pid)
    return max(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:7]))
