"""Measure one model variant: size, parameters, non-zeros, perplexity, speed, and sample generations.

Every variant of a comparison is measured the same way: perplexity over the same windows of one split;
forward throughput as tokens per second through full windows at batch 1 and batch 8; generation latency as
milliseconds per new token with the KV cache (one single-token forward each, plus greedy sampling); the
same prompts continued greedily. Timings are the fastest of several samples after a warm-up (other work
on a shared machine only ever adds time).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch
from torch.nn import functional as F

from studio.core.compression.results import EvalResult
from studio.core.compression.runtime import used_kernels
from studio.core.compression.storage import decode_tensors, serialized_size
from studio.core.errors import ValidationError
from studio.core.models.config import parameter_count
from studio.core.models.generate import SamplingConfig, generate
from studio.core.models.gpt import GPT
from studio.core.training.data import TokenSplit


class TextCodec(Protocol):
    """What evaluation needs of a tokenizer."""

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: Sequence[int]) -> str: ...


@dataclass(frozen=True)
class EvalSettings:
    max_windows: int = 64  # perplexity: at most this many windows of the split, spread evenly over it
    seq_len: int = 128  # window length (capped by the model's context)
    batch_size: int = 8
    speed_seq_len: int = 64  # throughput: tokens per sequence in the timed forwards
    speed_repeats: int = 5
    gen_tokens: int = 32  # latency: tokens generated per timed generation
    sample_tokens: int = 48  # samples: new tokens per prompt
    threads: int = 0  # torch threads while timing; 0 = leave as is


def count_weights(tensors: dict[str, torch.Tensor], model: GPT) -> tuple[int, int]:
    """(parameters, non-zeros) of the model's weights, quantized ones counted as the floats they stand for."""
    params = parameter_count(model.config)
    nonzero = 0
    dense = decode_tensors(tensors)
    for name, t in dense.items():
        if name.endswith(("scales", "mins")):
            continue
        if name.endswith("qweight"):
            prefix = name[: -len("qweight")]
            module = model.get_submodule(prefix[:-1])
            nonzero += int(torch.count_nonzero(module.matrix().dequantize()))
        else:
            nonzero += int(torch.count_nonzero(t))
    return params, nonzero


def windows(split: TokenSplit, seq_len: int, max_windows: int) -> np.ndarray:
    """Start offsets of up to `max_windows` windows of seq_len + 1 tokens, evenly spread, deterministic."""
    room = len(split) - seq_len - 1
    if room < 0:
        raise ValidationError(f"The evaluation split has {len(split)} tokens, fewer than one window of {seq_len + 1}.")
    count = min(max_windows, room // seq_len + 1)
    return np.linspace(0, room, num=count).astype(np.int64)


def perplexity(model: GPT, split: TokenSplit, settings: EvalSettings = EvalSettings(),
               check: Callable[[], None] | None = None) -> tuple[float, int]:
    """(mean loss over counted targets, targets counted); exp(loss) is the perplexity."""
    seq_len = min(settings.seq_len, model.config.block_size)
    starts = windows(split, seq_len, settings.max_windows)
    offsets = np.arange(seq_len + 1)
    total, count = 0.0, 0
    with torch.inference_mode():
        for i in range(0, len(starts), settings.batch_size):
            if check is not None:
                check()
            idx = starts[i:i + settings.batch_size, None] + offsets
            window = np.asarray(split.tokens[idx], dtype=np.int64)
            x, y = torch.from_numpy(window[:, :-1]), torch.from_numpy(window[:, 1:].copy())
            if split.mask is not None:
                y[torch.from_numpy(np.asarray(split.mask[idx[:, 1:]]) == 0)] = -1
            logits, _ = model(x)
            total += float(F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.reshape(-1),
                                           ignore_index=-1, reduction="sum"))
            count += int((y != -1).sum())
    if count == 0:
        raise ValidationError("The evaluation split has no tokens whose prediction counts (all masked).")
    return total / count, count


