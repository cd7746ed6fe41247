"""`studio runs list|show|metrics|pause|resume|stop|kill|delete|log`: training runs and their workers."""

from __future__ import annotations

import argparse
import sys
import time

from studio.cli.actions import action_parsers, add_action, run_action
from studio.cli.auth import actor_from_args
from studio.cli.confirm import add_yes_argument, confirmed
from studio.cli.output import Output
from studio.cli.runview import follow, human_time, status_line
from studio.core.stores.run_metrics import METRICS
from studio.core.stores.runs import STATUSES
from studio.core.units import human_size

NAME = "runs"
HELP = ("list, show, pause, resume, stop, kill, delete training runs, read their metrics and logs, join multi-node "
        "runs")


def _row(r) -> list:
    size = f"{r.model_config.get('n_layer')}L/{r.model_config.get('n_embd')}d"
    best = f"{r.best_val_loss:.4f}" if r.best_val_loss is not None else "-"
    started = r.started_at.strftime("%Y-%m-%d %H:%M") if r.started_at else "-"
    return [r.id, r.name, r.status, r.dataset_name, size, f"{r.step}/{r.max_steps}", best,
            f"{r.tokens_per_s:,.0f}" if r.tokens_per_s else "-", human_time(r.eta_s), started, r.owner_name]


def _list(studio, args, out: Output):
    runs = studio.runs.list(actor_from_args(studio, args), status=args.status, search=args.search or "",
                            tag=args.tag, group=args.group)
    if out.as_json:
        out.json(runs)
    else:
        out.table(["id", "name", "status", "dataset", "model", "step", "best val", "tok/s", "ETA", "started (UTC)",
                   "owner"], [_row(r) for r in runs])


def _show(studio, args, out: Output):
    actor = actor_from_args(studio, args)
    info = studio.runs.get(actor, args.run)
    checkpoints = studio.runs.checkpoints(actor, info.id)
    events = studio.runs.events(actor, info.id)
    if out.as_json:
        out.json({"run": info, "checkpoints": checkpoints, "events": events[-50:]})
        return
    m, t = info.model_config, info.train_config
    out.line(f"Run {info.name} (id {info.id}), owner {info.owner_name}: {info.status}")
    out.line(f"  {info.message}")
    if info.error and info.status == "failed":
        out.line(f"  error: {info.error.strip().splitlines()[-1]}")
    out.line(f"  progress: {status_line(info)}")
    out.line(f"  model: {m.get('n_layer')} layers, {m.get('n_head')} heads, {m.get('n_embd')} wide, context "
             f"{m.get('block_size')}, vocabulary {m.get('vocab_size')}, {info.parameters:,} parameters"
             + (f"; fine-tuned from {info.source_name}" if info.source_name else ""))
    out.line(f"  data: {info.dataset_name}; {t.get('max_steps')} steps of {t.get('batch_size')} sequences, "
             f"{t.get('optimizer')} lr {t.get('lr')} ({t.get('schedule')})")
    if info.best_val_loss is not None:
        out.line(f"  best validation loss {info.best_val_loss:.4f}; elapsed {human_time(info.elapsed_s)}; "
                 f"{info.tokens_seen:,} tokens seen")
    if info.system:
        s = info.system
        out.line(f"  worker: {s.get('device')} {s.get('precision')}, {s.get('threads')} threads, "
                 f"{s.get('world_size')} process(es), torch {s.get('torch')} on {s.get('host')}")
    if info.tags or info.group:
        out.line(f"  tags: {', '.join(info.tags) or '-'}; group: {info.group or '-'}")
    if checkpoints:
        out.line("  checkpoints:")
        for c in sorted(checkpoints, key=lambda c: (c.step or 0, c.slot)):
            val = f"val {c.val_loss:.4f}" if c.val_loss is not None else "no validation"
            out.line(f"    {c.id:>5}  step {c.step:>7}  {c.slot:<7} {val}  {human_size(c.size_bytes)}")
    out.line("  recent events:")
    for e in events[-8:]:
        out.line(f"    {e.ts:%Y-%m-%d %H:%M:%S}  {e.kind:<10} {e.message}")


def _control(verb: str):
    def act(studio, args, out: Output):
        actor = actor_from_args(studio, args)
        if verb == "resume":
            info = studio.runs.resume(actor, args.run, checkpoint=args.checkpoint, max_steps=args.steps)
        else:
            info = getattr(studio.runs, verb)(actor, args.run)
        if verb in ("pause", "stop") and args.wait:
            target = ("paused",) if verb == "pause" else ("stopped", "completed", "failed", "diverged", "interrupted")
            deadline = time.monotonic() + args.wait
            while info.status not in target and time.monotonic() < deadline:
                time.sleep(0.2)
                info = studio.runs.get(actor, info.id)
        if verb == "resume" and getattr(args, "follow", False):
            info = follow(studio, actor, info.id, out)
        if out.as_json:
            out.json(info)
        else:
            out.line(f"Run {info.name} (id {info.id}): {info.status}; {info.message or 'request sent'}")
        return 0

    return act


