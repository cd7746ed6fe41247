"""`studio keys create|list|revoke`: API keys for `studio serve` (OpenAI-compatible clients).
`studio keys signing-key [--of USER]`: the public half of a user's key that signs exports (OpenSSF model signing),
as PEM, for verifying outside the studio (`model_signing verify key ... --public_key KEY.pem`)."""

from __future__ import annotations

import argparse

from studio.cli.actions import action_parsers, add_action, run_action
from studio.cli.auth import actor_from_args
from studio.cli.output import Output

NAME = "keys"
HELP = ("API keys for the OpenAI-compatible server (`studio serve`): create (shown once), list, revoke; "
        "signing-key: the public key that checks your signed exports")


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "never"


def _show(out: Output, keys: list) -> None:
    if out.as_json:
        out.json(keys)
        return
    out.table(["id", "user", "name", "key", "status", "requests/min", "created (UTC)", "expires (UTC)"],
              [[k.id, k.user_name, k.name, k.prefix + "…", k.status, k.rate_per_min, _when(k.created_at),
                _when(k.expires_at)] for k in keys])


def _create(studio, args, out):
    from studio.core.errors import ValidationError
    from studio.core.units import parse_duration

    try:
        expires = parse_duration(args.expires)
    except ValueError as error:
        raise ValidationError(str(error), field="expires") from None
    made = studio.keys.create(actor_from_args(studio, args), args.name or "", expires_in_s=expires,
                              rate_per_min=args.rate)
    if out.as_json:
        out.json({"key": made.key, "token": made.token})
        return
    out.line(made.token)
    out.line(f"API key {made.key.id} ({made.key.name}) of {made.key.user_name}, {made.key.rate_per_min} requests "
             f"a minute, expires {_when(made.key.expires_at)} UTC.")
    out.line("This is the only time the key is shown: keep it somewhere safe. Clients send it as "
             "'Authorization: Bearer <key>' (OPENAI_API_KEY for OpenAI's clients).")


def _list(studio, args, out):
    _show(out, studio.keys.list(actor_from_args(studio, args), user=args.of))


def _revoke(studio, args, out):
    _show(out, [studio.keys.revoke(actor_from_args(studio, args), args.key)])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = action_parsers(parser)
    p = add_action(sub, "create", "make an API key for your account (printed once)", _create)
    p.add_argument("--name", help="what the key is for (default: key N)")
    p.add_argument("--expires", default="never", metavar="DURATION",
                   help="30d, 12h, 90m, 2w, or never (default)")
    from studio.core.serving.options import DEFAULT_RATE_PER_MIN

    p.add_argument("--rate", type=int, default=DEFAULT_RATE_PER_MIN, metavar="N",
                   help=f"requests a minute this key may make (default {DEFAULT_RATE_PER_MIN})")
    p = add_action(sub, "list", "list your API keys (an administrator sees everyone's)", _list)
    p.add_argument("--of", metavar="USER", help="administrators: only this user's keys")
    p = add_action(sub, "revoke", "revoke an API key: the next request with it is refused", _revoke)
    p.add_argument("key", metavar="KEY", help="the key's id, its name, or its displayed start (msk_...)")
    p = add_action(sub, "signing-key", "print the public key (PEM) that checks signed exports", _signing_key)
    p.add_argument("--of", metavar="USER", help="another user's (default: yours; yours is made if you have none)")


def run(args: argparse.Namespace, out: Output) -> int:
    return run_action(args, out)


def _signing_key(studio, args, out):
    user, fingerprint, pem = studio.signing.public_key(actor_from_args(studio, args), args.of)
    if out.as_json:
        out.json({"user": user, "fingerprint": fingerprint, "public_pem": pem})
        return
    import sys

    out.line(pem.rstrip("\n"))  # PEM alone on stdout, so that `> key.pem` is the key
    print(f"the signing key of {user}, fingerprint {fingerprint}", file=sys.stderr)
