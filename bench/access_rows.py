"""What authenticating access rows (security/rowauth.py) costs, against the same work with the checks off, in
one run (interleaved rounds, medians), on a data folder of a realistic size for a team: 20 users, 40 models
each shared with 3 others.

1. login (at the tests' low Argon2id cost, so that the row checks are not hidden behind the KDF; at the
   production cost a login takes about 0.5 s and the checks are a smaller share still);
2. an audited read of a model (`vault show`: resolve by name, policy, the model's rows verified);
3. a share and its revoke (rows written and tagged again, anchored outside studio.db, model re-encrypted).

"checks off" replaces verify() and the tagging at commit with no-ops: what the code costs without the rule.

    .venv/bin/python bench/access_rows.py [--rounds 5] [--ops 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from studio.core.security import passwords, rowauth  # noqa: E402
from studio.core.services import Studio  # noqa: E402

PASSWORD = "Quartz-Falcon-7319"


@contextmanager
def checks_off():
    saved = rowauth.verify, rowauth.seal_touched
    rowauth.verify = lambda session, scope: None
    rowauth.seal_touched = lambda session: None
    try:
        yield
    finally:
        rowauth.verify, rowauth.seal_touched = saved


def build(root: Path, users: int, models: int) -> Studio:
    studio = Studio.open(root)
    admin = studio.accounts.create_first_admin("root", PASSWORD)
    names = [f"user{i}" for i in range(users)]
    for name in names:
        studio.accounts.create_user(admin, name, "trainer", PASSWORD)
    sessions = {n: studio.accounts.login(n, PASSWORD) for n in names}
    for m in range(models):
        owner = names[m % users]
        studio.vault.add_version(sessions[owner], None, {"w": torch.zeros(64)}, name=f"m{m}")
        for k in range(1, 4):
            studio.vault.share(sessions[owner], f"m{m}", names[(m + k) % users], "use")
    return studio


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ops", type=int, default=20)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--models", type=int, default=40)
    args = parser.parse_args()
    passwords.set_active_params(passwords.Argon2Params(1, 1, 64))
    with tempfile.TemporaryDirectory() as tmp:
        studio = build(Path(tmp) / "data", args.users, args.models)
        owner = studio.accounts.login("user0", PASSWORD)

        def login(i):
            studio.accounts.login(f"user{i % args.users}", PASSWORD)

        def show(i):
            studio.vault.show(owner, f"m{(i * args.users) % args.models}")

        def share_revoke(i):
            studio.vault.share(owner, "m0", f"user{4 + i % 10}", "use")
            studio.vault.revoke(owner, "m0", f"user{4 + i % 10}")

        def timed(fn, n):
            start = time.perf_counter()
            for i in range(n):
                fn(i)
            return (time.perf_counter() - start) / n * 1000

        cases = {"login": (login, args.ops), "show": (show, args.ops), "share+revoke": (share_revoke, 5)}
        results = {k: {"on": [], "off": []} for k in cases}
        for _ in range(args.rounds):
            for name, (fn, n) in cases.items():
                results[name]["on"].append(timed(fn, n))
                with checks_off():
                    results[name]["off"].append(timed(fn, n))
        out = {}
        for name, r in results.items():
            on, off = statistics.median(r["on"]), statistics.median(r["off"])
            out[name] = {"checks_ms": round(on, 2), "off_ms": round(off, 2), "ratio": round(on / off, 2)}
        studio.close()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
