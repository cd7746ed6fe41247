"""Fine-tuning throughput and memory: the studio's training loop (the Trainer, as its worker runs it, through the
family interface and peft) against a bare transformers + peft loop, on the same Llama-shaped model of about
30M parameters built from a config, the same data and batch, in one go.

    .venv/bin/python bench/finetune.py [--rounds 4] [--steps 4] [--batch 4] [--seq 128]

Throughput: four loops take turns, `--steps` optimizer steps each per round (studio LoRA, bare LoRA, studio
full, bare full), so load from other work on the machine falls on all alike; tokens/s = tokens / time of the
turns, with every other round in reverse order. Also reported: the ratio of the best rounds and of the
CPU-seconds each loop used (the figures that load from other work disturbs least). The bare loops are what a
transformers user writes: `model(input_ids, labels=...)`, AdamW over the trainable parameters, clipping at 1.0, `loss.item()` every step (the studio reads the loss every step too).
Memory: each kind of run in its own process (peak RSS after 3 steps), and the bytes of gradients and
optimizer state measured on the tensors. Goals: LoRA and full >= 0.95x of the bare loops; LoRA's gradients +
optimizer state < 0.5x the full run's.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

VOCAB = 8192
SHAPE = dict(vocab_size=VOCAB, hidden_size=512, intermediate_size=1376, num_hidden_layers=8, num_attention_heads=8,
             num_key_value_heads=8, max_position_embeddings=256, tie_word_embeddings=False)


def base_model():
    import transformers

    torch.manual_seed(0)
    return transformers.LlamaForCausalLM(transformers.LlamaConfig(**SHAPE)).eval()


def tokens(n: int = 400_000) -> np.ndarray:
    return np.random.default_rng(0).integers(0, VOCAB, n).astype(np.uint16)


def studio_trainer(lora: bool, batch: int, seq: int, steps: int):
    from studio.core.models.family import family_of
    from studio.core.training.config import LoraConfig, TrainConfig
    from studio.core.training.data import TokenSplit, TrainData
    from studio.core.training.trainer import Trainer

    model = base_model()
    family = family_of(model)
    cfg = TrainConfig(max_steps=steps, batch_size=batch, seq_len=seq, lr=1e-4, warmup_steps=0, schedule="constant",
                      weight_decay=0.0, eval_every=10**9, device="cpu")
    return Trainer(family.config(model), cfg, TrainData(TokenSplit(tokens())), weights=family.tensors(model),
                   lora=LoraConfig(rank=8, alpha=16, dropout=0.05) if lora else None, copy_weights=False)


class BareLoop:
    """transformers + peft as their documentation trains them (get_peft_model, labels=, AdamW)."""

    def __init__(self, lora: bool, batch: int, seq: int):
        model = base_model().train()
        if lora:
            from peft import LoraConfig, get_peft_model

            model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.05, target_modules=[
                "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]))
        self.model, self.batch, self.seq = model, batch, seq
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.opt = torch.optim.AdamW(self.params, lr=1e-4, weight_decay=0.0)
        self.data = tokens()
        self.rng = np.random.default_rng(1)

    def step(self) -> float:
        starts = self.rng.integers(0, len(self.data) - self.seq - 1, self.batch)
        x = torch.from_numpy(np.stack([self.data[s:s + self.seq + 1] for s in starts]).astype(np.int64))
        loss = self.model(input_ids=x[:, :-1], labels=x[:, :-1]).loss  # transformers shifts the labels itself
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, 1.0)
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        return loss.item()


def grad_and_optimizer_bytes(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> int:
    grads = sum(p.numel() * 4 for p in model.parameters() if p.requires_grad)  # one float32 gradient each
    state = sum(t.numel() * t.element_size() for s in optimizer.state.values() for t in s.values()
                if isinstance(t, torch.Tensor))
    return grads + state


def peak_rss() -> int:
    """This process's peak resident set (VmHWM). Not getrusage's ru_maxrss: Linux keeps that across fork and
    exec, so a child started by the bench would report the bench's own peak (both kinds read 2,030 MiB)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # no /proc (macOS): bytes there, KiB elsewhere
    return peak if sys.platform == "darwin" else peak * 1024