def _best_time(fn: Callable[[], object], repeats: int, check: Callable[[], None] | None,
               min_sample_s: float = 0.02) -> float:
    """Seconds per call: the fastest of `repeats` samples, each long enough to time (several calls when one
    is short). The fastest, not the mean: other work on the machine only ever adds time."""
    t = time.perf_counter()
    fn()  # warm-up (kernel preparation, caches)
    first = time.perf_counter() - t
    calls = max(1, math.ceil(min_sample_s / max(first, 1e-6)))
    best = math.inf
    for _ in range(max(1, repeats)):
        if check is not None:
            check()
        t = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - t) / calls)
    return best


def throughput(model: GPT, batch: int, settings: EvalSettings, check: Callable[[], None] | None = None) -> float:
    seq = min(settings.speed_seq_len, model.config.block_size)
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, model.config.vocab_size, (batch, seq), generator=gen)
    with torch.inference_mode():
        seconds = _best_time(lambda: model(x), settings.speed_repeats, check)
    return batch * seq / seconds


def latency_ms(model: GPT, prompt: Sequence[int], settings: EvalSettings, check: Callable[[], None] | None = None) -> float:
    n = max(1, min(settings.gen_tokens, model.config.block_size - len(prompt)))
    sampling = SamplingConfig(max_new_tokens=n, greedy=True)

    def run() -> None:
        for _ in generate(model, prompt, sampling):
            pass

    return _best_time(run, settings.speed_repeats, check) / n * 1000.0


def evaluate(label: str, model: GPT, stored: dict[str, torch.Tensor], description: dict[str, Any] | None, *,
             split: TokenSplit | None, codec: TextCodec | None = None, prompts: Sequence[str] = (),
             settings: EvalSettings = EvalSettings(), check: Callable[[], None] | None = None,
             on_step: Callable[[str], None] | None = None, version: int | None = None) -> EvalResult:
    """Measure `model` (built from `stored`, the tensors as they are stored) as described above."""
    threads = torch.get_num_threads()
    if settings.threads:
        torch.set_num_threads(settings.threads)
    try:
        say = on_step or (lambda _m: None)
        say("Counting weights")
        params, nonzero = count_weights(stored, model)
        loss = ppl = None
        counted = 0
        if split is not None:
            say("Perplexity")
            loss, counted = perplexity(model, split, settings, check)
            ppl = math.exp(min(loss, 700.0))
        say("Speed at batch 1")
        b1 = throughput(model, 1, settings, check)
        say("Speed at batch 8")
        b8 = throughput(model, 8, settings, check)
        say("Generation latency")
        prompt_ids = _prompt_ids(codec, prompts, model.config.vocab_size)
        ms = latency_ms(model, prompt_ids[0], settings, check)
        kernels = used_kernels(model)
        samples: list[str] = []
        if codec is not None and prompts:
            say("Samples")
            for text, ids in zip(prompts, prompt_ids, strict=True):
                if check is not None:
                    check()
                room = model.config.block_size - len(ids)
                new = list(generate(model, ids, SamplingConfig(max_new_tokens=max(0, min(settings.sample_tokens, room)),
                                                               greedy=True)))
                samples.append(text + codec.decode(new))
    finally:
        torch.set_num_threads(threads)
    return EvalResult(
        label=label, file_bytes=serialized_size(stored, description), parameters=params, nonzeros=nonzero,
        loss=loss, perplexity=ppl, tokens_per_s_b1=b1, tokens_per_s_b8=b8, ms_per_token=ms,
        kernel=", ".join(f"{k} x{n}" for k, n in sorted(kernels.items())) or "float",
        samples=tuple(samples), recipe=(description or {}).get("recipe"), version=version, eval_tokens=counted)


def _prompt_ids(codec: TextCodec | None, prompts: Sequence[str], vocab: int) -> list[list[int]]:
    out = []
    if codec is not None:
        for text in prompts:
            ids = [i for i in codec.encode(text) if 0 <= i < vocab]
            if ids:
                out.append(ids)
    if len(out) != len(prompts) or not out:
        if codec is not None and prompts:
            raise ValidationError("A prompt encodes to no token of this model's vocabulary; change the prompt.")
        out = [[0]]
    return out
