"""Who runs a CLI verb. Every verb that needs a user takes `--user NAME`; the password comes from
STUDIO_PASSWORD, --password-stdin or a TTY prompt, never from an argument.

FOUNDATION STATE: accounts arrive with issue 3, which replaces `actor_from_args` with a real login. Until
then it returns a local administrator so that verbs can be written against the final call shape.
"""

from __future__ import annotations

import argparse

from studio.core.actor import Actor


def add_user_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", metavar="NAME", help="the user to act as (password from STUDIO_PASSWORD, "
                        "--password-stdin or a prompt)")
    parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")


def actor_from_args(studio, args: argparse.Namespace) -> Actor:
    return Actor(1, args.user or "local", "admin")
