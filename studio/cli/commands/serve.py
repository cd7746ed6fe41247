"""`studio serve MODEL[:VERSION]... [--host 127.0.0.1] [--port 8000]`: an OpenAI-compatible HTTP server.

The user who starts it logs in (the password from the terminal or --password-stdin; never from an argument
or the environment, since the server runs for a long time and both are readable by other processes); the
models are decrypted into memory with that user's keys. Clients authenticate with API keys (`studio keys
create`), and each request is authorised as the key's user. Ctrl+C stops it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from studio.cli.actions import open_studio
from studio.cli.auth import ENV_PASSWORD, actor_from_args, add_user_arguments, reset_stdin
from studio.cli.output import Output

NAME = "serve"
HELP = "serve vault models over an OpenAI-compatible HTTP API (API keys: `studio keys create`)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from studio.core.serving.backends import BACKENDS
    from studio.core.serving.options import DEFAULT_PORT, ServeOptions

    defaults = ServeOptions()
    add_user_arguments(parser)
    parser.add_argument("models", nargs="+", metavar="MODEL[:VERSION]", help="the vault models to serve")
    parser.add_argument("--host", default=defaults.host,
                        help="the address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}; 0 for any free port")
    parser.add_argument("--max-batch", type=int, default=defaults.max_batch,
                        help=f"requests generated together in one forward pass (default {defaults.max_batch})")
    parser.add_argument("--max-queue", type=int, default=defaults.max_queue,
                        help=f"requests that may wait for a place; more are answered 503 (default {defaults.max_queue})")
    parser.add_argument("--threads", type=int, help="CPU threads for the forward passes (default: torch's)")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda")
    parser.add_argument("--backend", choices=BACKENDS, default=defaults.backend,
                        help="torch (default: the studio's own numerics) or llama.cpp (models the GGUF export writes: "
                             "faster on a CPU, batched for every family; the GGUF is made in memory)")
    parser.add_argument("--record-text", action="store_true",
                        help="administrators: record prompts and completions in the audit log (off by default)")


def run(args: argparse.Namespace, out: Output) -> int:
    from studio.core.errors import AuthenticationError, ValidationError
    from studio.core.serving.options import ServeOptions, is_loopback

    reset_stdin()
    if os.environ.get(ENV_PASSWORD):
        raise AuthenticationError(f"studio serve runs for a long time and does not take the password from "
                                  f"{ENV_PASSWORD} (other processes can read a process's environment): unset it "
                                  "and type the password, or pipe it with --password-stdin.")
    if not 0 <= args.port <= 65535:
        raise ValidationError("The port is 0 to 65535.", field="port")
    if args.threads is not None:
        import torch

        torch.set_num_threads(max(1, args.threads))
    options = ServeOptions(host=args.host, port=args.port, max_batch=args.max_batch, max_queue=args.max_queue,
                           record_text=args.record_text, backend=args.backend)
    with open_studio(args) as studio:
        actor = actor_from_args(studio, args)
        if not is_loopback(args.host):
            print(f"studio serve: warning: listening on {args.host}, not only on this machine: anyone who can "
                  "reach this address can try keys against the server, and the traffic is not encrypted (put a "
                  "TLS proxy in front of it).", file=sys.stderr)
        server = studio.serving.start(actor, args.models, options, device=args.device)
        stop = threading.Event()
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            if out.as_json:
                out.json({"url": server.url, "models": [m.id for m in server.models]})
            else:
                out.line(f"Serving {', '.join(m.id for m in server.models)} at {server.url}")
                out.line("Clients: base_url=" + server.url + ", api_key=<a key from `studio keys create`>. "
                         "Ctrl+C stops.")
            sys.stdout.flush()
            while server.running and not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            studio.serving.stop(actor, server)
            if not out.as_json:
                out.line(f"Stopped; {server.auditor.stats.entries} audit entries written for this server.")
    return 0
