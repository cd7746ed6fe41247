"""`studio sample MODEL_OR_RUN --prompt P [...]`: generate text from a run's checkpoint or a vault model,
printed as it is made."""

from __future__ import annotations

import argparse
import sys

from studio.cli.actions import open_studio
from studio.cli.auth import actor_from_args, add_user_arguments, reset_stdin
from studio.cli.output import Output

NAME = "sample"
HELP = "generate text from a run's checkpoint or a vault model (streams as it is made)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_user_arguments(parser)
    parser.add_argument("source", metavar="MODEL_OR_RUN",
                        help="a run (name, id or run:X) or a vault model (name, MODEL:VERSION or model:X)")
    parser.add_argument("--prompt", default="", help="the text to continue (default: a new document)")
    parser.add_argument("--checkpoint", help="for a run: best (default when it has one), latest, or a checkpoint id")
    parser.add_argument("--max-tokens", type=int, default=200, help="tokens to generate (default 200)")
    parser.add_argument("--temperature", type=float, default=0.8, help="default 0.8; 0 is greedy")
    parser.add_argument("--top-k", type=int, help="sample among the k likeliest tokens")
    parser.add_argument("--top-p", type=float, help="sample among the likeliest tokens holding this much probability")
    parser.add_argument("--greedy", action="store_true", help="always the likeliest token")
    parser.add_argument("--seed", type=int, help="the same seed gives the same text")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, auto")


def run(args: argparse.Namespace, out: Output) -> int:
    from studio.core.models.generate import SamplingConfig

    reset_stdin()
    config = SamplingConfig(max_new_tokens=args.max_tokens, temperature=args.temperature, top_k=args.top_k,
                            top_p=args.top_p, greedy=args.greedy, seed=args.seed).validate()
    with open_studio(args) as studio:
        actor = actor_from_args(studio, args)
        loaded = studio.runs.load_model(actor, args.source, checkpoint=args.checkpoint, device=args.device)
        from studio.core.services.runs.sampling import stream_text

        pieces = []
        if not out.as_json:
            sys.stdout.write(args.prompt)
            sys.stdout.flush()
        try:
            for piece in stream_text(loaded.model, loaded.tokenizer, args.prompt, config):
                pieces.append(piece)
                if not out.as_json:
                    sys.stdout.write(piece)
                    sys.stdout.flush()
        except KeyboardInterrupt:
            pass
        if out.as_json:
            out.json({"source": loaded.label, "prompt": args.prompt, "text": "".join(pieces)})
        else:
            sys.stdout.write("\n")
    return 0
