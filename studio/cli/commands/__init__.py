"""Every CLI verb, registered statically (no plugin discovery: the frozen build must see them all).

A verb module defines NAME, HELP, `add_arguments(parser)` and `run(args, out) -> int`.
"""

from studio.cli.commands import (
    audit,
    chat,
    compress,
    dataset,
    doctor,
    evaluate,
    export,
    grants,
    init,
    keys,
    runs,
    sample,
    selftest,
    serve,
    train,
    users,
    vault,
    verify,
)

COMMANDS = [doctor, init, users, grants, keys, audit, dataset, vault, train, runs, sample, chat, compress, evaluate,
            export, verify, serve, selftest]
