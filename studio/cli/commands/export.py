"""`studio export MODEL[:VERSION] OUT`: write a version in plaintext (needs the export grant; recorded).

    studio export stories out.safetensors                       one self-contained file (config, tokenizer,
                                                                chat template and lineage inside its header)
    studio export stories:3 out-dir --shard-size 2GB            model-00001-of-0000N.safetensors + index JSON
    studio export stories out.safetensors --zstd                zstd-compressed (out.safetensors.zst)
    studio export stories hf-dir --format hf                    a Hugging Face folder for transformers
    studio export stories out.gguf --format gguf --quant q8_0   GGUF for llama.cpp/LM Studio + out.Modelfile
    studio export stories onnx-dir --format onnx [--quant int8] model.onnx (+ KV-cache decoder) for ONNX Runtime
    ... --sign                                                  sign it with your key (OpenSSF model signing)
    ... --check                                                 run the format's runtime and compare logits

`studio vault export` writes a version's stored files back as they were imported; this verb converts,
through the export formats (studio/core/exports/).
"""

from __future__ import annotations

import argparse

from studio.cli.auth import actor_from_args, add_user_arguments
from studio.cli.output import Output

NAME = "export"
HELP = "write a model version in plaintext: safetensors, a Hugging Face folder, GGUF or ONNX (optionally signed)"
FORMATS = ("safetensors", "hf", "gguf", "onnx")  # studio.core.exports.base.FORMAT_MODULES (without importing them)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL[:VERSION]", help="model name or id, optionally :VERSION")
    parser.add_argument("out", metavar="OUT", help="the file (or folder: shards, hf, onnx) to write; must not exist")
    parser.add_argument("--format", choices=FORMATS, default="safetensors")
    parser.add_argument("--version", type=int, help="the version (same as MODEL:VERSION)")
    parser.add_argument("--quant", metavar="TYPE",
                        help="gguf: f32, f16 (default for float models), bf16, q8_0, q4_0, q4_1, q5_0, q5_1; "
                             "onnx: int8 (dynamic quantization of the weights)")
    parser.add_argument("--shard-size", metavar="SIZE", help="split into shards of at most SIZE (e.g. 2GB, 500MB)")
    parser.add_argument("--zstd", action="store_true", help="compress each file with zstd")
    parser.add_argument("--no-kv-cache", action="store_true",
                        help="onnx: only the full-sequence model, without the decoder that takes past keys/values")
    parser.add_argument("--sign", action="store_true",
                        help="sign the export with your signing key (OpenSSF model signing: model.sig / OUT.sig)")
    parser.add_argument("--check", action="store_true",
                        help="run the format's runtime on the export and compare its logits with the studio's")
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
        result = studio.exports.export(actor, model, args.out, version=version, format=args.format, quant=args.quant,
                                       shard_size=args.shard_size, zstd=args.zstd, kv_cache=not args.no_kv_cache,
                                       check=args.check, sign=args.sign, state=progress_state(out))
    if out.as_json:
        out.json(result)
        return 0
    what = f"{result.shards} shards and an index" if result.shards > 1 else ", ".join(result.files)
    quant = f", {result.quant}" if result.quant else ""
    out.line(f"wrote {result.path} ({what}{quant}; {result.bytes:,} bytes; plaintext: keep it safe)")
    if result.signed_by:
        out.line(f"signed by {result.signed_by} (key {result.fingerprint[:16]}...) in {result.signature}")
    for report in (result.check or {}).values():
        if isinstance(report, dict) and "max_abs_diff" in report:
            out.line(f"checked with {report['runtime']}: largest logit difference {report['max_abs_diff']:.2e} "
                     f"over {report['tokens']} tokens")
        elif isinstance(report, dict) and "skipped" in report:
            out.line(f"not checked with {report['runtime']}: {report['skipped']}")
    if "max_abs_diff" in (result.check or {}):
        c = result.check
        out.line(f"checked with {c['runtime']}: largest logit difference {c['max_abs_diff']:.2e} over {c['tokens']} tokens")
    for note in result.notes:
        out.line(f"note: {note}")
    return 0
