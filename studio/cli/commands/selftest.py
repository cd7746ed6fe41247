"""`studio self-test`: check this installation end to end in a temporary data folder."""

from __future__ import annotations

import argparse

from studio.cli.output import Output

NAME = "self-test"
HELP = "check this installation end to end in a temporary data folder (one line per step)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace, out: Output) -> int:
    from studio.core.selftest import run_self_test

    def show(result) -> None:
        mark = {"ok": "ok", "failed": "FAILED", "skipped": "skipped"}[result.status]
        out.line(f"{mark:8} {result.name:40} {result.detail}  ({result.seconds:.1f} s)")

    results = run_self_test(on_result=None if out.as_json else show)
    ok = all(r.ok for r in results)
    if out.as_json:
        out.json({"ok": ok, "steps": results})
    else:
        out.line("self-test passed" if ok else "self-test FAILED")
    return 0 if ok else 1
