"""`studio vault ...`: the encrypted model vault from the command line.

    studio vault import PATH [--name N] [--tag T]... [--notes TEXT] [--remove-original]
    studio vault list [--search TEXT] | show M | versions M
    studio vault export M OUT [--format safetensors|hf] [--version V]
    studio vault merge ADAPTER[:VERSION] [--name N]   (a LoRA adapter merged into its base: a full version)
    studio vault verify [M] | rotate M | delete M --yes
    studio vault share M --with USER [--permission use|export|manage] | revoke M --from USER
    studio vault bundle M --to USER OUT [--version V]   (or --to-key HEX for a user of another studio)
    studio vault unbundle FILE [--name N]
    studio vault key     (your public key, for a bundle made for you in another studio: --to-key)

Every action logs in as `--user NAME` (studio.cli.auth: the password from STUDIO_PASSWORD, --password-stdin
or a prompt); the vault opens only with that user's keys.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from studio.cli.actions import action_parsers, add_action, run_action
from studio.cli.auth import actor_from_args
from studio.cli.confirm import add_yes_argument, confirmed
from studio.cli.output import Output
from studio.core.errors import ValidationError
from studio.core.units import human_count, human_size

NAME = "vault"
HELP = "the encrypted model vault: import, list, show, versions, export, merge, verify, rotate, delete, share, " \
       "revoke, bundle, unbundle, key"

PERMISSIONS = ("use", "export", "manage")  # studio.core.security.policy.PERMISSIONS, without importing it here


def _as_user(handler: Callable[..., int]) -> Callable[..., int]:
    def run(studio, args: argparse.Namespace, out: Output) -> int:
        return handler(studio, actor_from_args(studio, args), args, out)

    return run


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = action_parsers(parser, "SUBCOMMAND")

    def action(name: str, text: str) -> argparse.ArgumentParser:
        return add_action(sub, name, text, _as_user(HANDLERS[name]))

    p = action("import", "import a .safetensors file or a Hugging Face folder (pickles are refused)")
    p.add_argument("path")
    p.add_argument("--name", help="the model's name (default: the file or folder name)")
    p.add_argument("--tag", action="append", default=[], help="a tag (repeatable)")
    p.add_argument("--notes", default="")
    p.add_argument("--remove-original", action="store_true", help="delete the plaintext source after the import")
    p.add_argument("--trust-key", metavar="KEY.pem",
                   help="a public key (PEM) to check the source's signature with (signed outside this studio)")
    p = action("list", "the models you can open")
    p.add_argument("--search", default="", help="filter by name, tag, notes, architecture or dtype")
    for name, text in (("show", "one model: metadata, versions, lineage, who holds its keys"),
                       ("versions", "the versions of one model"), ("rotate", "re-encrypt a model under new keys")):
        p = action(name, text)
        p.add_argument("model", help="name or id")
    p = action("export", "write a version in plaintext (needs the export grant; audited)")
    p.add_argument("model")
    p.add_argument("out")
    p.add_argument("--format", choices=["safetensors", "hf"], default="safetensors")
    p.add_argument("--version", type=int)
    p = action("merge", "merge a LoRA adapter version into its base model: a new full model")
    p.add_argument("model", metavar="ADAPTER[:VERSION]", help="the adapter (a LoRA run's checkpoint model)")
    p.add_argument("--name", help="the new model's name (default: '<adapter model> merged')")
    p = action("verify", "check every chunk of one model, or of every model you can open")
    p.add_argument("model", nargs="?")
    p = action("delete", "delete a model: its keys are destroyed first (crypto-shredding)")
    p.add_argument("model")
    add_yes_argument(p)
    p = action("share", "grant a user use (or export, manage) of a model: its keys are wrapped for them")
    p.add_argument("model")
    p.add_argument("--with", dest="user_name", required=True, metavar="USER")
    p.add_argument("--permission", choices=PERMISSIONS, default="use")
    p = action("revoke", "take a user's grants and keys away and rotate the model's keys")
    p.add_argument("model")
    p.add_argument("--from", dest="user_name", required=True, metavar="USER")
    p = action("bundle", "write a version encrypted for one recipient")
    p.add_argument("model")
    p.add_argument("out")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--to", dest="to_user", metavar="USER", help="a user of this studio")
    target.add_argument("--to-key", metavar="HEX", help="the recipient's X25519 public key (64 hex digits)")
    p.add_argument("--version", type=int)
    p = action("unbundle", "import a bundle made for you")
    p.add_argument("file")
    p.add_argument("--name", help="store under this name (default: the bundle's)")
    action("key", "print your public key: what another studio's user gives `vault bundle --to-key`")


def run(args: argparse.Namespace, out: Output) -> int:
    return run_action(args, out)


def _progress(out: Output):
    from studio.core.tasks import TaskState

    if out.as_json or not sys.stderr.isatty():
        return None

    def show(p) -> None:
        if p.fraction >= 0:
            sys.stderr.write(f"\r{p.message[:60]:60} {p.fraction * 100:5.1f}%")
            sys.stderr.flush()

    return TaskState(on_progress=show, min_interval_s=0.2)


def _done(state) -> None:
    if state is not None:
        sys.stderr.write("\n")


def _import(studio, actor, args, out: Output) -> int:
    state = _progress(out)
    result = studio.vault.import_path(actor, args.path, name=args.name, tags=args.tag, notes=args.notes,
                                      remove_original=args.remove_original, trust_key=args.trust_key,
                                      state=state)
    _done(state)
    v = result.version
    if out.as_json:
        out.json(result)
    else:
        out.line(f"imported {v.model_name} version {v.number}: {len(v.artifacts)} file(s), {human_size(v.size_bytes)}, "
                 f"{human_count(v.parameter_count)} parameters ({v.dtype or 'unknown dtype'})")
        if result.signature is not None and result.signature.verified:
            out.line(result.signature.describe())
        if result.skipped:
            out.line(f"not stored: {', '.join(result.skipped)}")
        for warning in result.warnings:
            out.line(f"warning: {warning}")
        if result.removed_originals:
            out.line(f"removed the plaintext original(s): {', '.join(result.removed_originals)}")
    return 0


def _list(studio, actor, args, out: Output) -> int:
    models = studio.vault.list_models(actor, args.search)
    if out.as_json:
        out.json(models)
        return 0
    rows = []
    for m in models:
        v = m.latest
        rows.append([m.id, m.name, v.number if v else "-", v.architecture if v else "", human_count(v.parameter_count) if v else "",
                     human_size(v.size_bytes) if v else "", m.created_at.strftime("%Y-%m-%d %H:%M"),
                     studio.vault.user_label(m.owner_id), ",".join(m.tags)])
    out.table(["ID", "NAME", "VERSION", "ARCHITECTURE", "PARAMS", "SIZE", "CREATED", "OWNER", "TAGS"], rows)
    return 0


def _versions_table(out: Output, versions) -> None:
    out.table(["VERSION", "KIND", "ARCHITECTURE", "PARAMS", "DTYPE", "SIZE", "CREATED", "FILES"],
              [[v.number, v.kind, v.architecture, human_count(v.parameter_count), v.dtype, human_size(v.size_bytes),
                v.created_at.strftime("%Y-%m-%d %H:%M"), len(v.artifacts)] for v in versions])


def _show(studio, actor, args, out: Output) -> int:
    d = studio.vault.show(actor, args.model)
    if out.as_json:
        out.json(d)
        return 0
    m = d.model
    out.line(f"{m.name}  (id {m.id}, owner {studio.vault.user_label(m.owner_id)})")
    out.line(f"tags: {', '.join(m.tags) or '-'}")
    if m.notes:
        out.line(f"notes: {m.notes}")
    out.line(f"keys wrapped for: {', '.join(map(studio.vault.user_label, d.recipients))} "
             "(and the administrators' recovery key)")
    out.line()
    _versions_table(out, d.versions)
    for v in d.versions:
        for e in v.lineage:
            out.line(f"  v{v.number} <- {e.kind} {e.ref} {e.label}".rstrip())
    for v in d.derived:
        out.line(f"  -> {v.model_name} v{v.number} ({v.kind})")
    return 0


def _versions(studio, actor, args, out: Output) -> int:
    versions = studio.vault.versions(actor, args.model)
    if out.as_json:
        out.json(versions)
    else:
        _versions_table(out, versions)
    return 0


def _export(studio, actor, args, out: Output) -> int:
    state = _progress(out)
    path = studio.vault.export(actor, args.model, args.out, version=args.version, format=args.format, state=state)
    _done(state)
    if out.as_json:
        out.json({"path": path, "format": args.format})
    else:
        out.line(f"exported {args.model} as {args.format} to {path} (plaintext: keep it safe)")
    return 0


def _merge(studio, actor, args, out: Output) -> int:
    from studio.core.services.runs.sources import parse_ref

    model, version = parse_ref(args.model)
    state = _progress(out)
    try:
        info = studio.vault.merge_adapter(actor, model, version, name=args.name, state=state)
    finally:
        _done(state)
    if out.as_json:
        out.json(info)
    else:
        out.line(f"Merged into {info.model_name} version {info.number}: {info.architecture}, "
                 f"{human_count(info.parameter_count)} parameters, {human_size(info.size_bytes)}")
    return 0


def _verify(studio, actor, args, out: Output) -> int:
    state = _progress(out)
    report = studio.vault.verify(actor, args.model, state=state)
    _done(state)
    if out.as_json:
        out.json({"ok": report.ok, "models": report.models, "files": report.files, "bytes": report.bytes,
                  "damaged": report.damaged})
    else:
        for d in report.damaged:
            out.line(f"DAMAGED  {d.model} v{d.version} {d.artifact}: {d.message}")
        out.line(f"checked {report.files} file(s) of {report.models} model(s), {human_size(report.bytes)}: "
                 + ("all intact" if report.ok else f"{len(report.damaged)} damaged"))
    return 0 if report.ok else 1


def _rotate(studio, actor, args, out: Output) -> int:
    state = _progress(out)
    count = studio.vault.rotate(actor, args.model, state=state)
    _done(state)
    out.json({"rotated": count}) if out.as_json else out.line(f"re-encrypted {count} file(s) of {args.model} under new keys")
    return 0


def _delete(studio, actor, args, out: Output) -> int:
    if not confirmed(args, out, what="a model", name=str(args.model), consequence="Its keys are destroyed."):
        return 1
    count = studio.vault.delete(actor, args.model)
    out.json({"deleted": args.model, "files": count}) if out.as_json else out.line(
        f"deleted {args.model}: keys destroyed, {count} file(s) removed")
    return 0


def _share(studio, actor, args, out: Output) -> int:
    count = studio.vault.share(actor, args.model, args.user_name, args.permission)
    if out.as_json:
        out.json({"user": args.user_name, "permission": args.permission, "keys": count})
    else:
        out.line(f"{args.user_name} may now {args.permission} {args.model}: {count} key(s) wrapped for them")
    return 0


def _revoke(studio, actor, args, out: Output) -> int:
    state = _progress(out)
    count = studio.vault.revoke(actor, args.model, args.user_name, state=state)
    _done(state)
    out.json({"rotated": count}) if out.as_json else out.line(
        f"{args.user_name} no longer holds grants or keys of {args.model}; {count} file(s) re-encrypted")
    return 0


def _bundle(studio, actor, args, out: Output) -> int:
    key = None
    if args.to_key:
        try:
            key = bytes.fromhex(args.to_key)
        except ValueError:
            raise ValidationError("--to-key must be 64 hexadecimal digits.") from None
    state = _progress(out)
    info = studio.vault.bundle(actor, args.model, args.out, to_user=args.to_user, to_public_key=key,
                               version=args.version, state=state)
    _done(state)
    if out.as_json:
        out.json(info)
    else:
        out.line(f"wrote {info.path}: {info.model} version {info.version}, for the key {info.recipient_fingerprint} only")
    return 0


def _unbundle(studio, actor, args, out: Output) -> int:
    state = _progress(out)
    v = studio.vault.unbundle(actor, args.file, name=args.name, state=state)
    _done(state)
    out.json(v) if out.as_json else out.line(f"imported {v.model_name} version {v.number} from the bundle")
    return 0


def _key(studio, actor, args, out: Output) -> int:
    from studio.core.vault.wrap import fingerprint

    key = bytes(actor.public_key)
    if out.as_json:
        out.json({"user": actor.user_name, "public_key": key.hex(), "fingerprint": fingerprint(key)})
    else:
        out.line(f"{key.hex()}  (fingerprint {fingerprint(key)})")
    return 0


HANDLERS: dict[str, Any] = {
    "import": _import, "list": _list, "show": _show, "versions": _versions, "export": _export, "verify": _verify,
    "rotate": _rotate, "delete": _delete, "share": _share, "revoke": _revoke, "bundle": _bundle,
    "unbundle": _unbundle, "key": _key, "merge": _merge,
}
