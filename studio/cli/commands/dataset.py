"""`studio dataset import|list|show|rename|tag|delete`: datasets from the command line.

Every action logs in as `--user NAME` (the password from STUDIO_PASSWORD, --password-stdin or a prompt).
Imports are encrypted at rest unless `--no-encrypt` (`--plaintext`); `--remove-source` deletes the source
files once the dataset is stored. Sharing is a grant: `studio grants add USER dataset:ID use|export|manage`.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from studio.cli.auth import actor_from_args, add_user_arguments, reset_stdin
from studio.cli.confirm import add_yes_argument, confirmed
from studio.cli.output import Output

NAME = "dataset"
HELP = "import, list, show, rename, tag and delete datasets"


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", default=argparse.SUPPRESS, metavar="DIR", help="the data folder")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")
    add_user_arguments(common)
    return common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common = _common()
    sub = parser.add_subparsers(dest="dataset_command", metavar="ACTION", required=True)

    imp = sub.add_parser("import", parents=[common], help="import a file or folder as a new dataset",
                         description="Import a .txt/.md file, a folder, .jsonl, .csv/.tsv or .parquet "
                         "(also .gz/.zst) as a dataset: clean, tokenize, split.")
    imp.add_argument("path", help="a file or a folder")
    imp.add_argument("--name", required=True, help="the dataset's name")
    imp.add_argument("--format", default="auto", choices=["auto", "text", "jsonl", "csv", "parquet"],
                     help="the source format (default: from the file extension)")
    fields = imp.add_mutually_exclusive_group()
    fields.add_argument("--field", help="the JSON field or CSV/Parquet column that holds the text")
    fields.add_argument("--prompt-field", help="prompt/response data: the prompt field (with --response-field)")
    fields.add_argument("--messages-field", help="chat data: the field holding a list of {role, content} messages")
    imp.add_argument("--response-field", help="prompt/response data: the response field")
    imp.add_argument("--text-unit", default="auto", choices=["auto", "file", "paragraph", "line"],
                     help="plain text: what one document is (default: a paragraph of a file, a whole file of a folder)")
    imp.add_argument("--include", action="append", default=[], metavar="GLOB", help="folder: files to read (repeatable)")
    imp.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="folder: files to skip (repeatable)")
    imp.add_argument("--tokenizer", default="bpe", metavar="byte|char|bpe|PATH",
                     help="byte-level, character-level, BPE trained on the data (default), or a tokenizer.json")
    imp.add_argument("--tokenizer-of", metavar="MODEL[:VERSION]",
                     help="tokenize with a vault model's tokenizer (instead of --tokenizer), rendering chat and "
                     "prompt/response data with its chat template, the loss on the replies only: the dataset to "
                     "fine-tune that model on")
    imp.add_argument("--vocab-size", type=int, default=8192, help="BPE vocabulary size (default 8192)")
    imp.add_argument("--split", default="0.9,0.05,0.05", help="train,validation,test ratios (default 0.9,0.05,0.05)")
    imp.add_argument("--seed", type=int, default=1337, help="seed of the split (default 1337)")
    imp.add_argument("--min-chars", type=int, default=1, help="drop documents shorter than this")
    imp.add_argument("--dedup", action="store_true", help="drop exact duplicate documents")
    imp.add_argument("--no-nfc", action="store_true", help="keep text as it is instead of Unicode NFC")
    imp.add_argument("--keep-control", action="store_true", help="keep control characters")
    imp.add_argument("--utf8-errors", default="fail", choices=["fail", "replace", "skip"],
                     help="invalid UTF-8: stop with an error (default), replace with U+FFFD, or skip the document")
    imp.add_argument("--bpe-sample-mb", type=int, default=8, help="train the BPE on this much text (default 8)")
    imp.add_argument("--tag", action="append", default=[], help="a tag (repeatable)")
    imp.add_argument("--no-encrypt", "--plaintext", dest="encrypt", action="store_false",
                     help="store the dataset in plaintext (memory-mapped) instead of encrypted through the vault "
                     "(the default: encrypted at rest, opened only with the keys of its owner and grantees)")
    imp.add_argument("--remove-source", action="store_true",
                     help="delete the source files once the dataset is stored (a plain unlink)")

    sub.add_parser("list", parents=[common], help="list datasets")
    show = sub.add_parser("show", parents=[common], help="show a dataset and its statistics")
    show.add_argument("dataset", help="name or id")
    rename = sub.add_parser("rename", parents=[common], help="rename a dataset")
    rename.add_argument("dataset", help="name or id")
    rename.add_argument("new_name")
    tag = sub.add_parser("tag", parents=[common], help="set the tags of a dataset")
    tag.add_argument("dataset", help="name or id")
    tag.add_argument("tags", nargs="*", help="the tags (none: remove all)")
    delete = sub.add_parser("delete", parents=[common], help="delete a dataset (refused while a run uses it)")
    delete.add_argument("dataset", help="name or id")
    add_yes_argument(delete)


def run(args: argparse.Namespace, out: Output) -> int:
    from studio.core.services import Studio

    args.json = getattr(args, "json", False) or out.as_json
    out.as_json = args.json
    data_dir = getattr(args, "data_dir", None)
    reset_stdin()
    with Studio.open(data_dir) as studio:
        actor = actor_from_args(studio, args)
        return _ACTIONS[args.dataset_command](studio, actor, args, out)


def _import(studio, actor, args, out: Output) -> int:
    from studio.cli.progress import ProgressLine
    from studio.core.datasets.options import ImportOptions, parse_split
    from studio.core.errors import ValidationError

    if args.prompt_field and not args.response_field or args.response_field and not args.prompt_field:
        raise ValidationError("Give both --prompt-field and --response-field.")
    options = ImportOptions(
        path=args.path, name=args.name, format=args.format, field=args.field, prompt_field=args.prompt_field,
        response_field=args.response_field, messages_field=args.messages_field, text_unit=args.text_unit,
        include=tuple(args.include), exclude=tuple(args.exclude), tokenizer=args.tokenizer,
        tokenizer_of=args.tokenizer_of,
        vocab_size=args.vocab_size, split=parse_split(args.split), seed=args.seed, normalize=not args.no_nfc,
        strip_control=not args.keep_control, min_chars=args.min_chars, dedup=args.dedup,
        utf8_errors=args.utf8_errors, bpe_sample_mb=args.bpe_sample_mb, tags=tuple(args.tag),
        encrypt=args.encrypt, remove_source=args.remove_source,
    )
    progress = ProgressLine(enabled=None if not args.json else False)
    try:
        info = studio.datasets.import_dataset(actor, options, state=progress.state())
    finally:
        progress.done()
    if out.as_json:
        out.json(info)
    else:
        _print_info(info, out)
        if info.removed_sources:
            out.line(f"removed the source: {len(info.removed_sources)} file(s) and folder(s)")
    return 0


def _list(studio, actor, args, out: Output) -> int:
    infos = studio.datasets.list(actor)
    if out.as_json:
        out.json([_summary(i) for i in infos])
        return 0
    if not infos:
        out.line("no datasets yet: `studio dataset import PATH --name NAME` makes one")
        return 0
    out.table(
        ["id", "name", "format", "tokenizer", "documents", "tokens", "size", "at rest", "created", "owner", "tags"],
        [[i.id, i.name, i.source_format, f"{i.tokenizer} {i.vocab_size}", f"{i.documents:,}", f"{i.tokens:,}",
          human_bytes(i.size_bytes), "encrypted" if i.encrypted else "plaintext",
          i.created_at.astimezone().strftime("%Y-%m-%d %H:%M"), i.owner_name, ",".join(i.tags)] for i in infos],
    )
    return 0


def _show(studio, actor, args, out: Output) -> int:
    info = studio.datasets.get(actor, args.dataset)
    holders = studio.datasets.key_holders(actor, info.id)
    if out.as_json:
        out.json({**dataclasses.asdict(info), "key_holders": holders})
    else:
        _print_info(info, out)
        if info.encrypted:
            out.line(f"key holders: {', '.join(holders)} (and the administrators, through the recovery key)")
    return 0


def _rename(studio, actor, args, out: Output) -> int:
    info = studio.datasets.rename(actor, args.dataset, args.new_name)
    out.json(_summary(info)) if out.as_json else out.line(f"dataset {info.id} is now called {info.name!r}")
    return 0


def _tag(studio, actor, args, out: Output) -> int:
    info = studio.datasets.set_tags(actor, args.dataset, args.tags)
    out.json(_summary(info)) if out.as_json else out.line(f"dataset {info.name!r} tags: {', '.join(info.tags) or '(none)'}")
    return 0


def _delete(studio, actor, args, out: Output) -> int:
    if not confirmed(args, out, what="a dataset", name=str(args.dataset),
                     consequence="Its token files and keys go with it."):
        return 1
    info = studio.datasets.delete(actor, args.dataset)
    out.json({"deleted": info.id, "name": info.name}) if out.as_json else out.line(f"deleted dataset {info.id} ({info.name})")
    return 0


_ACTIONS = {"import": _import, "list": _list, "show": _show, "rename": _rename, "tag": _tag, "delete": _delete}


def _summary(info) -> dict[str, Any]:
    d = dataclasses.asdict(info)
    d.pop("stats")
    d.pop("options")
    d.pop("removed_sources")
    return d


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"


def _print_info(info, out: Output) -> None:
    s = info.stats
    out.line(f"dataset {info.id}: {info.name}")
    out.line(f"  source     {info.source} ({info.source_format}, {s.source_files} file(s), {human_bytes(s.source_bytes)})")
    out.line(f"  content    {'prompt/response (loss mask)' if info.kind == 'sft' else 'text'}; {s.fields}")
    out.line(f"  tokenizer  {info.tokenizer}, {info.vocab_size:,} tokens ({s.vocab_used:,} used), arrays {info.dtype}")
    if info.vocab_asked:
        out.line(f"             (the BPE found {info.vocab_size:,} tokens, not the {info.vocab_asked:,} asked for: "
                 "the text holds no more merges)")
    out.line(f"  owner      {info.owner_name}; created {info.created_at.astimezone().strftime('%Y-%m-%d %H:%M')}"
             + (f"; tags {', '.join(info.tags)}" if info.tags else ""))
    out.line(f"  on disk    {human_bytes(info.size_bytes)}{' (encrypted)' if info.encrypted else ''}; "
             f"imported in {s.import_seconds:.1f} s")
    out.table(["split", "documents", "characters", "tokens"],
              [[x.name, f"{x.documents:,}", f"{x.characters:,}", f"{x.tokens:,}"] for x in s.splits])
    c = s.cleaning
    out.line("cleaning: " + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in c.items() if v) if any(c.values())
             else "cleaning: nothing to drop or change")
    if s.unknown_tokens:
        out.line(f"unknown tokens: {s.unknown_tokens:,}")
    for label, p in (("characters", s.chars_per_document), ("tokens", s.tokens_per_document)):
        if p:
            keys = [k for k in ("p0", "p10", "p50", "p90", "p99", "p100", "mean") if k in p]
            out.line(f"{label} per document: " + ", ".join(f"{k} {p[k]:,.0f}" for k in keys))
    if s.top_tokens:
        out.line("most frequent tokens: " + ", ".join(f"{t.text!r} {t.share:.1%}" for t in s.top_tokens[:12]))
