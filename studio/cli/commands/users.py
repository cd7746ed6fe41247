"""`studio users add|list|disable|enable|unlock|passwd|role`: local accounts (administrators; `passwd`
without a name changes one's own password)."""

from __future__ import annotations

import argparse

from studio.cli.actions import action_parsers, add_action, run_action
from studio.cli.auth import actor_from_args, add_new_password_arguments, login_from_args, read_new_password
from studio.cli.output import Output
from studio.core.actor import ROLES

NAME = "users"
HELP = "manage local users: add, list, disable, enable, unlock, passwd, role"


def _row(u) -> list:
    last = u.last_login_at.strftime("%Y-%m-%d %H:%M") if u.last_login_at else "never"
    return [u.name, u.role, u.status, last, u.failed_attempts]


def _show(out: Output, users: list) -> None:
    if out.as_json:
        out.json(users)
    else:
        out.table(["name", "role", "status", "last login (UTC)", "failed logins"], [_row(u) for u in users])


def _add(studio, args, out):
    actor = actor_from_args(studio, args)
    password = read_new_password(args, args.name)
    _show(out, [studio.accounts.create_user(actor, args.name, args.role, password)])


def _list(studio, args, out):
    _show(out, studio.accounts.list_users(actor_from_args(studio, args)))


def _disable(studio, args, out):
    _show(out, [studio.accounts.set_disabled(actor_from_args(studio, args), args.name, True)])


def _enable(studio, args, out):
    _show(out, [studio.accounts.set_disabled(actor_from_args(studio, args), args.name, False)])


def _unlock(studio, args, out):
    _show(out, [studio.accounts.unlock(actor_from_args(studio, args), args.name)])


def _role(studio, args, out):
    _show(out, [studio.accounts.set_role(actor_from_args(studio, args), args.name, args.role)])


def _passwd(studio, args, out):
    actor, current = login_from_args(studio, args)
    target = args.name or actor.user_name
    if target.casefold() == actor.user_name.casefold():
        studio.accounts.change_password(actor, current, read_new_password(args, actor.user_name))
        out.line(f"Changed the password of {actor.user_name}.")
        if out.as_json:
            out.json({"user": actor.user_name, "changed": True})
        return 0
    user = studio.accounts.reset_password(actor, target, read_new_password(args, target))
    out.line(f"Reset the password of {user.name}: they get new keys, their grants were revoked (to be re-issued "
             "by someone who holds those objects), and they must choose a new password at the next login.")
    if out.as_json:
        out.json(user)
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = action_parsers(parser)
    p = add_action(sub, "add", "create a user (the new password from STUDIO_NEW_PASSWORD, stdin or a prompt)", _add)
    p.add_argument("name")
    p.add_argument("--role", choices=ROLES, default="trainer")
    add_new_password_arguments(p)
    add_action(sub, "list", "list the users with their role, status, last login and failed logins", _list)
    for name, text, fn in (("disable", "disable an account (it can no longer log in)", _disable),
                           ("enable", "enable a disabled account", _enable),
                           ("unlock", "unlock an account locked after too many failed logins", _unlock)):
        add_action(sub, name, text, fn).add_argument("name")
    p = add_action(sub, "passwd", "change your own password, or (administrators) reset someone else's", _passwd)
    p.add_argument("name", nargs="?")
    add_new_password_arguments(p)
    p = add_action(sub, "role", "change a user's role", _role)
    p.add_argument("name")
    p.add_argument("role", choices=ROLES)


def run(args: argparse.Namespace, out: Output) -> int:
    return run_action(args, out)
