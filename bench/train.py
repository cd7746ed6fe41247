"""Training throughput: the studio's real worker process against a bare nanoGPT-style loop of the identical
model, data and batch, in one process tree and one go.

    .venv/bin/python bench/train.py [--rounds 12] [--steps 25] [--preset tiny] [--batch 32] [--seq 128]
    .venv/bin/python bench/train.py --in-process      # phase 1: the Trainer object against the bare loop

The studio side is a run started through the run service: its own OS process (`studio worker`), metrics
written to the database in batches, control polled from the database, checkpoints encrypted through the vault
every --checkpoint-every steps. The bare loop is nanoGPT's train.py reduced to its core (its own copy of the
model, nanoGPT's get_batch from a memmap of the same tokens, AdamW with the same decay groups, cosine lr,
clipping at 1.0, loss.item() only every 10 steps), started from the studio model's initial weights, in this
process. The two take turns (the worker paused while the bare loop runs, and the other way round), so load
from other work on the machine falls on both alike. Studio tokens/s over a turn = tokens seen / run time (the
worker's clock excludes only paused time: metric writes and checkpoints are counted). Also prints model FLOPs
utilisation (6N + 12LdT FLOPs per token) against a float32 matmul peak measured in the same run.
Goal: studio / bare >= 0.97.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from studio.core.models.config import preset  # noqa: E402
from studio.core.models.estimate import flops_per_token, matmul_rate  # noqa: E402
from studio.core.models.gpt import model_tensors  # noqa: E402
from studio.core.training.config import TrainConfig  # noqa: E402
from studio.core.training.data import TokenSplit, TrainData  # noqa: E402
from studio.core.training.trainer import Trainer  # noqa: E402

VOCAB = 65  # a character-level vocabulary, as nanoGPT's shakespeare_char


# --- the bare loop: nanoGPT's model.py and train.py, condensed -------------------------------------------

class BareBlock(nn.Module):
    def __init__(self, d: int, heads: int):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(d)
        self.attn = nn.Module()
        self.attn.c_attn = nn.Linear(d, 3 * d)
        self.attn.c_proj = nn.Linear(d, d)
        self.ln_2 = nn.LayerNorm(d)
        self.mlp = nn.Module()
        self.mlp.c_fc = nn.Linear(d, 4 * d)
        self.mlp.c_proj = nn.Linear(4 * d, d)

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.attn.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.attn.c_proj(y)
        return x + self.mlp.c_proj(F.gelu(self.mlp.c_fc(self.ln_2(x)), approximate="tanh"))


class BareGPT(nn.Module):
    def __init__(self, vocab: int, block: int, layers: int, heads: int, d: int):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(vocab, d), wpe=nn.Embedding(block, d),
            h=nn.ModuleList([BareBlock(d, heads) for _ in range(layers)]), ln_f=nn.LayerNorm(d)))
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.transformer.wte.weight = self.lm_head.weight

    def forward(self, idx, targets):
        pos = torch.arange(idx.size(1), device=idx.device)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)


class BareLoop:
    def __init__(self, path: Path, cfg, weights, batch: int, seq: int, lr: float, max_iters: int):
        self.path, self.batch, self.seq, self.lr, self.max_iters = path, batch, seq, lr, max_iters
        self.model = BareGPT(cfg.vocab_size, cfg.block_size, cfg.n_layer, cfg.n_head, cfg.n_embd)
        result = self.model.load_state_dict(weights, strict=False)
        assert result.missing_keys == ["lm_head.weight"] and not result.unexpected_keys  # tied to wte
        params = [p for p in self.model.parameters() if p.requires_grad]
        self.opt = torch.optim.AdamW([{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
                                      {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}],
                                     lr=lr, betas=(0.9, 0.99))
        self.iter = 0

    def get_batch(self):
        data = np.memmap(self.path, dtype=np.uint16, mode="r")  # nanoGPT re-opens it every batch
        ix = torch.randint(len(data) - self.seq, (self.batch,))
        x = torch.stack([torch.from_numpy(data[i:i + self.seq].astype(np.int64)) for i in ix])
        y = torch.stack([torch.from_numpy(data[i + 1:i + 1 + self.seq].astype(np.int64)) for i in ix])
        return x, y

    def get_lr(self, it: int) -> float:
        warmup, min_lr = 100, self.lr / 10
        if it < warmup:
            return self.lr * (it + 1) / (warmup + 1)
        ratio = min(1.0, (it - warmup) / (self.max_iters - warmup))
        return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (self.lr - min_lr)

    def run(self, steps: int) -> None:
        for _ in range(steps):
            for g in self.opt.param_groups:
                g["lr"] = self.get_lr(self.iter)
            x, y = self.get_batch()
            loss = self.model(x, y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.opt.step()
            self.opt.zero_grad(set_to_none=True)
            if self.iter % 10 == 0:
                loss.item()
            self.iter += 1


# --- the measurement ---------------------------------------------------------------------------------------

def timed(fn, steps: int, tokens_per_step: int) -> tuple[float, float]:
    """(tokens per wall second, tokens per CPU second of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn(steps)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return steps * tokens_per_step / wall, steps * tokens_per_step / max(cpu, 1e-9)


def in_process(args) -> None:
    """Phase 1's comparison: Trainer.steps() in this process against the bare loop, step by step."""

    cfg = preset(args.preset, VOCAB, block_size=args.seq)
    total_steps = (args.rounds + 1) * args.steps + 10
    tokens = np.random.default_rng(0).integers(0, VOCAB, size=1_000_000).astype(np.uint16)
    tokens_per_step = args.batch * args.seq
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.bin"
        tokens.tofile(path)
        data = TrainData(TokenSplit(np.memmap(path, dtype=np.uint16, mode="r")))  # no val split: no evals
        tc = TrainConfig(max_steps=total_steps, batch_size=args.batch, seq_len=args.seq, lr=1e-3, warmup_steps=100,
                         weight_decay=0.1, grad_clip=1.0, device="cpu", seed=1337)
        trainer = Trainer(cfg, tc, data)
        bare = BareLoop(path, cfg, model_tensors(trainer.model), args.batch, args.seq, 1e-3, total_steps)
        metrics = []
        stream = trainer.steps()

        def studio(steps: int) -> None:
            for m in islice(stream, steps):
                metrics.append(m)  # what a worker's metrics writer would receive

        peak = matmul_rate("cpu", size=1024, repeats=10)
        studio(5)  # warm-up (allocator, thread pool)
        bare.run(5)
        ours, theirs = [], []
        for r in range(args.rounds):  # alternate which goes first, so drift in machine load cancels
            pair = [(bare.run, theirs), (studio, ours)]
            for fn, out in (pair if r % 2 == 0 else pair[::-1]):
                out.append(timed(fn, args.steps, tokens_per_step))
        peak = max(peak, matmul_rate("cpu", size=1024, repeats=10))

    fpt = flops_per_token(cfg, args.seq)
    ours_wall, ours_cpu = [w for w, _ in ours], [c for _, c in ours]
    bare_wall, bare_cpu = [w for w, _ in theirs], [c for _, c in theirs]
    o, b = statistics.median(ours_wall), statistics.median(bare_wall)
    paired = statistics.median(x / y for x, y in zip(ours_wall, bare_wall, strict=True))

    def spread(xs: list[float]) -> str:
        q = statistics.quantiles(xs, n=4)
        return f"quartiles {q[0]:.0f} .. {q[2]:.0f}, best {max(xs):.0f}"

    print(f"model: preset {args.preset} ({cfg.n_layer}L/{cfg.n_head}H/{cfg.n_embd}d, vocab {VOCAB}), "
          f"batch {args.batch} x {args.seq}, {torch.get_num_threads()} threads, torch {torch.__version__}")
    print(f"rounds: {args.rounds} x {args.steps} step(s) per loop, taking turns")
    print(f"bare nanoGPT loop   median {b:8.0f} tok/s  ({spread(bare_wall)})")
    print(f"studio Trainer      median {o:8.0f} tok/s  ({spread(ours_wall)})")
    print(f"ratio studio / bare: {paired:.3f} median of paired rounds (goal >= 0.97 -> "
          f"{'met' if paired >= 0.97 else 'NOT met'}); ratio of medians {o / b:.3f}; "
          f"of bests {max(ours_wall) / max(bare_wall):.3f}")
    print(f"per CPU-second of this process: bare {statistics.median(bare_cpu):.0f}, studio "
          f"{statistics.median(ours_cpu):.0f} tok/s, ratio {statistics.median(ours_cpu) / statistics.median(bare_cpu):.3f}")
    print(f"matmul peak (float32 1024^3, best of 20): {peak / 1e9:.1f} GFLOP/s; "
          f"model FLOPs per token {fpt / 1e6:.2f} M")
    print(f"MFU at the median: bare {b * fpt / peak:.1%}, studio {o * fpt / peak:.1%}; at the best: bare "
          f"{max(bare_wall) * fpt / peak:.1%}, studio {max(ours_wall) * fpt / peak:.1%}")
    print(f"studio metrics received: {len(metrics)}, last train loss {metrics[-1].train_loss:.3f}")


# --- the worker process against the bare loop ------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), every thread included."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_mode(args) -> None:
    import json

    from studio.core.models.config import parameter_count
    from studio.core.security import passwords
    from studio.core.services import Studio
    from studio.core.services.runs import RunSettings

    passwords.set_active_params(passwords.Argon2Params(1, 1, 64))  # logins are not what is measured
    cfg = preset(args.preset, VOCAB, block_size=args.seq)
    tokens_per_step = args.batch * args.seq
    total_steps = args.warmup + (args.rounds + 2) * args.steps * 2 + 50
    tokens = np.random.default_rng(0).integers(0, VOCAB, size=1_000_000).astype(np.uint16)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = root / "tokens"
        folder.mkdir()
        np.save(folder / "train.npy", tokens)  # what the worker reads (no validation split: no evaluations)
        (folder / "meta.json").write_text(json.dumps({"vocab_size": VOCAB, "eos_id": 0}))
        tokens.tofile(root / "train.bin")  # what the bare loop reads: the same tokens
        train = dict(max_steps=total_steps, batch_size=args.batch, seq_len=args.seq, lr=1e-3, warmup_steps=100,
                     weight_decay=0.1, grad_clip=1.0, device="cpu", seed=1337, threads=args.threads)
        tc = TrainConfig(**train)
        # the bare loop starts from the weights the worker starts from (the Trainer seeds, then builds)
        starter = Trainer(cfg, tc, TrainData(TokenSplit(np.memmap(root / "train.bin", dtype=np.uint16, mode="r"))))
        bare = BareLoop(root / "train.bin", cfg, model_tensors(starter.model), args.batch, args.seq, 1e-3, total_steps)
        del starter
        if args.threads:
            torch.set_num_threads(args.threads)
        peak = matmul_rate("cpu", size=1024, repeats=10)
        with Studio.open(root / "data", log_to_file=False) as studio:
            admin = studio.accounts.create_first_admin("bench", "Quartz-Falcon-7319")
            settings = RunSettings(data={"kind": "arrays", "folder": str(folder)}, preset=args.preset,
                                   model={"block_size": args.seq}, train=train, checkpoint_every=args.checkpoint_every,
                                   keep_last=2, checkpoint_store=args.store, name="bench")
            run = studio.runs.start(admin, settings)
            runs = studio.runs

            def wait(pred, what: str, timeout: float = 600.0):
                # a plain read of the run's row 10 times a second: the bench must not take CPU from the worker
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    info = runs.store.get(run.id)
                    if pred(info):
                        return info
                    if not info.is_live:
                        raise SystemExit(f"the run ended while waiting for {what}: {info.status} {info.message}")
                    time.sleep(0.1)
                raise SystemExit(f"timed out waiting for {what}")

            def pause():
                runs.pause(admin, run.id)
                return wait(lambda i: i.status == "paused", "the pause")

            wait(lambda i: i.step >= args.warmup, "the warm-up")
            first = pause()
            bare.run(args.warmup)  # the bare loop's warm-up (allocator, thread pool)
            ours, theirs, ours_cpu, theirs_cpu = [], [], [], []
            studio_tokens = studio_time = 0.0
            worker_pid = runs.store.get(run.id).pid
            for r in range(args.rounds):
                def studio_turn():
                    nonlocal studio_tokens, studio_time
                    before = runs.store.get(run.id)
                    cpu = cpu_seconds(worker_pid)
                    runs.resume(admin, run.id)
                    wait(lambda i: i.step >= before.step + args.steps, "the studio's turn")
                    after = pause()
                    tok, sec = after.tokens_seen - before.tokens_seen, after.elapsed_s - before.elapsed_s
                    studio_tokens, studio_time = studio_tokens + tok, studio_time + sec
                    ours.append(tok / sec)
                    ours_cpu.append(tok / (cpu_seconds(worker_pid) - cpu))

                def bare_turn():
                    wall, cpu = timed(bare.run, args.steps, tokens_per_step)
                    theirs.append(wall)
                    theirs_cpu.append(cpu)

                for turn in ((bare_turn, studio_turn) if r % 2 == 0 else (studio_turn, bare_turn)):
                    turn()
            peak = max(peak, matmul_rate("cpu", size=1024, repeats=10))
            runs.stop(admin, run.id)
            final = runs.wait(admin, run.id, timeout_s=600, poll_s=0.1)
            ckpts = runs.checkpoints(admin, run.id)
            points = runs.metrics(admin, run.id)["train_loss"]
            system = final.system

    fpt = flops_per_token(cfg, args.seq)
    o, b = statistics.median(ours), statistics.median(theirs)
    paired = statistics.median(x / y for x, y in zip(ours, theirs, strict=True))
    bare_total = statistics.harmonic_mean(theirs)  # equal tokens per turn: tokens / time over all turns
    overall = studio_tokens / studio_time

    def spread(xs: list[float]) -> str:
        q = statistics.quantiles(xs, n=4)
        return f"quartiles {q[0]:.0f} .. {q[2]:.0f}, best {max(xs):.0f}"

    print(f"model: preset {args.preset} ({cfg.n_layer}L/{cfg.n_head}H/{cfg.n_embd}d, vocab {VOCAB}, "
          f"{parameter_count(cfg):,} parameters), batch {args.batch} x {args.seq}, torch {torch.__version__}; "
          f"worker: {system.get('threads')} threads on {system.get('device')}, bench process: "
          f"{torch.get_num_threads()} threads")
    print(f"rounds: {args.rounds} x {args.steps} steps per side, taking turns (worker paused while the bare loop runs)")
    print(f"bare nanoGPT loop        median {b:8.0f} tok/s  ({spread(theirs)})")
    print(f"studio worker process    median {o:8.0f} tok/s  ({spread(ours)})")
    print(f"ratio studio / bare: {paired:.3f} median of paired rounds (goal >= 0.97 -> "
          f"{'met' if paired >= 0.97 else 'NOT met'}); overall {overall / bare_total:.3f} "
          f"({overall:.0f} vs {bare_total:.0f} tok/s); of bests {max(ours) / max(theirs):.3f}")
    oc, bc = statistics.median(ours_cpu), statistics.median(theirs_cpu)
    print(f"per CPU-second of each process (less sensitive to other work on the machine): bare {bc:.0f}, studio "
          f"{oc:.0f} tok/s, ratio {oc / bc:.3f}; paired {statistics.median(x / y for x, y in zip(ours_cpu, theirs_cpu, strict=True)):.3f}")
    print(f"matmul peak (float32 1024^3, best of 20): {peak / 1e9:.1f} GFLOP/s; model FLOPs per token {fpt / 1e6:.2f} M")
    print(f"MFU at the median: bare {b * fpt / peak:.1%}, studio {o * fpt / peak:.1%}; at the best: bare "
          f"{max(theirs) * fpt / peak:.1%}, studio {max(ours) * fpt / peak:.1%}")
    print(f"studio run: {final.status} at step {final.step} (from step {first.step} at the first pause); "
          f"{len(points)} metric points of train loss in the database; {len(ckpts)} checkpoints "
          f"({args.store}), {sum(c.size_bytes for c in ckpts) / 1e6:.1f} MB, every {args.checkpoint_every} steps")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=None, help="turns per side (default 12; 120 in-process)")
    parser.add_argument("--steps", type=int, default=None, help="steps per turn (default 25; 1 in-process)")
    parser.add_argument("--warmup", type=int, default=5, help="steps before measuring")
    parser.add_argument("--checkpoint-every", type=int, default=100, help="the worker's checkpoint interval")
    parser.add_argument("--store", default="vault", help="the worker's checkpoint store (default: the vault)")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--in-process", action="store_true", help="phase 1: the Trainer object in this process")
    args = parser.parse_args()
    if args.in_process:
        args.rounds, args.steps = args.rounds or 120, args.steps or 1
        if args.threads:
            torch.set_num_threads(args.threads)
        in_process(args)
    else:
        args.rounds, args.steps = args.rounds or 12, args.steps or 25
        worker_mode(args)


if __name__ == "__main__":
    main()
