"""Compression: size, perplexity and speed of the compressed variants of one trained model against its
float32 original, all in one run.

    .venv/bin/python bench/compress.py [--seconds 180] [--layers 4] [--width 256] [--threads 1]
                                       [--model FILE | --save FILE] [--json OUT]
    .venv/bin/python bench/compress.py --methods [--family gpt|llama] [--steps N] ...   # issue 16's table

Trains a character-level GPT (4 layers x 256 wide, context 128, by default) on the sample stories for
--seconds with the studio's Trainer (or loads --model, a file --save wrote), then compresses it with the
studio's pipeline into:
fp32 (the original), int8, int4-g64, 50% unstructured + int8 and 25% structured, plus three rows for context
(int8 run by the weight-only kernel, PyTorch's dynamic int8, and 25% structured followed by a short recovery
fine-tune). Every variant is loaded back from its stored tensors and measured alike:

- size: the safetensors file of the variant (serialized size, exact) against the original's;
- perplexity on the validation split (the same windows for all);
- single-token forward: one new token with the KV cache at position 64 (what each generated token costs);
- forward throughput over 64-token windows at batch 1 and batch 8.

The machine is shared: timings take the fastest of many short samples, and the variants are measured in
interleaved rounds (round 1 of every variant, then round 2, ...) so that a burst of other work falls on all of
them alike. Torch runs with --threads threads while timing (1 by default: on 2 busy cores a second thread
mostly waits). Goals (issue 8): int8 <= 0.27x size, perplexity within +1%, >= 1.3x faster single-token
forward; int4-g64 <= 0.16x size within +5% perplexity; 25% structured >= 1.2x faster.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from studio.core.compression import storage  # noqa: E402
from studio.core.compression.evaluate import EvalSettings, perplexity  # noqa: E402
from studio.core.compression.load import load_model  # noqa: E402
from studio.core.compression.pipeline import compress  # noqa: E402
from studio.core.compression.recipe import Recipe  # noqa: E402
from studio.core.compression.runtime import used_kernels  # noqa: E402
from studio.core.models.config import GPTConfig, parameter_count  # noqa: E402
from studio.core.models.gpt import GPT, KVCache, model_tensors  # noqa: E402
from studio.core.training.config import TrainConfig  # noqa: E402
from studio.core.training.data import TokenSplit, TrainData  # noqa: E402
from studio.core.training.trainer import Trainer  # noqa: E402

ANCHORS = [
    ("LLM.int8() (Dettmers et al. 2022), OPT-125M, WikiText-2", "fp16 25.65 -> int8 25.83 (+0.7%)"),
    ("GPTQ (Frantar et al. 2023), OPT-125M 4-bit, WikiText-2", "fp16 27.65 -> GPTQ 31.12 (+12.5%), RTN 37.28 (+34.8%)"),
    ("torchao Llama-2-7B weight-only", "int8 12.21 -> 12.20; int4 g64 12.84 (+5.2%)"),
]
GOALS = {  # label: (max size ratio, max perplexity change %, min single-token speed-up)
    "int8": (0.27, 1.0, 1.3),
    "int4-g64": (0.16, 5.0, None),
    "structured 25%": (None, None, 1.2),
}


# --- data ----------------------------------------------------------------------------------------------


def sample_text(size: int) -> tuple[str, str]:
    """The sample stories (the datasets issue's generator when it is part of the build, else the bench's
    own copy of the idea: short templated stories, recipes and dialogues)."""
    try:
        from studio.devtools.make_sample import stories_text  # type: ignore[import-not-found]

        return stories_text(size), "studio.devtools.make_sample (the sample dataset)"
    except ImportError:
        return _own_stories(size), "bench/compress.py's templated stories (the sample generator is not in this build)"


def _own_stories(size: int, seed: int = 20261128) -> str:
    import random

    r = random.Random(seed)
    names = ["Anna", "Ben", "Clara", "David", "Emma", "Finn", "Grace", "Hugo", "Ivy", "Jack", "Lena", "Max"]
    places = ["market", "park", "river", "garden", "school", "library", "beach", "forest", "farm", "bakery"]
    things = ["hat", "ball", "kite", "book", "cup", "boat", "drum", "bell", "box", "shoe"]
    fruits = ["apple", "pear", "plum", "peach", "cherry", "lemon", "orange", "banana"]
    feelings = ["happy", "tired", "hungry", "fine", "sleepy", "excited"]
    docs, made = [], 0
    while made < size:
        a, b = r.sample(names, 2)
        kind = r.random()
        if kind < 0.5:
            doc = (f"{a} went to the {r.choice(places)} with {b}. They found a {r.choice(things)} and "
                   f"{r.randint(2, 9)} {r.choice(fruits)}s. {a} was {r.choice(feelings)}, and {b} laughed. "
                   f"In the evening they walked home and ate the {r.choice(fruits)}s.")
        elif kind < 0.75:
            doc = (f"How to make {r.choice(fruits)} cake. Take {r.randint(1, 5)} cups of flour and "
                   f"{r.randint(2, 6)} eggs. Mix them, add the {r.choice(fruits)}, and bake for "
                   f"{r.randint(20, 50)} minutes.")
        else:
            doc = (f'"Hello {b}," said {a}. "How are you?"\n"I am {r.choice(feelings)}," said {b}. '
                   f'"Shall we go to the {r.choice(places)}?"\n"Yes, let us go," said {a}.')
        docs.append(doc)
        made += len(doc) + 2
    return "\n\n".join(docs) + "\n"


def tokenize(text: str) -> tuple[TokenSplit, TokenSplit, int, list[str]]:
    """Characters -> ids 1..n (0 ends a document); documents split 90/10 into train and validation."""
    docs = [d for d in text.split("\n\n") if d.strip()]
    chars = sorted(set("".join(docs)))
    table = {c: i + 1 for i, c in enumerate(chars)}

    def encode(ds: list[str]) -> np.ndarray:
        out: list[int] = []
        for d in ds:
            out.extend(table[c] for c in d)
            out.append(0)
        return np.array(out, dtype=np.uint16)

    cut = int(len(docs) * 0.9)
    return TokenSplit(encode(docs[:cut])), TokenSplit(encode(docs[cut:])), len(chars) + 1, chars


# --- training ------------------------------------------------------------------------------------------


def train(config: GPTConfig, data: TrainData, seconds: float, threads: int) -> tuple[dict, dict]:
    cfg = TrainConfig(max_steps=100_000, batch_size=16, seq_len=config.block_size, lr=2e-3, min_lr=2e-4, warmup_steps=50,
                      eval_every=100_000, seed=1, device="cpu", threads=threads)
    trainer = Trainer(config, cfg, data)
    started = time.perf_counter()
    last = None
    for m in trainer.steps():
        last = m
        if m.step % 50 == 0:
            print(f"  step {m.step:5d}  loss {m.train_loss:.3f}  {m.tokens_per_s:,.0f} tok/s", flush=True)
        if time.perf_counter() - started > seconds:
            trainer.request_stop()
    assert last is not None
    info = {"steps": last.step, "tokens": last.tokens_seen, "seconds": round(time.perf_counter() - started, 1),
            "final_train_loss": round(last.train_loss, 4)}
    return {k: v.detach().clone() for k, v in model_tensors(trainer.model).items()}, info


# --- timing ----------------------------------------------------------------------------------------------


def _fastest(fn, samples: int, min_sample_s: float = 0.02) -> float:
    t = time.perf_counter()
    fn()
    calls = max(1, math.ceil(min_sample_s / max(time.perf_counter() - t, 1e-6)))
    best = math.inf
    for _ in range(samples):
        t = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - t) / calls)
    return best


def timers(model: GPT) -> dict:
    """Closures that each run one timed unit: a single-token forward at position 64, and 64-token forwards."""
    vocab = model.config.vocab_size
    gen = torch.Generator().manual_seed(0)
    prompt = torch.randint(0, vocab, (1, 64), generator=gen)
    cache = KVCache(model.config, 1, "cpu", torch.float32)
    with torch.inference_mode():
        model(prompt, cache=cache)
    one = torch.tensor([[7]])
    b1 = torch.randint(0, vocab, (1, 64), generator=gen)
    b8 = torch.randint(0, vocab, (8, 64), generator=gen)

    def single() -> None:
        cache.length = 64
        with torch.inference_mode():
            model(one, cache=cache, last_only=True)

    def forward(x):
        def run() -> None:
            with torch.inference_mode():
                model(x)
        return run

    return {"single": single, "b1": forward(b1), "b8": forward(b8)}


def measure_speed(models: dict[str, GPT], rounds: int, samples: int) -> dict[str, dict[str, float]]:
    """Fastest time of each unit per variant over interleaved rounds."""
    units = {label: timers(m) for label, m in models.items()}
    best: dict[str, dict[str, float]] = {label: {} for label in models}
    for r in range(rounds):
        for label, fns in units.items():
            for unit, fn in fns.items():
                t = _fastest(fn, samples)
                best[label][unit] = min(best[label].get(unit, math.inf), t)
        print(f"  timing round {r + 1}/{rounds}", flush=True)
    return best


# --- kernels ---------------------------------------------------------------------------------------------


def kernel_table(width: int, rounds: int, samples: int) -> list[dict]:
    """One quantized Linear of each of the block's shapes, every kernel torch has for it, at 1 and 64 rows,
    against float32 F.linear of the same shape (the same interleaved fastest-of timing)."""
    from studio.core.compression.quantize import quantize_int4, quantize_int8
    from studio.core.compression.runtime import QuantLinear, resolve_kernel

    gen = torch.Generator().manual_seed(0)
    out = []
    for k, n in ((width, 3 * width), (width, width), (width, 4 * width), (4 * width, width)):
        w, b = torch.randn(n, k, generator=gen) * 0.05, torch.zeros(n)
        layers = {"float32": torch.nn.Linear(k, n)}
        with torch.no_grad():
            layers["float32"].weight.copy_(w)
        for kernel in ("dynamic", "int8pack", "dequant"):
            if resolve_kernel(kernel, 8, torch.device("cpu")) == kernel:
                layers[f"int8 {kernel}"] = QuantLinear(quantize_int8(w), b, kernel)
        for kernel in ("int4pack", "dequant"):
            if resolve_kernel(kernel, 4, torch.device("cpu")) == kernel:
                layers[f"int4-g64 {kernel}"] = QuantLinear(quantize_int4(w, 64), b, kernel)
        for rows in (1, 64):
            x = torch.randn(1, rows, k, generator=gen)
            best: dict[str, float] = {}
            for _ in range(rounds):
                for name, layer in layers.items():
                    with torch.inference_mode():
                        t = _fastest(lambda layer=layer, x=x: layer(x), samples)
                    best[name] = min(best.get(name, math.inf), t)
            out.append({"shape": f"{k}->{n}", "rows": rows, **{name: t * 1e6 for name, t in best.items()}})
    return out


# --- main ------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=180.0, help="training time")
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--width", type=int, default=256)
    p.add_argument("--heads", type=int, default=0, help="attention heads (0: width / 64)")
    p.add_argument("--threads", type=int, default=1, help="torch threads while timing")
    p.add_argument("--train-threads", type=int, default=0, help="torch threads while training (0 = default)")
    p.add_argument("--text-bytes", type=int, default=1_500_000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--samples", type=int, default=5)
    p.add_argument("--recover-steps", type=int, default=150)
    p.add_argument("--model", help="a model file written by --save (skips training)")
    p.add_argument("--save", help="write the trained model here")
    p.add_argument("--json", help="write the results as JSON here")
    p.add_argument("--kernels", action="store_true", help="also time every kernel on the block's layer shapes")
    p.add_argument("--kernels-only", action="store_true", help="only the kernel table")
    p.add_argument("--methods", action="store_true",
                   help="the methods table instead (issue 16): pruning and quantization methods side by side on "
                        "licence texts (bench/compress_methods.py)")
    p.add_argument("--family", choices=("gpt", "llama"), default="gpt", help="--methods: the model trained")
    p.add_argument("--steps", type=int, default=3000,
                   help="--methods: training steps (the trained model is cached in bench/.cache and reused)")
    p.add_argument("--calib-samples", type=int, default=128, help="--methods: calibration windows of 128 tokens")
    p.add_argument("--eval-windows", type=int, default=128, help="--methods: evaluation windows of 128 tokens")
    args = p.parse_args(argv)
    if args.methods:
        from compress_methods import run as run_methods  # bench/ is on the path when run as a script

        return run_methods(args)
    if args.kernels_only:
        torch.set_num_threads(args.threads)
        print_kernels(kernel_table(args.width, args.rounds, args.samples), args.threads)
        return 0

    text, source = sample_text(args.text_bytes)
    train_split, val_split, vocab, _ = tokenize(text)
    print(f"data: {source}; {len(train_split):,} training and {len(val_split):,} validation tokens, {vocab} ids")
    if args.model:
        tensors, desc = storage.load_file(args.model)
        config = GPTConfig.from_dict(desc["config"])
        trained = desc.get("trained", {})
        print(f"model: {args.model}")
    else:
        config = GPTConfig(vocab_size=vocab, block_size=128, n_layer=args.layers, n_head=args.heads or max(1, args.width // 64),
                           n_embd=args.width)
        print(f"training {config.n_layer}L x {config.n_embd} ({parameter_count(config):,} parameters) for "
              f"{args.seconds:.0f} s")
        tensors, trained = train(config, TrainData(train_split, None), args.seconds, args.train_threads)
        print(f"  trained {trained['steps']} steps, {trained['tokens']:,} tokens in {trained['seconds']} s")
        if args.save:
            storage.save_file(args.save, tensors, {"format": storage.FORMAT, "version": 1,
                                                   "config": config.to_dict(), "trained": trained})

    recipes = {
        "int8": Recipe(quant="int8"),
        "int4-g64": Recipe(quant="int4", group_size=64),
        "prune 50% + int8": Recipe(sparsity=0.5, quant="int8"),
        "structured 25%": Recipe(sparsity=0.25, structured=True),
        "int8, weight-only kernel": Recipe(quant="int8", kernel="dequant"),
        "dynamic-int8 (torch)": Recipe(quant="dynamic-int8"),
    }
    if args.recover_steps:
        recipes[f"structured 25% + recover {args.recover_steps}"] = Recipe(
            sparsity=0.25, structured=True, recover_steps=args.recover_steps, recover_lr=1e-3)
    stored = {"fp32": (config, tensors, None)}
    seconds = {}
    for label, recipe in recipes.items():
        t = time.perf_counter()
        result = compress(config, tensors, recipe, recovery_data=train_split)
        seconds[label] = time.perf_counter() - t
        stored[label] = (result.config, result.tensors, result.description)
        print(f"compressed {label} in {seconds[label]:.1f} s")

    torch.set_num_threads(args.threads)
    models, rows = {}, {}
    for label, (cfg, ts, desc) in stored.items():
        kernel = (desc or {}).get("kernel", "auto")
        model = load_model(cfg, ts, kernel=kernel)
        loss, count = perplexity(model, val_split, EvalSettings(max_windows=64, seq_len=128, batch_size=8))
        models[label] = model
        rows[label] = {"file_bytes": storage.serialized_size(ts, desc), "parameters": parameter_count(model.config),
                       "perplexity": math.exp(loss), "eval_tokens": count}
        print(f"perplexity {label}: {math.exp(loss):.4f}")
    speed = measure_speed(models, args.rounds, args.samples)
    base = rows["fp32"]
    for label, row in rows.items():
        s = speed[label]
        row.update(single_ms=s["single"] * 1000, b1_tok_s=64 / s["b1"], b8_tok_s=512 / s["b8"],
                   kernel=", ".join(f"{k} x{n}" for k, n in sorted(used_kernels(models[label]).items())) or "float")
        row["size_ratio"] = row["file_bytes"] / base["file_bytes"]
        row["ppl_change_pct"] = (row["perplexity"] / base["perplexity"] - 1) * 100
        row["single_speedup"] = speed["fp32"]["single"] / s["single"]
        row["b1_speedup"] = speed["fp32"]["b1"] / s["b1"]
        row["b8_speedup"] = speed["fp32"]["b8"] / s["b8"]

    print(f"\nmodel {config.n_layer}L x {config.n_embd}, {parameter_count(config):,} parameters, vocab {config.vocab_size}; "
          f"torch {torch.__version__}, {args.threads} thread(s) while timing")
    header = (f"{'variant':34s} {'size':>9s} {'ratio':>6s} {'ppl':>7s} {'change':>8s} {'1-token':>8s} {'x':>5s} "
              f"{'b1 tok/s':>9s} {'x':>5s} {'b8 tok/s':>9s} {'x':>5s}  kernel")
    print(header)
    print("-" * len(header))
    for label, r in rows.items():
        print(f"{label:34s} {r['file_bytes'] / 1e6:8.2f}M {r['size_ratio']:6.3f} {r['perplexity']:7.4f} "
              f"{r['ppl_change_pct']:+7.2f}% {r['single_ms']:7.3f}ms {r['single_speedup']:5.2f} "
              f"{r['b1_tok_s']:9,.0f} {r['b1_speedup']:5.2f} {r['b8_tok_s']:9,.0f} {r['b8_speedup']:5.2f}  {r['kernel']}")
    print("\ngoals (issue 8):")
    for label, (size, ppl, fast) in GOALS.items():
        r = rows[label]
        parts = []
        if size is not None:
            parts.append(f"size {r['size_ratio']:.3f}x <= {size}x: {'met' if r['size_ratio'] <= size else 'MISSED'}")
        if ppl is not None:
            parts.append(f"perplexity {r['ppl_change_pct']:+.2f}% <= +{ppl}%: "
                         f"{'met' if r['ppl_change_pct'] <= ppl else 'MISSED'}")
        if fast is not None:
            parts.append(f"single-token forward {r['single_speedup']:.2f}x >= {fast}x: "
                         f"{'met' if r['single_speedup'] >= fast else 'MISSED'} "
                         f"(batch 1 {r['b1_speedup']:.2f}x, batch 8 {r['b8_speedup']:.2f}x)")
        print(f"  {label}: " + "; ".join(parts))
    print("\npublished anchors (other models and data; compare the relative changes):")
    for what, figures in ANCHORS:
        print(f"  {what}: {figures}")
    kernels = kernel_table(config.n_embd, args.rounds, args.samples) if args.kernels else []
    if kernels:
        print_kernels(kernels, args.threads)
    if args.json:
        Path(args.json).write_text(json.dumps({"config": config.to_dict(), "trained": trained, "data": source,
                                               "threads": args.threads, "rows": rows, "kernels": kernels,
                                               "compress_seconds": seconds}, indent=2))
    return 0


def print_kernels(rows: list[dict], threads: int) -> None:
    names = [k for k in rows[0] if k not in ("shape", "rows")]
    print(f"\nkernels (microseconds per call, fastest of interleaved samples, {threads} thread(s); "
          f"x = float32 / kernel, higher is faster); torch {torch.__version__}")
    print(f"{'layer':>12s} {'rows':>5s} " + " ".join(f"{n:>18s}" for n in names))
    for r in rows:
        cells = " ".join(f"{r[n]:8.1f} ({r['float32'] / r[n]:5.2f}x)" for n in names)
        print(f"{r['shape']:>12s} {r['rows']:5d} {cells}")


if __name__ == "__main__":
    raise SystemExit(main())
