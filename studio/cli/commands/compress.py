"""`studio compress MODEL[:VERSION]`: prune and/or quantize a model version into a new version.

    studio compress stories --quant int8 --dataset sample
    studio compress stories:2 --prune 0.3 --quant int4 --group-size 64 --name stories-small
    studio compress stories --prune 0.25 --structured --recover-steps 200 --dataset sample
    studio compress stories --prune 0.5 --method sparsegpt --pattern 2:4 --dataset sample
    studio compress stories --quant int4 --group-size 128 --quant-method gptq --calib sample --dataset sample
    studio compress stories --quant awq --group-size 128 --calib sample      # int4 by AWQ (--bits 8: int8)

The result is stored in the vault as a new version (of MODEL, or of a model called --name) with its lineage.
With --dataset, the original and the result are measured side by side (perplexity, KL divergence to the original
and top-1 agreement on --split, size, speed, samples) and the report is kept (the Compression pane lists it).
Wanda, SparseGPT, GPTQ and AWQ learn from calibration data: --calib DATASET (default: --dataset), its
--calib-split, --calib-samples windows of --calib-len tokens.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from studio.cli.auth import actor_from_args, add_user_arguments
from studio.cli.output import Output
from studio.core.compression.recipe import (
    DEFAULT_CALIB_SAMPLES,
    GROUP_SIZES,
    KERNELS,
    PATTERNS,
    PRUNE_METHODS,
    QUANT_METHODS,
    SCOPES,
    SPLITS,
    WEIGHT_QUANTIZERS,
    Recipe,
)
from studio.core.errors import ValidationError

NAME = "compress"
HELP = "prune and/or quantize a model version into a new version (with a before/after report)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL[:VERSION]", help="model name or id, optionally :VERSION (default: latest)")
    parser.add_argument("--prune", type=float, default=0.0, metavar="SPARSITY",
                        help="fraction to remove, 0 to 0.95 (of weights, or of heads and neurons with --structured)")
    parser.add_argument("--structured", action="store_true", help="remove whole attention heads and MLP neurons")
    parser.add_argument("--scope", choices=SCOPES, default="layer", help="unstructured pruning: per matrix or global")
    parser.add_argument("--method", choices=PRUNE_METHODS, default="magnitude",
                        help="unstructured / N:M pruning: by |weight| (magnitude), |weight| x input norm (wanda), "
                             "with the remaining weights updated to compensate (sparsegpt), or solved for the best "
                             "remaining weights per layer (admm); all but magnitude calibrate")
    parser.add_argument("--pattern", choices=PATTERNS, default="unstructured",
                        help="N:M semi-structured sparsity (2:4 keeps 2 of every 4 inputs; --prune then defaults to 0.5)")
    parser.add_argument("--quant", choices=QUANT_METHODS + WEIGHT_QUANTIZERS, default="none",
                        help="weight quantization: a format (int8, int4, ...), or a method (rtn, gptq, awq) for "
                             "--bits bits")
    parser.add_argument("--quant-method", choices=WEIGHT_QUANTIZERS, default=None,
                        help="how int8 / int4 values are chosen: round to nearest (default), GPTQ (error-compensating) "
                             "or AWQ (activation-aware scales); the last two calibrate")
    parser.add_argument("--bits", type=int, choices=(4, 8), default=4, help="with --quant rtn|gptq|awq (default: 4)")
    parser.add_argument("--act-order", action="store_true", help="GPTQ: quantize columns by decreasing importance")
    parser.add_argument("--calib", metavar="DATASET", help="calibration dataset (default: --dataset)")
    parser.add_argument("--calib-split", choices=SPLITS, default="train", help="calibration split (default: train)")
    parser.add_argument("--calib-samples", type=int, default=DEFAULT_CALIB_SAMPLES, metavar="N",
                        help=f"calibration windows (default: {DEFAULT_CALIB_SAMPLES})")
    parser.add_argument("--calib-len", type=int, default=0, metavar="TOKENS",
                        help="tokens per calibration window (default: the model's context, at most 512)")
    parser.add_argument("--group-size", type=int, default=64, choices=GROUP_SIZES, help="int4 group size")
    parser.add_argument("--kernel", choices=KERNELS, default="auto", help="how quantized layers run (default: auto)")
    parser.add_argument("--keep-embeddings", action="store_true", help="leave the embeddings in float32")
    parser.add_argument("--recover-steps", type=int, default=0, metavar="N", help="fine-tune N steps after pruning")
    parser.add_argument("--recover-lr", type=float, default=3e-4, metavar="LR", help="recovery learning rate")
    parser.add_argument("--dataset", metavar="D", help="dataset for recovery and evaluation")
    parser.add_argument("--split", choices=["val", "test", "train"], default="val", help="evaluation split")
    parser.add_argument("--prompt", action="append", default=[], metavar="TEXT",
                        help="a prompt for the side-by-side samples (repeatable; default: cut from the split)")
    parser.add_argument("--no-eval", action="store_true", help="store the result without measuring it")
    parser.add_argument("--name", metavar="OUT", help="store as a version of this model (a new model if needed)")
    parser.add_argument("--device", default="cpu", help="device for the recovery fine-tune (cpu, cuda, auto)")
    add_user_arguments(parser)


def progress_state(out: Output) -> Any:
    """A TaskState printing one updating line on stderr (when it is a terminal and output is not JSON)."""
    from studio.core.tasks import TaskState

    stream = sys.stderr
    enabled = stream.isatty() and not out.as_json
    width = [0]

    def show(p: Any) -> None:
        if not enabled:
            return
        pct = "  ?%" if p.fraction < 0 else f"{p.fraction * 100:3.0f}%"
        text = f"{pct}  {p.message}"
        stream.write("\r" + text.ljust(width[0]))
        stream.flush()
        width[0] = max(width[0], len(text))
        if p.fraction >= 1.0:
            stream.write("\r" + " " * width[0] + "\r")

    return TaskState(on_progress=show, min_interval_s=0.2)


def quant_choice(quant: str, method: str | None, bits: int) -> tuple[str, str]:
    """(format, method) from `--quant` and `--quant-method`: `--quant gptq` (the method, as the literature names a
    quantization) means `--quant int4 --quant-method gptq` (int8 with --bits 8)."""
    if quant in WEIGHT_QUANTIZERS:
        if method is not None and method != quant:
            raise ValidationError(f"--quant {quant} and --quant-method {method} disagree; give one of them.",
                                  field="quant_method")
        return ("int4" if bits == 4 else "int8"), quant
    return quant, method or "rtn"


def run(args: argparse.Namespace, out: Output) -> int:
    from studio.core.services import Studio
    from studio.core.services.compression import parse_model_ref

    quant, quant_method = quant_choice(args.quant, args.quant_method, args.bits)
    sparsity = args.prune
    if args.pattern != "unstructured" and not sparsity:  # the pattern fixes the share
        n, m = map(int, args.pattern.split(":"))
        sparsity = 1 - n / m
    recipe = Recipe(sparsity=sparsity, structured=args.structured, scope=args.scope, quant=quant,
                    group_size=args.group_size, kernel=args.kernel, quantize_embeddings=not args.keep_embeddings,
                    recover_steps=args.recover_steps, recover_lr=args.recover_lr, method=args.method,
                    pattern=args.pattern, quant_method=quant_method, act_order=args.act_order,
                    calib_dataset=args.calib, calib_split=args.calib_split, calib_samples=args.calib_samples,
                    calib_seq_len=args.calib_len).validate()
    model, version = parse_model_ref(args.model)
    with Studio.open(args.data_dir) as studio:
        actor = actor_from_args(studio, args)
        outcome = studio.compression.compress(
            actor, model, recipe, version=version, dataset=args.dataset, split=args.split, name=args.name,
            evaluate=not args.no_eval, prompts=args.prompt, device=args.device, state=progress_state(out))
    if out.as_json:
        out.json({"model": outcome.version.model_name, "version": outcome.version.version,
                  "source": {"model": outcome.report.model_name, "version": outcome.report.source_version},
                  "recipe": recipe.to_dict(), "label": recipe.label(), "report": outcome.report.id,
                  "log": list(outcome.report.log), "results": [r.to_dict() for r in outcome.results]})
        return 0
    out.line(f"{outcome.report.model_name} v{outcome.report.source_version} -> {outcome.version.model_name} "
             f"v{outcome.version.version} ({recipe.label()})")
    for line in outcome.report.log:  # the calibration warnings are among them ("Warning: ...")
        out.line(f"  {line}")
    if outcome.results:
        print_results(out, outcome.results)
    return 0


def print_results(out: Output, results: Any) -> None:
    from studio.core.compression.report import human_bytes, table_rows

    rows = table_rows(list(results))
    out.line("")
    out.table(["variant", "size", "x", "params", "non-zeros", "ppl", "change", "KL", "top-1", "tok/s b1", "tok/s b8",
               "ms/token", "kernel", "took"],
              [[r["variant"], human_bytes(r["file_bytes"]), _f(r["size_ratio"], ".3f"), f"{r['parameters']:,}",
                f"{r['nonzeros']:,}", _f(r["perplexity"], ".4g"), _f(r["ppl_change_pct"], "+.2f", "%"),
                _f(_finite(r["kl"]), ".4f"), _f(_finite(r["top1"]), ".3f"),
                _f(r["tokens_per_s_b1"], ",.0f"), _f(r["tokens_per_s_b8"], ",.0f"), _f(r["ms_per_token"], ".2f"),
                r["kernel"], _f(r["compress_seconds"], ".1f", " s")] for r in rows])
    calibration = next((r["calibration"] for r in rows if r["calibration"]), "")
    if calibration:
        out.line(f"calibration: {calibration}")
    for r in results:
        for sample in r.samples:
            out.line(f"\n[{r.label}] {sample}")


def _finite(v: Any) -> Any:
    return None if v is None or (isinstance(v, float) and v != v) else v


def _f(v: Any, spec: str, suffix: str = "") -> str:
    return "-" if v is None else f"{v:{spec}}{suffix}"
