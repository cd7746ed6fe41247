"""`studio init --admin NAME`: create the first administrator of a new data folder."""

from __future__ import annotations

import argparse

from studio.cli.auth import ENV_PASSWORD, read_new_password, reset_stdin
from studio.cli.output import Output

NAME = "init"
HELP = "create the first administrator of a new data folder (password from STUDIO_PASSWORD, stdin or a prompt)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--admin", required=True, metavar="NAME", help="the administrator's user name")
    parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")


def run(args: argparse.Namespace, out: Output) -> int:
    from studio.cli.actions import open_studio

    reset_stdin()
    with open_studio(args) as studio:
        password = read_new_password(args, args.admin, env=ENV_PASSWORD, stdin_flag="password_stdin")
        session = studio.accounts.create_first_admin(args.admin, password)
        session.lock()
        if out.as_json:
            out.json({"admin": session.user_name, "user_id": session.user_id, "data_dir": studio.paths.root})
        else:
            out.line(f"Created the administrator {session.user_name} in {studio.paths.root}.")
    return 0
