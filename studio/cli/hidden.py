"""Verbs the studio uses to start its own processes (never listed; studio.core.procs builds their command
lines): `worker` (a training run's worker), `tokenize-worker` (a dataset import's tokenizer) and `torchrun`
(torch.distributed.run, re-entered through this executable so that a frozen build works).

Kept apart from the CLI's parser so that `python -m studio <hidden verb>` imports only what the child needs
(the CLI's commands cost about a second to import; a dataset import starts several tokenizers).
"""

from __future__ import annotations

import sys


def run_hidden(argv: list[str]) -> int | None:
    """The exit code of a hidden verb, or None when `argv` is not one."""
    if argv[:1] == ["worker"]:
        from studio.core.training.worker import main as worker_main

        return worker_main(argv[1:])
    if argv[:1] == ["tokenize-worker"]:
        from studio.core.datasets.encode import worker_main as tokenize_main

        tokenize_main()
        return 0
    if argv[:1] == ["torchrun"]:
        from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
        from torch.distributed.run import main as torchrun_main

        try:
            torchrun_main(argv[1:])
        except ChildFailedError as error:
            print(f"studio torchrun: a worker failed: {error}", file=sys.stderr)
            return 1
        return 0
    return None
