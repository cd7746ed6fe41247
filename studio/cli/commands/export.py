"""`studio export MODEL[:VERSION] OUT`: write a version in plaintext (needs the export grant; recorded).

    studio export stories out.safetensors                       one file (quantized versions stay quantized)
    studio export stories:3 out-dir --shard-size 2GB            model-00001-of-0000N.safetensors + index JSON
    studio export stories out.safetensors --zstd                zstd-compressed (out.safetensors.zst)
    studio export stories hf-dir --format hf                    a Hugging Face GPT-2 folder for transformers

`studio vault export` writes a version's stored files back as they were imported; this verb converts:
the studio's description in the safetensors header, shards, zstd, and real GPT-2 folders for studio models.
"""

from __future__ import annotations

import argparse

from studio.cli.auth import actor_from_args, add_user_arguments
from studio.cli.output import Output

NAME = "export"
HELP = "write a model version in plaintext: safetensors (one file or shards, optionally zstd) or a HF GPT-2 folder"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL[:VERSION]", help="model name or id, optionally :VERSION")
    parser.add_argument("out", metavar="OUT", help="the file (or folder, for shards and hf) to write; must not exist")
    parser.add_argument("--format", choices=["safetensors", "hf"], default="safetensors")
    parser.add_argument("--version", type=int, help="the version (same as MODEL:VERSION)")
    parser.add_argument("--shard-size", metavar="SIZE", help="split into shards of at most SIZE (e.g. 2GB, 500MB)")
    parser.add_argument("--zstd", action="store_true", help="compress each file with zstd")
    add_user_arguments(parser)


def run(args: argparse.Namespace, out: Output) -> int:
    from studio.cli.commands.compress import progress_state
    from studio.core.errors import ValidationError
    from studio.core.services import Studio
    from studio.core.services.compression import parse_model_ref

    model, version = parse_model_ref(args.model)
    if args.version is not None and version is not None and args.version != version:
        raise ValidationError(f"Two versions given ({version} and --version {args.version}); give one.")
    version = args.version if args.version is not None else version
    with Studio.open(args.data_dir) as studio:
        actor = actor_from_args(studio, args)
        result = studio.compression.export(actor, model, args.out, version=version, format=args.format,
                                           shard_size=args.shard_size, zstd=args.zstd, state=progress_state(out))
    if out.as_json:
        out.json(result)
        return 0
    what = f"{result.shards} shards and an index" if result.shards > 1 else ", ".join(result.files)
    out.line(f"wrote {result.path} ({what}; {result.bytes:,} bytes)")
    return 0
