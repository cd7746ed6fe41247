"""Entry point of the `studio` command. With no verb it starts the GUI; with a verb it runs headless.

Kept cheap to import: `studio --version` and `studio --help` load neither torch nor Qt.
"""

from __future__ import annotations

import argparse
import logging
import sys

from studio import __version__
from studio.cli.commands import COMMANDS
from studio.cli.hidden import run_hidden
from studio.cli.output import Output
from studio.core.errors import StudioError

log = logging.getLogger("studio.cli")


def _common() -> argparse.ArgumentParser:
    # SUPPRESS lets the same flag be given before or after the verb without one default hiding the other.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir", default=argparse.SUPPRESS, metavar="DIR",
        help="the data folder (default: STUDIO_DATA_DIR, else the platform's user data folder)",
    )
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="studio",
        description="Model Studio: train, compress, encrypt and audit language models on your own machine. "
        "Without a command it opens the desktop application.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"Model Studio {__version__}")
    parser.add_argument("--theme", choices=["system", "light", "dark"], default=None, help="GUI colour theme")
    parser.add_argument("--lang", default=None, metavar="LOCALE", help="GUI language, e.g. en or zh_CN")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        p = sub.add_parser(command.NAME, help=command.HELP, description=command.HELP, parents=[common])
        command.add_arguments(p)
        p.set_defaults(_run=command.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    raw = sys.argv[1:] if argv is None else argv
    hidden = run_hidden(raw)
    if hidden is not None:
        return hidden
    parser = build_parser()
    args = parser.parse_args(raw)
    args.data_dir = getattr(args, "data_dir", None)
    args.json = getattr(args, "json", False)
    if args.command is None:
        from studio.gui.app import run_gui

        return run_gui(args)
    out = Output(args.json)
    try:
        return int(args._run(args, out) or 0)
    except StudioError as error:
        log.info("command %s failed: %s", args.command, error)
        print(f"studio {args.command}: {error}", file=sys.stderr)
        return error.exit_code
    except BrokenPipeError:  # output piped into `head` and friends
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"studio {args.command}: interrupted", file=sys.stderr)
        return 130
