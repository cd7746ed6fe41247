"""`studio doctor`: print the environment and exit non-zero when something needed is missing."""

from __future__ import annotations

import argparse

from studio.cli.output import Output
from studio.core.errors import StudioError

NAME = "doctor"
HELP = "print the environment (python, torch and its device, Qt, data folder, database schema)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace, out: Output) -> int:
    from studio.core.services import Studio
    from studio.core.services.system import doctor_report

    try:
        studio = Studio.open(args.data_dir)
    except StudioError as error:
        report = doctor_report(None, str(error))
    else:
        with studio:
            report = doctor_report(studio)
    if out.as_json:
        out.json({"ok": report.ok, "checks": report.checks})
    else:
        width = max(len(c.name) for c in report.checks)
        for c in report.checks:
            mark = "ok " if c.ok else ("MISSING" if c.required else "warn")
            out.line(f"{c.name.ljust(width)}  {mark:7}  {c.value}")
        out.line("everything needed is there" if report.ok else "something needed is missing (see above)")
    return 0 if report.ok else 1
