"""`studio grants add|list|revoke`: who may use, export or manage a model or dataset."""

from __future__ import annotations

import argparse

from studio.cli.actions import action_parsers, add_action, run_action
from studio.cli.auth import actor_from_args
from studio.cli.output import Output
from studio.core.security.policy import PERMISSIONS

NAME = "grants"
HELP = "give, list and revoke per-object permissions (use, export, manage on model:ID or dataset:ID)"


def _show(out: Output, grants: list) -> None:
    if out.as_json:
        out.json(grants)
        return
    out.table(["user", "object", "name", "permission", "granted (UTC)"],
              [[g.user_name, f"{g.obj_type}:{g.obj_id}", g.obj_name or "", g.permission,
                g.granted_at.strftime("%Y-%m-%d %H:%M")] for g in grants])


def _add(studio, args, out):
    from studio.core.services.grants import parse_object

    obj_type, obj_id = parse_object(args.object)
    _show(out, [studio.grants.add(actor_from_args(studio, args), args.to, obj_type, obj_id, args.permission)])


def _revoke(studio, args, out):
    from studio.core.services.grants import parse_object

    obj_type, obj_id = parse_object(args.object)
    _show(out, [studio.grants.revoke(actor_from_args(studio, args), args.to, obj_type, obj_id, args.permission)])


def _list(studio, args, out):
    from studio.core.services.grants import parse_object

    obj_type, obj_id = parse_object(args.object) if args.object else (None, None)
    _show(out, studio.grants.list(actor_from_args(studio, args), user_name=args.of, obj_type=obj_type,
                                  obj_id=obj_id))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = action_parsers(parser)
    for name, text, fn in (("add", "give USER a permission on an object", _add),
                           ("revoke", "take a permission back", _revoke)):
        p = add_action(sub, name, text, fn)
        p.add_argument("to", metavar="USER")
        p.add_argument("object", metavar="OBJECT", help="model:ID or dataset:ID")
        p.add_argument("permission", choices=PERMISSIONS)
    p = add_action(sub, "list", "list grants: yours, a user's (--of) or an object's (--object)", _list)
    p.add_argument("--of", metavar="USER", help="the grants of this user")
    p.add_argument("--object", metavar="OBJECT", help="the grants on model:ID or dataset:ID")


def run(args: argparse.Namespace, out: Output) -> int:
    return run_action(args, out)
