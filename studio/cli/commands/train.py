"""`studio train --dataset D [...]`: start a training run in its own worker process and follow it (a progress
bar with loss and ETA; Ctrl+C stops it cleanly with a final checkpoint, a second Ctrl+C kills it), or leave it
running with --detach."""

from __future__ import annotations

import argparse

from studio.cli.actions import open_studio
from studio.cli.auth import actor_from_args, add_user_arguments, reset_stdin
from studio.cli.output import Output
from studio.cli.runview import follow, plan_lines
from studio.core.models.config import PRESETS
from studio.core.training.config import OPTIMIZERS, PRECISIONS, SCHEDULES

NAME = "train"
HELP = ("train a GPT model on a dataset, or fine-tune a vault model (full or LoRA), in a background worker "
        "(progress bar; Ctrl+C stops with a checkpoint)")

# (flag, TrainConfig field, type, help)
TRAIN_FLAGS = [
    ("--steps", "max_steps", int, "optimizer steps (default 2000)"),
    ("--batch-size", "batch_size", int, "sequences per micro-batch (default 32)"),
    ("--seq-len", "seq_len", int, "tokens per sequence (default: the model's context)"),
    ("--grad-accum", "grad_accum", int, "micro-batches per optimizer step (default 1)"),
    ("--lr", "lr", float, "peak learning rate (default 1e-3)"),
    ("--min-lr", "min_lr", float, "final learning rate of the schedule (default lr/10)"),
    ("--warmup", "warmup_steps", int, "warm-up steps (default 100)"),
    ("--weight-decay", "weight_decay", float, "AdamW/SGD weight decay (default 0.1)"),
    ("--grad-clip", "grad_clip", float, "clip the gradient norm (0: off; default 1.0)"),
    ("--eval-every", "eval_every", int, "steps between validation evaluations (default 250)"),
    ("--eval-batches", "eval_batches", int, "batches per evaluation (default 20)"),
    ("--patience", "patience", int, "stop early after this many evaluations without improvement (0: never)"),
    ("--seed", "seed", int, "random seed (default 1337)"),
    ("--device", "device", str, "auto, cpu, cuda, cuda:N or mps (default auto)"),
    ("--threads", "threads", int, "CPU threads (0: torch's default)"),
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_user_arguments(parser)
    data = parser.add_argument_group("data and model")
    data.add_argument("--dataset", metavar="D", help="the dataset to train on (name or id)")
    data.add_argument("--preset", choices=sorted(PRESETS), help="model shape (default tiny, unless --layers, "
                      "--heads and --width are all given)")
    data.add_argument("--layers", type=int, metavar="N", help="transformer layers")
    data.add_argument("--heads", type=int, metavar="N", help="attention heads per layer")
    data.add_argument("--width", type=int, metavar="N", help="embedding width")
    data.add_argument("--context", type=int, metavar="N", help="context length in tokens")
    data.add_argument("--dropout", type=float, metavar="X", help="dropout (default 0)")
    data.add_argument("--from", dest="source", metavar="MODEL[:VERSION]",
                      help="fine-tune a vault model (its shape and tokenizer) instead of starting from scratch")
    data.add_argument("--resize-vocab", action="store_true",
                      help="with --from: allow a dataset tokenizer of another size (new embeddings start untrained)")
    lora = parser.add_argument_group("LoRA (with --from: train small adapters on the frozen model)")
    lora.add_argument("--lora", action="store_true", help="LoRA instead of full fine-tuning; the result is a small "
                      "adapter version of the base (merge it with `studio vault merge`)")
    lora.add_argument("--lora-rank", type=int, default=8, metavar="R", help="adapter rank (default 8)")
    lora.add_argument("--lora-alpha", type=float, default=16.0, metavar="A", help="scale alpha/rank (default 16)")
    lora.add_argument("--lora-dropout", type=float, default=0.05, metavar="P", help="dropout on the adapters' "
                      "inputs (default 0.05)")
    lora.add_argument("--lora-targets", default="", metavar="NAMES", help="comma-separated layer names (q_proj,v_proj; "
                      "default: every Linear layer of the blocks)")
    loop = parser.add_argument_group("training loop")
    for flag, field, kind, text in TRAIN_FLAGS:
        meta = {int: "N", float: "X", str: "D"}[kind]
        loop.add_argument(flag, dest=f"t_{field}", type=kind, metavar=meta, help=text)
    loop.add_argument("--optimizer", dest="t_optimizer", choices=OPTIMIZERS, help="default adamw")
    loop.add_argument("--schedule", dest="t_schedule", choices=SCHEDULES, help="learning-rate schedule (default cosine)")
    loop.add_argument("--precision", dest="t_precision", choices=PRECISIONS, help="default auto (bf16 on GPUs that have it)")
    loop.add_argument("--compile", dest="t_compile", action="store_true", default=None, help="torch.compile the model")
    run = parser.add_argument_group("run")
    run.add_argument("--name", help="the run's name (default: preset-dataset-N)")
    run.add_argument("--tag", action="append", default=[], help="a tag (repeatable)")
    run.add_argument("--group", default="", help="a group to file the run under")
    run.add_argument("--checkpoint-every", type=int, default=500, metavar="N",
                     help="steps between checkpoints (0: only at the end; default 500)")
    run.add_argument("--keep-last", type=int, default=2, metavar="K", help="rolling checkpoints kept (default 2)")
    run.add_argument("--nproc", type=int, default=1, help="worker processes (GPUs) on this machine; > 1 uses torchrun "
                     "and DistributedDataParallel")
    run.add_argument("--fsdp", action="store_true", help="with --nproc > 1: shard parameters, gradients and "
                     "optimizer state over the processes (FSDP2) instead of replicating the model (DDP)")
    run.add_argument("--nnodes", type=int, default=1, help="machines (torchrun pass-through)")
    run.add_argument("--node-rank", type=int, default=0, help="this machine's rank (torchrun pass-through)")
    run.add_argument("--master-addr", help="address of node 0 (torchrun pass-through)")
    run.add_argument("--master-port", type=int, help="port on node 0 (torchrun pass-through)")
    run.add_argument("--detach", action="store_true", help="start the run and return at once")
    run.add_argument("--dry-run", action="store_true", help="validate and show the estimate; start nothing")


def settings_from_args(args: argparse.Namespace):
    from studio.core.services.runs import RunSettings

    model = {k: v for k, v in {"n_layer": args.layers, "n_head": args.heads, "n_embd": args.width,
                               "block_size": args.context, "dropout": args.dropout}.items() if v is not None}
    preset = args.preset
    if preset is None and not all(k in model for k in ("n_layer", "n_head", "n_embd")):
        preset = "tiny"
    train = {k[2:]: v for k, v in vars(args).items() if k.startswith("t_") and v is not None}
    return RunSettings(dataset=args.dataset, name=args.name, preset=preset, model=model, train=train,
                       source=args.source, resize_vocab=args.resize_vocab, checkpoint_every=args.checkpoint_every,
                       keep_last=args.keep_last, nproc=args.nproc, nnodes=args.nnodes, node_rank=args.node_rank,
                       master_addr=args.master_addr, master_port=args.master_port, tags=tuple(args.tag),
                       group=args.group, lora=args.lora, lora_rank=args.lora_rank, lora_alpha=args.lora_alpha,
                       lora_dropout=args.lora_dropout,
                       lora_targets=tuple(t.strip() for t in args.lora_targets.split(",") if t.strip()),
                       fsdp=args.fsdp)


def run(args: argparse.Namespace, out: Output) -> int:
    reset_stdin()
    with open_studio(args) as studio:
        actor = actor_from_args(studio, args)
        settings = settings_from_args(args)
        plan = studio.runs.plan(actor, settings, estimate="auto")
        for line in plan_lines(plan):
            out.line(line)
        if args.dry_run:
            if out.as_json:
                out.json({"settings": plan.settings, "model": plan.model_config, "train": plan.train_config,
                          "parameters": plan.parameters, "estimate": plan.estimate, "notes": plan.notes})
            return 0
        info = studio.runs.start(actor, settings, plan=plan)
        out.line(f"Started run {info.name} (id {info.id}); its log: {studio.runs.log_path(actor, info.id)}")
        if args.detach:
            out.line(f"Follow it with `studio runs show {info.id}` or `studio runs log {info.id} --follow`.")
            if out.as_json:
                out.json(info)
            return 0
        final = follow(studio, actor, info.id, out, stop_on_interrupt=True)
        if out.as_json:
            out.json(final)
        return 0 if final.status in ("completed", "stopped") else 1