def _join(studio, args, out: Output):
    info = studio.runs.join(actor_from_args(studio, args), args.run, args.node_rank)
    out.line(f"Started node {args.node_rank} of run {info.name} (id {info.id}); its log: "
             f"{studio.paths.run_dir(info.id) / f'run-node{args.node_rank}.log'}")
    if out.as_json:
        out.json(info)


def _delete(studio, args, out: Output):
    actor = actor_from_args(studio, args)
    if not confirmed(args, out, what="a run", name=str(args.run),
                     consequence="Its metrics, log and checkpoints go with it."):
        return 1
    info = studio.runs.delete(actor, args.run)
    if out.as_json:
        out.json({"deleted": info.id, "name": info.name})
    else:
        out.line(f"Deleted run {info.name} (id {info.id}) with its metrics, log and checkpoints.")


def _log(studio, args, out: Output):
    actor = actor_from_args(studio, args)
    text, offset = studio.runs.read_log(actor, args.run, -args.tail if args.tail else 0, max_bytes=1 << 30)
    if out.as_json:
        out.json({"run": studio.runs.get(actor, args.run).id, "text": text, "offset": offset})
        return 0
    sys.stdout.write(text)
    sys.stdout.flush()
    if not args.follow:
        return 0
    try:
        while True:
            time.sleep(0.5)
            text, offset = studio.runs.read_log(actor, args.run, offset)
            if text:
                sys.stdout.write(text)
                sys.stdout.flush()
            elif not studio.runs.get(actor, args.run).is_live:
                return 0
    except KeyboardInterrupt:
        return 0


def _metrics(studio, args, out: Output):
    actor = actor_from_args(studio, args)
    info = studio.runs.get(actor, args.run)
    names = args.metric or ["train_loss", "val_loss"]
    curves = studio.runs.metrics(actor, info.id, names)
    if out.as_json:  # full precision: floats print as repr, so two runs compare exactly
        out.json({"run": info.id, "metrics": {name: {"steps": [int(s) for s in c.steps],
                                                     "values": [float(v) for v in c.values]}
                                              for name, c in curves.items()}})
        return 0
    by_step: dict[int, dict[str, float]] = {}
    for name, c in curves.items():
        for step, value in zip(c.steps.tolist(), c.values.tolist(), strict=True):
            by_step.setdefault(int(step), {})[name] = value
    shown = [n for n in names if n in curves]
    out.table(["step", *shown], [[step, *(f"{row[n]:.6f}" if n in row else "-" for n in shown)]
                                 for step, row in sorted(by_step.items())])
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = action_parsers(parser)
    p = add_action(sub, "list", "list the runs you may see, newest first", _list)
    p.add_argument("--status", choices=STATUSES)
    p.add_argument("--search", help="part of the name or dataset")
    p.add_argument("--tag")
    p.add_argument("--group")
    p = add_action(sub, "show", "a run's settings, progress, checkpoints and recent events", _show)
    p.add_argument("run", help="name or id")
    for verb, text in (("pause", "pause after the current step (the worker keeps its state and waits)"),
                       ("stop", "stop with a final checkpoint"),
                       ("kill", "end the worker at once (no final checkpoint)")):
        p = add_action(sub, verb, text, _control(verb))
        p.add_argument("run", help="name or id")
        if verb != "kill":
            p.add_argument("--wait", type=float, default=0, metavar="S", help="wait up to S seconds for it to happen")
    p = add_action(sub, "resume", "continue a paused run, or a stopped/interrupted/failed one from its last "
                   "checkpoint", _control("resume"))
    p.add_argument("run", help="name or id")
    p.add_argument("--checkpoint", type=int, help="resume from this checkpoint id (see `runs show`)")
    p.add_argument("--steps", type=int, help="train to this many steps in all (to extend a finished run)")
    p.add_argument("--follow", action="store_true", help="show its progress until it ends")
    p = add_action(sub, "join", "start this machine's workers of a run over several machines (same data folder)",
                   _join)
    p.add_argument("run", help="name or id")
    p.add_argument("--node-rank", type=int, required=True, help="this machine's rank (1 .. nnodes-1)")
    p = add_action(sub, "delete", "delete a run with its metrics, log and checkpoints", _delete)
    p.add_argument("run", help="name or id")
    add_yes_argument(p)
    p = add_action(sub, "metrics", "a run's metrics by step (train and validation loss unless --metric)", _metrics)
    p.add_argument("run", help="name or id")
    p.add_argument("--metric", action="append", choices=METRICS, help="only this metric (repeatable)")
    p = add_action(sub, "log", "print a run's log (stdout and stderr of its worker)", _log)
    p.add_argument("run", help="name or id")
    p.add_argument("--follow", "-f", action="store_true", help="keep printing new lines until the run ends")
    p.add_argument("--tail", type=int, default=0, metavar="BYTES", help="only the last BYTES")


def run(args: argparse.Namespace, out: Output) -> int:
    return run_action(args, out)
