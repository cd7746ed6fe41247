"""`studio verify PATH [--trust-key KEY.pem]`: check the OpenSSF model signature of an export.

PATH is a signed folder (model.sig inside) or file (FILE.sig beside it). The signature is checked against the
signing keys of this studio's users, or against the public key given; every file's digest must match. Exit 0:
it checks out (who signed is printed); 1: the signature or a file does not match (named), or there is none;
a signature by a key the studio does not know, without --trust-key, is reported and exits 1 too (nothing was
checked). Importing a signed export (`studio vault import`) runs the same check.
"""

from __future__ import annotations

import argparse

from studio.cli.auth import actor_from_args, add_user_arguments
from studio.cli.output import Output

NAME = "verify"
HELP = "check the signature of a signed export (OpenSSF model signing): who signed, and that no file changed"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help="the signed file or folder")
    parser.add_argument("--trust-key", metavar="KEY.pem", help="a public key (PEM) to check the signature with")
    add_user_arguments(parser)


def run(args: argparse.Namespace, out: Output) -> int:
    from studio.core.services import Studio

    with Studio.open(args.data_dir) as studio:
        check = studio.signing.verify(actor_from_args(studio, args), args.path, args.trust_key)
    if out.as_json:
        out.json(check)
    else:
        out.line(f"{args.path}: {check.describe()}")
        if check.verified:
            out.line(f"key {check.fingerprint}; {len(check.files)} file(s): {', '.join(check.files)}")
    return 0 if check.verified else 1
