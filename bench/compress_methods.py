"""Compression methods side by side (issue 16): magnitude, Wanda and SparseGPT pruning at 50% and at 2:4, and
RTN, GPTQ and AWQ quantization at int4 g128 and int8, on one model trained here on real English text, with the
same calibration and evaluation data for every variant.

    .venv/bin/python bench/compress.py --methods [--family gpt|llama] [--seconds 600] [--model FILE | --save FILE]

The text: the licence files of the installed Python packages (real English prose, deduplicated), byte-level
(ids 0..255, 0 also ends a document since no licence contains a NUL), documents split 90/10 into train and
validation. The model: the native GPT (--family gpt) trained by the studio's Trainer, or a Llama-shaped model
(--family llama: transformers' LlamaForCausalLM, grouped-query attention, RMSNorm, SwiGLU, RoPE) trained by a
plain AdamW loop here; 4 layers x 256 wide, context 128, by default. Every variant goes through the studio's
pipeline (models/family.py, compression/pipeline.py) and is loaded back from its stored tensors.

Calibration: 128 windows of 128 tokens from the train split (seeded); evaluation: the validation split's
perplexity and the mean KL(original || variant) of the next-token distribution with top-1 agreement, over the
same windows. The embeddings and the head stay float in the quantization rows, as in the GPTQ and AWQ papers
(only the blocks' Linear layers are quantized), so that the rows compare the methods.

Goals (issue 16): the best pruning method has at most 0.3x magnitude's perplexity increase at 50% and at
most 0.25x at 2:4; GPTQ or AWQ int4 g128 at most 0.4x RTN int4's increase; int8 by any method within +0.5%.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from studio.core.compression import storage  # noqa: E402
from studio.core.compression.calibration import CalibrationSet, calibration_windows  # noqa: E402
from studio.core.compression.evaluate import EvalSettings, divergence, perplexity  # noqa: E402
from studio.core.compression.load import load_model  # noqa: E402
from studio.core.compression.pipeline import compress  # noqa: E402
from studio.core.compression.recipe import Recipe  # noqa: E402
from studio.core.training.data import TokenSplit  # noqa: E402

PRUNING = {f"{method} {label}": Recipe(sparsity=0.5, method=method, pattern=pattern)
           for label, pattern in (("50%", "unstructured"), ("2:4", "2:4")) for method in ("magnitude", "wanda", "sparsegpt")}
QUANT = {f"{method} {what}": Recipe(quant=quant, group_size=128, quant_method=method, quantize_embeddings=False)
         for what, quant in (("int4 g128", "int4"), ("int8", "int8")) for method in ("rtn", "gptq", "awq")}
GOALS = "best pruning <= 0.3x magnitude's increase at 50%, <= 0.25x at 2:4; GPTQ/AWQ int4 g128 <= 0.4x RTN's; int8 <= +0.5%"


# --- data ------------------------------------------------------------------------------------------------


def licence_texts(min_bytes: int = 400) -> list[str]:
    """The licence files of the installed packages, each once (many packages ship the same MIT or Apache text)."""
    site = Path(sysconfig.get_paths()["purelib"])
    seen, docs = set(), []
    for path in sorted(site.glob("*.dist-info/**/*")):
        if not path.is_file() or not any(k in path.name.upper() for k in ("LICENSE", "LICENCE", "COPYING", "NOTICE")):
            continue
        try:
            text = path.read_text(encoding="utf-8").replace("\r\n", "\n").strip()
        except (UnicodeDecodeError, OSError):
            continue
        digest = hashlib.sha256(" ".join(text.split()).encode()).hexdigest()
        if len(text) >= min_bytes and digest not in seen and "\0" not in text:
            seen.add(digest)
            docs.append(text)
    return docs


def byte_splits(docs: list[str]) -> tuple[TokenSplit, TokenSplit]:
    """Every 10th document to validation, the rest to train; bytes as ids, 0 after each document."""
    def encode(ds: list[str]) -> TokenSplit:
        return TokenSplit(np.frombuffer(b"".join(d.encode() + b"\0" for d in ds), dtype=np.uint8).astype(np.uint16))

    return encode([d for i, d in enumerate(docs) if i % 10]), encode([d for i, d in enumerate(docs) if not i % 10])


def unigram_loss(train: TokenSplit, val: TokenSplit) -> float:
    """Cross-entropy (nats per token) of the validation split under the train split's byte frequencies."""
    counts = np.bincount(np.asarray(train.tokens), minlength=256).astype(np.float64) + 1.0
    logp = np.log(counts / counts.sum())
    return float(-logp[np.asarray(val.tokens)].mean())


