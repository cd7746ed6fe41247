"""Who runs a CLI verb. Every verb that needs a user takes `--user NAME`; the password comes from
STUDIO_PASSWORD, --password-stdin (one line) or a prompt on the terminal, never from an argument (arguments
are visible to every user of the machine in the process list).

A verb that sets a password (init, users add, users passwd) reads the new one from STUDIO_NEW_PASSWORD,
--new-password-stdin (the next line of standard input, after the user's own with --password-stdin) or a
prompt asked twice.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from studio.core.errors import AuthenticationError, ValidationError

ENV_PASSWORD = "STUDIO_PASSWORD"
ENV_NEW_PASSWORD = "STUDIO_NEW_PASSWORD"


def add_user_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", metavar="NAME", help="the user to act as (password from STUDIO_PASSWORD, "
                        "--password-stdin or a prompt)")
    parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")


def add_new_password_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--new-password-stdin", action="store_true",
                        help="read the new password from standard input (after the user's own, if both are)")


class _Stdin:
    """Lines of standard input, read once, in order (the user's password first, then a new one)."""

    lines: list[str] | None = None

    @classmethod
    def next_line(cls, what: str) -> str:
        if cls.lines is None:
            cls.lines = sys.stdin.read().splitlines()
        if not cls.lines:
            raise AuthenticationError(f"Standard input has no line left for {what}.")
        return cls.lines.pop(0)


def remaining_stdin_lines() -> list[str] | None:
    """The lines of standard input not taken yet, when it was read for a password (None otherwise: it has
    not been read, and a verb may read it itself)."""
    if _Stdin.lines is None:
        return None
    rest, _Stdin.lines = _Stdin.lines, []
    return rest


def reset_stdin() -> None:
    """Forget what was read (each command reads standard input afresh; tests run several in one process)."""
    _Stdin.lines = None


def _prompt(text: str) -> str:
    if not sys.stdin.isatty():
        raise AuthenticationError(
            f"No password given: set {ENV_PASSWORD}, use --password-stdin, or run in a terminal to be asked."
        )
    return getpass.getpass(text)


def read_password(args: argparse.Namespace, name: str) -> str:
    if os.environ.get(ENV_PASSWORD):
        return os.environ[ENV_PASSWORD]
    if getattr(args, "password_stdin", False):
        return _Stdin.next_line("the password")
    return _prompt(f"Password for {name}: ")


def read_new_password(args: argparse.Namespace, who: str, env: str = ENV_NEW_PASSWORD,
                      stdin_flag: str = "new_password_stdin") -> str:
    if os.environ.get(env):
        return os.environ[env]
    if getattr(args, stdin_flag, False):
        return _Stdin.next_line("the new password")
    if not sys.stdin.isatty():
        raise AuthenticationError(
            f"No new password given: set {env}, use --{stdin_flag.replace('_', '-')}, or run in a terminal."
        )
    first = getpass.getpass(f"New password for {who}: ")
    if getpass.getpass("Again: ") != first:
        raise ValidationError("The two passwords differ.", field="password")
    return first


def actor_from_args(studio, args: argparse.Namespace):
    """Log in as `--user` and return the UserSession (an Actor with the user's keys)."""
    return login_from_args(studio, args)[0]


def login_from_args(studio, args: argparse.Namespace):
    """(UserSession, the password it was opened with): for `users passwd`, which must prove the old one."""
    name = getattr(args, "user", None) or os.environ.get("STUDIO_USER")
    if not name:
        raise AuthenticationError("Say who you are: --user NAME (or STUDIO_USER), with the password in "
                                  f"{ENV_PASSWORD}, on standard input (--password-stdin) or at the prompt.")
    if not studio.accounts.has_users():
        raise AuthenticationError("This data folder has no users yet: run `studio init --admin NAME` first.")
    password = read_password(args, name)
    return studio.accounts.login(name, password), password
