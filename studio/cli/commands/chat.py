"""`studio chat MODEL[:VERSION]`: talk with a vault model (or a run's checkpoint) in the terminal, through the
model's own chat template, the reply streamed as it is made.

    studio chat qwen --system "Answer in one sentence."
    you> What is the capital of France?
    Paris.
    you> /reset            forget the conversation (the system prompt stays)
    you> /exit             or Ctrl+D

Ctrl+C while the model answers stops that reply (what it said so far stays in the conversation); Ctrl+C or
Ctrl+D at the prompt ends the chat. With standard input not a terminal, every line is one user message
(after the password line with --password-stdin), and each reply is printed after it; --json prints the
conversation at the end.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator

from studio.cli.actions import open_studio
from studio.cli.auth import actor_from_args, add_user_arguments, remaining_stdin_lines, reset_stdin
from studio.cli.output import Output

NAME = "chat"
HELP = "chat with a vault model in the terminal (its chat template; streams; Ctrl+C stops a reply)"
PROMPT = "you> "


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_user_arguments(parser)
    parser.add_argument("source", metavar="MODEL[:VERSION]",
                        help="a vault model (name, MODEL:VERSION or model:X) or a run's checkpoint (run:X)")
    parser.add_argument("--system", help="the system prompt (what the model is told before the conversation)")
    parser.add_argument("--checkpoint", help="for a run: best (default when it has one), latest, or a checkpoint id")
    parser.add_argument("--max-tokens", type=int, default=512, help="longest reply in tokens (default 512)")
    parser.add_argument("--temperature", type=float, help="default: the model's generation_config, else 0.7; 0 is greedy")
    parser.add_argument("--top-k", type=int, help="sample among the k likeliest tokens")
    parser.add_argument("--top-p", type=float, help="sample among the likeliest tokens holding this much probability")
    parser.add_argument("--greedy", action="store_true", help="always the likeliest token")
    parser.add_argument("--seed", type=int, help="the same seed gives the same replies")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, auto")


def _messages(interactive: bool) -> Iterator[str]:
    queued = remaining_stdin_lines()
    if queued is not None:
        yield from queued
        return
    if not interactive:
        for line in sys.stdin:
            yield line.rstrip("\n")
        return
    while True:
        try:
            yield input(PROMPT)
        except (EOFError, KeyboardInterrupt):
            sys.stdout.write("\n")
            return


def run(args: argparse.Namespace, out: Output) -> int:
    from studio.core.services.runs.chat import sampling_for

    reset_stdin()
    interactive = sys.stdin.isatty() and not out.as_json
    with open_studio(args) as studio:
        actor = actor_from_args(studio, args)
        chat = studio.runs.open_chat(actor, args.source, system=args.system, checkpoint=args.checkpoint,
                                     device=args.device)
        config = sampling_for(chat.loaded.tokenizer, max_new_tokens=args.max_tokens, temperature=args.temperature,
                              top_k=args.top_k, top_p=args.top_p, greedy=args.greedy, seed=args.seed)
        if interactive:
            sys.stderr.write(f"chatting with {chat.label} (Ctrl+C stops a reply, /reset forgets, Ctrl+D ends)\n")
        for text in _messages(interactive):
            if not text.strip():
                continue
            if text.strip() in ("/exit", "/quit"):
                break
            if text.strip() == "/reset":
                chat.reset()
                continue
            stream = chat.reply(text, config)
            try:
                for piece in stream:
                    if not out.as_json:
                        sys.stdout.write(piece)
                        sys.stdout.flush()
            except KeyboardInterrupt:
                stream.close()  # the reply so far stays in the conversation
                if not interactive:
                    raise
            if not out.as_json:
                sys.stdout.write("\n")
                sys.stdout.flush()
        if out.as_json:
            out.json({"source": chat.label, "messages": chat.messages})
    return 0