# --- models ----------------------------------------------------------------------------------------------


def train_gpt(train: TokenSplit, layers: int, width: int, seconds: float) -> tuple[dict, dict, dict]:
    from studio.core.models.config import GPTConfig
    from studio.core.models.gpt import model_tensors
    from studio.core.training.config import TrainConfig
    from studio.core.training.data import TrainData
    from studio.core.training.trainer import Trainer

    config = GPTConfig(vocab_size=256, block_size=128, n_layer=layers, n_head=max(1, width // 64), n_embd=width)
    cfg = TrainConfig(max_steps=100_000, batch_size=16, seq_len=128, lr=2e-3, min_lr=2e-4, warmup_steps=50,
                      eval_every=100_000, seed=1, device="cpu")
    trainer = Trainer(config, cfg, TrainData(train, None))
    started, last = time.perf_counter(), None
    for m in trainer.steps():
        last = m
        if m.step % 100 == 0:
            print(f"  step {m.step:5d}  loss {m.train_loss:.3f}", flush=True)
        if time.perf_counter() - started > seconds:
            trainer.request_stop()
    assert last is not None
    tensors = {k: v.detach().clone() for k, v in model_tensors(trainer.model).items()}
    return config.to_dict(), tensors, {"steps": last.step, "seconds": round(time.perf_counter() - started)}


def train_llama(train: TokenSplit, layers: int, width: int, seconds: float) -> tuple[dict, dict, dict]:
    """A Llama-shaped model trained by a plain AdamW loop (the studio's Trainer trains the native GPT)."""
    import transformers

    hf = transformers.LlamaConfig(vocab_size=256, hidden_size=width, intermediate_size=width * 8 // 3 // 64 * 64,
                                  num_hidden_layers=layers, num_attention_heads=max(1, width // 64),
                                  num_key_value_heads=max(1, width // 128), max_position_embeddings=128,
                                  bos_token_id=0, eos_token_id=0, tie_word_embeddings=False)
    torch.manual_seed(1)
    model = transformers.LlamaForCausalLM(hf).train()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.0, betas=(0.9, 0.95))
    tokens = torch.from_numpy(np.asarray(train.tokens, dtype=np.int64))
    gen = torch.Generator().manual_seed(1)
    started, step, est_steps = time.perf_counter(), 0, None
    while time.perf_counter() - started < seconds:
        starts = torch.randint(0, len(tokens) - 129, (16,), generator=gen)
        batch = torch.stack([tokens[s:s + 129] for s in starts.tolist()])
        elapsed = time.perf_counter() - started
        if step == 20:
            est_steps = int(seconds / (elapsed / 20))
        frac = min(1.0, step / est_steps) if est_steps else 0.0
        lr = 2e-3 * min(1.0, (step + 1) / 50) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
        for group in opt.param_groups:
            group["lr"] = lr
        logits = model(input_ids=batch[:, :-1]).logits
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 256), batch[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % 100 == 0:
            print(f"  step {step:5d}  loss {float(loss):.3f}", flush=True)
    config = model.config.to_dict()
    config["architectures"] = ["LlamaForCausalLM"]
    tensors = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    return config, tensors, {"steps": step, "seconds": round(time.perf_counter() - started)}


# --- the table -------------------------------------------------------------------------------------------


def run(args: Any) -> int:
    if args.threads:  # on a busy shared machine one thread beats two that wait for each other
        torch.set_num_threads(args.threads)
    docs = licence_texts()
    train, val = byte_splits(docs)
    unigram = unigram_loss(train, val)
    print(f"data: {len(docs)} distinct licence texts of the installed packages; {len(train):,} train and "
          f"{len(val):,} validation bytes; unigram cross-entropy {unigram:.3f} nats/byte")
    if args.model and Path(args.model).exists():
        tensors, desc = storage.load_file(args.model)
        config, trained = desc["config"], desc.get("trained", {})
        print(f"model: {args.model}")
    else:
        trainer = train_llama if args.family == "llama" else train_gpt
        print(f"training a {args.family} {args.layers}L x {args.width} for {args.seconds:.0f} s")
        config, tensors, trained = trainer(train, args.layers, args.width, args.seconds)
        if args.save:
            storage.save_file(args.save, tensors, {"format": storage.FORMAT, "version": 1, "config": config,
                                                   "trained": trained})
    calib = CalibrationSet(calibration_windows(train, args.calib_samples, 128, seed=0), "licences", "train")
    settings = EvalSettings(max_windows=args.eval_windows, seq_len=128, batch_size=8)
    original = load_model(config, tensors)
    base_loss, counted = perplexity(original, val, settings)
    base_ppl = math.exp(base_loss)
    params = sum(p.numel() for p in original.parameters())
    print(f"original: {params:,} parameters, validation loss {base_loss:.3f} nats ({base_loss / unigram:.2f}x the "
          f"unigram's), perplexity {base_ppl:.4f} over {counted:,} tokens")
    base_bytes = storage.serialized_size(tensors, None)
    rows: dict[str, dict[str, Any]] = {}
    for label, recipe in {**PRUNING, **QUANT}.items():
        t = time.perf_counter()
        result = compress(config, tensors, recipe, calibration=calib if recipe.needs_calibration else None)
        took = time.perf_counter() - t
        model = load_model(result.config, result.tensors)
        loss, _ = perplexity(model, val, settings)
        kl, top1, _ = divergence(original, model, val, settings)
        ppl = math.exp(loss)
        rows[label] = {"perplexity": ppl, "ppl_change_pct": (ppl / base_ppl - 1) * 100, "kl": kl, "top1": top1,
                       "size_ratio": storage.serialized_size(result.tensors, result.description) / base_bytes,
                       "seconds": took}
        r = rows[label]
        print(f"  {label:18s} ppl {ppl:8.4f} ({r['ppl_change_pct']:+7.2f}%)  KL {kl:.4f}  top-1 {top1:.3f}  "
              f"size {r['size_ratio']:.3f}x  {took:6.1f} s", flush=True)
    print_table(args.family, config, trained, base_ppl, base_loss, unigram, rows)
    goals = check_goals(rows)
    for line in goals:
        print("  " + line)
    if args.json:
        Path(args.json).write_text(json.dumps({"family": args.family, "config": config, "trained": trained,
                                               "unigram_loss": unigram, "base_loss": base_loss, "base_ppl": base_ppl,
                                               "rows": rows, "goals": goals}, indent=2))
    return 0


def print_table(family: str, config: dict, trained: dict, base_ppl: float, base_loss: float, unigram: float,
                rows: dict[str, dict[str, Any]]) -> None:
    print(f"\n{family} model, trained {trained.get('steps', '?')} steps; validation loss {base_loss:.3f} nats "
          f"(unigram {unigram:.3f}), perplexity {base_ppl:.4f}")
    print(f"| {'variant':18s} | {'ppl':>8s} | {'change':>8s} | {'KL (nats)':>9s} | {'top-1':>6s} | {'size':>6s} | "
          f"{'time':>7s} |")
    print(f"|{'-' * 20}|{'-' * 10}|{'-' * 10}|{'-' * 11}|{'-' * 8}|{'-' * 8}|{'-' * 9}|")
    print(f"| {'original':18s} | {base_ppl:8.4f} | {'':>8s} | {'':>9s} | {'':>6s} | {1:6.3f} | {'':>7s} |")
    for label, r in rows.items():
        print(f"| {label:18s} | {r['perplexity']:8.4f} | {r['ppl_change_pct']:+7.2f}% | {r['kl']:9.4f} | "
              f"{r['top1']:6.3f} | {r['size_ratio']:6.3f} | {r['seconds']:6.1f}s |")


def check_goals(rows: dict[str, dict[str, Any]]) -> list[str]:
    def inc(label: str) -> float:
        return rows[label]["ppl_change_pct"]

    out = [f"goals: {GOALS}"]
    for pattern, limit in (("50%", 0.3), ("2:4", 0.25)):
        best = min(("wanda", "sparsegpt"), key=lambda m: inc(f"{m} {pattern}"))
        ratio = inc(f"{best} {pattern}") / inc(f"magnitude {pattern}")
        out.append(f"pruning {pattern}: {best} {ratio:.2f}x of magnitude's increase (goal <= {limit}x): "
                   f"{'met' if ratio <= limit else 'MISSED'}")
    best = min(("gptq", "awq"), key=lambda m: inc(f"{m} int4 g128"))
    ratio = inc(f"{best} int4 g128") / inc("rtn int4 g128")
    out.append(f"int4 g128: {best} {ratio:.2f}x of RTN's increase (goal <= 0.4x): {'met' if ratio <= 0.4 else 'MISSED'}")
    worst = max(("rtn", "gptq", "awq"), key=lambda m: inc(f"{m} int8"))
    out.append(f"int8: worst {worst} {inc(f'{worst} int8'):+.3f}% (goal <= +0.5%): "
               f"{'met' if inc(f'{worst} int8') <= 0.5 else 'MISSED'}")
    return out
