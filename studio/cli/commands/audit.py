"""`studio audit list|verify|export|reseal`: read, check and export the tamper-evident log, and acknowledge a
detected break so that a new chain starts (administrators)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from studio.cli.actions import action_parsers, add_action, run_action
from studio.cli.auth import actor_from_args
from studio.cli.output import Output
from studio.core.errors import ValidationError

NAME = "audit"
HELP = "list, verify, export the audit log; acknowledge a detected break"


def _time(text: str | None, end: bool = False) -> str | None:
    """An ISO date or date-time (UTC unless it carries an offset) as the log's timestamp text."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as error:
        raise ValidationError(f"Give times as ISO 8601, e.g. 2026-11-28 or 2026-11-28T14:30 ({error}).") from error
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    if end and len(text) == 10:  # a whole day: up to its end
        value = value.replace(hour=23, minute=59, second=59, microsecond=999999)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _filter(args):
    from studio.core.stores.audit import AuditFilter

    obj_type, obj_id = (args.object.partition(":")[0], args.object.partition(":")[2] or None) if args.object \
        else (None, None)
    return AuditFilter(user=args.actor, action=args.action, obj_type=obj_type, obj_id=obj_id, outcome=args.outcome,
                       since=_time(args.since), until=_time(args.until, end=True), text=args.search)


def _list(studio, args, out):
    entries = studio.audit.page(actor_from_args(studio, args), _filter(args), limit=args.limit)
    if out.as_json:
        out.json([e.as_dict() for e in entries])
        return 0
    out.table(["seq", "time (UTC)", "user", "action", "object", "outcome", "details"],
              [[e.seq, e.ts[:19].replace("T", " "), e.actor_name, e.action,
                f"{e.obj_type}:{e.obj_id}" if e.obj_id else (e.obj_type or ""), e.outcome,
                e.details_json if len(e.details_json) <= 60 else e.details_json[:57] + "..."] for e in entries])
    return 0


def _verify(studio, args, out):
    report = studio.audit.verify(actor_from_args(studio, args))
    if out.as_json:
        out.json(report)
    else:
        out.line(report.summary())
        if report.ok and report.head_seq:
            out.line(f"Head: entry {report.head_seq}, MAC {report.head_mac} (keep a copy elsewhere to detect a "
                     "rollback of the whole folder)")
    return 0 if report.ok else 1


def _reseal(studio, args, out):
    report = studio.audit.reseal(actor_from_args(studio, args), acknowledge=args.acknowledge)
    if out.as_json:
        out.json(report)
    else:
        out.line("The break is acknowledged and recorded; a new chain starts from a new anchor.")
        out.line(report.summary())
    return 0 if report.ok else 1


def _export(studio, args, out):
    count = studio.audit.export(actor_from_args(studio, args), args.file, _filter(args), args.format)
    if out.as_json:
        out.json({"file": args.file, "entries": count})
    else:
        out.line(f"Exported {count} entries to {args.file}.")
    return 0


def _add_filters(p: argparse.ArgumentParser) -> None:
    # --user is who runs the command (as in every verb); --actor filters by the user who acted.
    p.add_argument("--actor", metavar="NAME", help="only entries of this user (--user is who runs the command)")
    p.add_argument("--action", help="an operation (model.export) or a prefix ending in a dot (model.)")
    p.add_argument("--object", metavar="TYPE[:ID]", help="e.g. model:12 or model")
    p.add_argument("--outcome", choices=["allowed", "denied", "failed"])
    p.add_argument("--since", metavar="TIME", help="ISO date or time, UTC unless it has an offset")
    p.add_argument("--until", metavar="TIME", help="ISO date or time (a date means up to its end)")
    p.add_argument("--search", metavar="TEXT", help="text to find in the details")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = action_parsers(parser)
    p = add_action(sub, "list", "the newest entries first, filtered", _list)
    _add_filters(p)
    p.add_argument("--limit", type=int, default=50, help="how many entries (default 50)")
    add_action(sub, "verify", "check the whole chain and its head anchor; exit 1 and name the first bad entry",
               _verify)
    p = add_action(sub, "reseal", "after a detected break (verify failed, or work is refused): record that you "
                   "checked it and start a new chain; the entries before it are kept as found", _reseal)
    p.add_argument("--acknowledge", action="store_true",
                   help="confirm that you have looked at what verify reports (without it, nothing is done)")
    p = add_action(sub, "export", "write the (filtered) log to a .csv or .jsonl file, oldest first", _export)
    p.add_argument("file")
    p.add_argument("--format", choices=["csv", "jsonl"], help="default: from the file's extension")
    _add_filters(p)


def run(args: argparse.Namespace, out: Output) -> int:
    return run_action(args, out)
