"""Verbs with actions (`studio users add ...`): each action gets its own parser that also accepts the common
flags (--data-dir, --json) after it, like every verb does."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from studio.cli.auth import add_user_arguments, reset_stdin


def action_parsers(parser: argparse.ArgumentParser, title: str = "ACTION") -> argparse._SubParsersAction:
    sub = parser.add_subparsers(dest="action", metavar=title, required=True)
    return sub


def add_action(sub: argparse._SubParsersAction, name: str, help_text: str, run: Callable,
               needs_user: bool = True) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.add_argument("--data-dir", default=argparse.SUPPRESS, metavar="DIR", help="the data folder")
    p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")
    if needs_user:
        add_user_arguments(p)
    p.set_defaults(_action=run)
    return p


def open_studio(args: argparse.Namespace):
    from studio.core.services import Studio

    return Studio.open(getattr(args, "data_dir", None))


def run_action(args: argparse.Namespace, out) -> int:
    """Open the data folder and run the action (which logs in with actor_from_args when it needs a user)."""
    reset_stdin()
    with open_studio(args) as studio:
        return int(args._action(studio, args, out) or 0)