def measure(kind: str, batch: int, seq: int) -> None:
    """One process: a studio run of `kind` (lora|full), 3 steps; prints peak RSS and gradient + state bytes."""
    torch.set_num_threads(torch.get_num_threads())
    trainer = studio_trainer(kind == "lora", batch, seq, 3)
    for _ in trainer.steps():
        pass
    peak = peak_rss()
    print(json.dumps({"kind": kind, "peak_rss": peak, "grad_opt": grad_and_optimizer_bytes(trainer.model, trainer.optimizer),
                      "parameters": trainer.parameters, "trainable": trainer.trainable_parameters}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--measure", choices=["lora", "full"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.batch, args.seq)
        return
    total = args.rounds * args.steps + 2
    loops = {}
    for kind in ("lora", "full"):
        trainer = studio_trainer(kind == "lora", args.batch, args.seq, total)
        stream = trainer.steps()
        next(stream)  # warm-up steps, not timed
        bare = BareLoop(kind == "lora", args.batch, args.seq)
        bare.step()
        loops[f"studio {kind}"] = lambda s=stream: next(s)
        loops[f"bare {kind}"] = bare.step
        if kind == "lora":
            print(f"model: {trainer.parameters / 1e6:.1f}M parameters, LoRA r8 on every Linear of the blocks: "
                  f"{trainer.trainable_parameters / 1e6:.2f}M trained")
    times: dict[str, list[float]] = {k: [] for k in loops}
    cpu: dict[str, list[float]] = {k: [] for k in loops}
    for r in range(args.rounds):
        # every other round in reverse order: no loop always runs first (right after the others' work)
        for name, step in (list(loops.items()) if r % 2 == 0 else list(loops.items())[::-1]):
            start, start_cpu = time.perf_counter(), time.process_time()
            for _ in range(args.steps):
                step()
            times[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
        print(f"round {r + 1}: " + ", ".join(f"{k} {args.steps * args.batch * args.seq / v[-1]:,.0f} tok/s"
                                           for k, v in times.items()), flush=True)
    tok = args.rounds * args.steps * args.batch * args.seq
    rate = {k: tok / sum(v) for k, v in times.items()}
    per_round = {k: [args.steps * args.batch * args.seq / t for t in v] for k, v in times.items()}
    for kind in ("lora", "full"):
        ratios = [a / b for a, b in zip(per_round[f"studio {kind}"], per_round[f"bare {kind}"], strict=True)]
        print(f"{kind}: studio {rate[f'studio {kind}']:,.0f} tok/s, bare {rate[f'bare {kind}']:,.0f} tok/s, "
              f"ratio {rate[f'studio {kind}'] / rate[f'bare {kind}']:.3f} (per round: median "
              f"{statistics.median(ratios):.3f}, min {min(ratios):.3f}, max {max(ratios):.3f}; best round "
              f"{min(times[f'bare {kind}']) / min(times[f'studio {kind}']):.3f}; per CPU-second "
              f"{sum(cpu[f'bare {kind}']) / sum(cpu[f'studio {kind}']):.3f})")
    found = {}
    for kind in ("lora", "full"):
        out = subprocess.run([sys.executable, __file__, "--measure", kind, "--batch", str(args.batch), "--seq",
                              str(args.seq)], capture_output=True, text=True, check=True)
        found[kind] = json.loads(out.stdout.strip().splitlines()[-1])
    lo, fu = found["lora"], found["full"]
    print(f"peak RSS: LoRA {lo['peak_rss'] / 2**20:.0f} MiB, full {fu['peak_rss'] / 2**20:.0f} MiB "
          f"(ratio {lo['peak_rss'] / fu['peak_rss']:.2f})")
    print(f"gradients + optimizer state: LoRA {lo['grad_opt'] / 2**20:.1f} MiB, full {fu['grad_opt'] / 2**20:.1f} MiB "
          f"(ratio {lo['grad_opt'] / fu['grad_opt']:.3f}; goal < 0.5)")


if __name__ == "__main__":
    main()
