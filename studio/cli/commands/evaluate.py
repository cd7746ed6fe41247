"""`studio eval MODEL[:VERSION] --dataset D [--split val|test]`: measure one version (perplexity, size,
parameters and non-zeros, speed at batch 1 and 8, ms per token, samples) and keep the report."""

from __future__ import annotations

import argparse

from studio.cli.auth import actor_from_args, add_user_arguments
from studio.cli.output import Output

NAME = "eval"
HELP = "measure a model version: perplexity on a dataset split, size, speed, samples"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL[:VERSION]", help="model name or id, optionally :VERSION")
    parser.add_argument("--dataset", required=True, metavar="D", help="the dataset to measure perplexity on")
    parser.add_argument("--split", choices=["val", "test", "train"], default="val")
    parser.add_argument("--prompt", action="append", default=[], metavar="TEXT", help="a prompt for samples (repeatable)")
    add_user_arguments(parser)


def run(args: argparse.Namespace, out: Output) -> int:
    from studio.cli.commands.compress import print_results, progress_state
    from studio.core.compression.results import EvalResult
    from studio.core.services import Studio
    from studio.core.services.compression import parse_model_ref

    model, version = parse_model_ref(args.model)
    with Studio.open(args.data_dir) as studio:
        actor = actor_from_args(studio, args)
        report = studio.compression.evaluate(actor, model, version=version, dataset=args.dataset, split=args.split,
                                             prompts=args.prompt, state=progress_state(out))
    result = EvalResult.from_dict(report.results[0])
    if out.as_json:
        out.json({"model": report.model_name, "version": report.source_version, "dataset": report.dataset,
                  "split": report.split, "report": report.id, **result.to_dict()})
        return 0
    out.line(f"{report.model_name} v{report.source_version} on {report.dataset} ({report.split})")
    print_results(out, [result])
    return 0
