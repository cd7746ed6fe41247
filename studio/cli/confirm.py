"""Asking before a verb destroys something (`vault delete`, `runs delete`, `dataset delete`): `--yes`, or the
name typed back at a terminal. Without a terminal (a script, a pipe) the verb refuses unless `--yes` is given:
nothing is deleted by a command that nobody confirmed."""

from __future__ import annotations

import argparse
import sys

from studio.core.errors import ValidationError


def add_yes_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def confirmed(args: argparse.Namespace, out, *, what: str, name: str, consequence: str) -> bool:
    """True when the deletion of `what` `name` may go ahead; False (having said so) when the user typed
    something else; ValidationError when there is no terminal to ask and no --yes."""
    if getattr(args, "yes", False):
        return True
    if not sys.stdin.isatty():
        raise ValidationError(f"Deleting {what} cannot be undone: add --yes to confirm.")
    answer = input(f"Delete {what} {name}? {consequence} This cannot be undone. Type its name to confirm: ")
    if answer.strip() != str(name):
        out.line("not deleted")
        return False
    return True
