"""Torch threads for the compression methods: each per-layer method on 4 x 256 model layer shapes at 1 and 2
torch threads, best of interleaved rounds (docs/benchmarks.md, "Threads").

    .venv/bin/python bench/compress_threads.py [ROUNDS]

The methods are called directly (not through the pipeline, which pins small layers to one thread).
"""

import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from studio.core.compression.methods import pruner_named, quantizer_named  # noqa: E402
from studio.core.compression.methods.base import LayerInput, QuantSpec  # noqa: E402

g = torch.Generator().manual_seed(0)
cases = []
for out, inp in ((768, 256), (1024, 256), (256, 1024)):
    W = torch.randn(out, inp, generator=g) * 0.05
    li = LayerInput.empty(inp)
    li.add(torch.randn(4096, inp, generator=g) * torch.rand(inp, generator=g) * 3)
    cases.append((f"{out}x{inp}", W, li))
jobs = {
  "magnitude": lambda W, li: pruner_named("magnitude").prune(W, None, 0.5),
  "wanda": lambda W, li: pruner_named("wanda").prune(W, li, 0.5),
  "sparsegpt 50%": lambda W, li: pruner_named("sparsegpt").prune(W, li, 0.5),
  "sparsegpt 2:4": lambda W, li: pruner_named("sparsegpt").prune(W, li, 0.5, (2, 4)),
  "gptq int4": lambda W, li: quantizer_named("gptq").quantize(W, li, QuantSpec(4, 128)),
  "awq int4": lambda W, li: quantizer_named("awq").quantize(W, li, QuantSpec(4, 128)),
  "hessian add": lambda W, li: LayerInput.empty(W.shape[1]).add(torch.randn(2048, W.shape[1])),
}
best = {}
for _round in range(int(sys.argv[1]) if len(sys.argv) > 1 else 2):
    for name, fn in jobs.items():
        for th in (1, 2):
            torch.set_num_threads(th)
            t = time.perf_counter()
            for _shape, W, li in cases:
                fn(W, li)
            d = time.perf_counter() - t
            best[(name, th)] = min(best.get((name, th), 1e9), d)
for name in jobs:
    print(f"{name:15s} 1 thread {best[(name,1)]*1000:8.1f} ms  2 threads {best[(name,2)]*1000:8.1f} ms  ratio {best[(name,2)]/best[(name,1)]:.2f}")
