"""Measure one model variant: size, parameters, non-zeros, perplexity, agreement with the original, speed,
and sample generations.

Every variant of a comparison is measured the same way: perplexity over the same windows of one split; the
mean KL divergence KL(original || variant) of the next-token distributions and the share of positions where
both predict the same top token, on those windows (llama.cpp's and the quantization papers' measure of how
far a compressed model moved, which perplexity can hide); forward throughput as tokens per second through
full windows at batch 1 and batch 8; generation latency as milliseconds per new token with the KV cache (one
single-token forward each, plus greedy sampling); the same prompts continued greedily.

Speed is relative, so a variant is timed together with its baseline (`paired_speed`): in interleaved rounds
(baseline, variant, baseline, ...), each round giving one ratio per measure; the ratio kept is the median
over the rounds and its spread half their range, so a burst of other work on a shared machine falls on both
and shows in the spread. Each timing is the fastest of a few samples after a warm-up (other work only ever
adds time). Results are kept as measured: a later run never rescales an earlier row.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from studio.core.compression import target
from studio.core.compression.results import EvalResult
from studio.core.compression.runtime import used_kernels
from studio.core.compression.storage import decode_tensors, serialized_size
from studio.core.errors import ValidationError
from studio.core.models.generate import SamplingConfig, generate
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
    speed_repeats: int = 5  # interleaved rounds of the paired timing (each: the fastest of 2 samples)
    gen_tokens: int = 32  # latency: tokens generated per timed generation
    sample_tokens: int = 48  # samples: new tokens per prompt
    threads: int = 0  # torch threads while timing; 0 = leave as is


def count_weights(tensors: dict[str, torch.Tensor], model: nn.Module) -> tuple[int, int]:
    """(parameters, non-zeros) of the model: its parameters (a tied weight once) plus the weights its quantized
    layers stand for; non-zeros of the stored floats and of the quantized layers' dequantized weights."""
    from studio.core.compression.runtime import QuantEmbedding, QuantLinear

    params = sum(p.numel() for p in model.parameters())
    nonzero = 0
    for module in model.modules():
        if isinstance(module, QuantEmbedding) or (isinstance(module, QuantLinear) and module._tied is None):
            params += module.out_features * module.in_features
    for name, t in decode_tensors(tensors).items():
        if name.endswith(("scales", "mins")):
            continue
        if name.endswith("qweight"):
            module = model.get_submodule(name[: -len(".qweight")])
            nonzero += int(torch.count_nonzero(module.matrix().dequantize()))
        elif t.is_floating_point():
            nonzero += int(torch.count_nonzero(t))
    return params, nonzero


def windows(split: TokenSplit, seq_len: int, max_windows: int) -> np.ndarray:
    """Start offsets of up to `max_windows` windows of seq_len + 1 tokens, evenly spread, deterministic."""
    room = len(split) - seq_len - 1
    if room < 0:
        raise ValidationError(f"The evaluation split has {len(split)} tokens, fewer than one window of {seq_len + 1}.")
    count = min(max_windows, room // seq_len + 1)
    return np.linspace(0, room, num=count).astype(np.int64)


def perplexity(model: nn.Module, split: TokenSplit, settings: EvalSettings = EvalSettings(),
               check: Callable[[], None] | None = None) -> tuple[float, int]:
    """(mean loss over counted targets, targets counted); exp(loss) is the perplexity."""
    seq_len = min(settings.seq_len, target.context_length(model))
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
            logits = target.logits(model, x)
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


def throughput(model: nn.Module, batch: int, settings: EvalSettings, check: Callable[[], None] | None = None) -> float:
    seq = min(settings.speed_seq_len, target.context_length(model))
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, target.vocab_size(model), (batch, seq), generator=gen)
    with torch.inference_mode():
        seconds = _best_time(lambda: target.logits(model, x), settings.speed_repeats, check)
    return batch * seq / seconds


def latency_ms(model: nn.Module, prompt: Sequence[int], settings: EvalSettings, check: Callable[[], None] | None = None) -> float:
    n = max(1, min(settings.gen_tokens, target.context_length(model) - len(prompt)))
    sampling = SamplingConfig(max_new_tokens=n, greedy=True)

    def run() -> None:
        for _ in generate(model, prompt, sampling):
            pass

    return _best_time(run, settings.speed_repeats, check) / n * 1000.0


def divergence(reference: nn.Module, model: nn.Module, split: TokenSplit, settings: EvalSettings = EvalSettings(),
               check: Callable[[], None] | None = None) -> tuple[float, float, int]:
    """(mean KL(reference || model) in nats, top-1 agreement, positions counted) over the perplexity windows."""
    seq_len = min(settings.seq_len, target.context_length(model), target.context_length(reference))
    starts = windows(split, seq_len, settings.max_windows)
    offsets = np.arange(seq_len)
    kl_total, same, count = 0.0, 0, 0
    with torch.inference_mode():
        for i in range(0, len(starts), settings.batch_size):
            if check is not None:
                check()
            idx = starts[i:i + settings.batch_size, None] + offsets
            x = torch.from_numpy(np.asarray(split.tokens[idx], dtype=np.int64))
            counted = torch.ones(x.shape, dtype=torch.bool)
            if split.mask is not None:  # the position predicting token t+1 counts when t+1 counts
                counted = torch.from_numpy(np.asarray(split.mask[idx + 1]) != 0)
            p = F.log_softmax(target.logits(reference, x).float(), dim=-1)[counted]
            q = F.log_softmax(target.logits(model, x).float(), dim=-1)[counted]
            kl_total += float(F.kl_div(q, p, log_target=True, reduction="sum"))
            same += int((p.argmax(-1) == q.argmax(-1)).sum())
            count += int(counted.sum())
    if count == 0:
        raise ValidationError("The evaluation split has no tokens whose prediction counts (all masked).")
    return kl_total / count, same / count, count


@dataclass(frozen=True)
class Speed:
    tokens_per_s_b1: float  # fastest measured
    tokens_per_s_b8: float
    ms_per_token: float
    vs_baseline: dict[str, Any] | None  # {"repeats", "b1", "b1_spread", "b8", "b8_spread", "latency", ...}


def paired_speed(models: Sequence[nn.Module], prompt: Sequence[int], settings: EvalSettings = EvalSettings(),
                 check: Callable[[], None] | None = None) -> list[Speed]:
    """Time models[1:] against models[0] in interleaved rounds (see the module's docstring)."""
    threads = torch.get_num_threads()
    if settings.threads:
        torch.set_num_threads(settings.threads)
    try:
        units = [_timed_units(m, prompt, settings) for m in models]
        rounds = max(1, settings.speed_repeats)
        times = [{unit: [] for unit in u} for u in units]
        for _ in range(rounds):
            for fns, out in zip(units, times, strict=True):
                for unit, (fn, per) in fns.items():
                    out[unit].append(_best_time(fn, 2, check) / per)
    finally:
        torch.set_num_threads(threads)
    seq = min(settings.speed_seq_len, target.context_length(models[0]))
    result = []
    for k, t in enumerate(times):
        paired = None
        if k > 0:
            paired = {"repeats": rounds}
            for unit in ("b1", "b8", "latency"):
                ratios = sorted(b / v for b, v in zip(times[0][unit], t[unit], strict=True))
                paired[unit] = float(np.median(ratios))
                paired[unit + "_spread"] = (ratios[-1] - ratios[0]) / 2
        result.append(Speed(seq / min(t["b1"]), 8 * seq / min(t["b8"]), min(t["latency"]) * 1000.0, paired))
    return result


def _timed_units(model: nn.Module, prompt: Sequence[int], settings: EvalSettings) -> dict[str, tuple[Callable[[], object], int]]:
    """Closures each timing one unit, with the count the time is divided by (tokens for latency)."""
    seq = min(settings.speed_seq_len, target.context_length(model))
    gen = torch.Generator().manual_seed(0)
    x1 = torch.randint(0, target.vocab_size(model), (1, seq), generator=gen)
    x8 = torch.randint(0, target.vocab_size(model), (8, seq), generator=gen)
    n = max(1, min(settings.gen_tokens, target.context_length(model) - len(prompt)))
    sampling = SamplingConfig(max_new_tokens=n, greedy=True)

    def forward(x: torch.Tensor) -> Callable[[], object]:
        def run() -> object:
            with torch.inference_mode():
                return target.logits(model, x)
        return run

    def generation() -> None:
        for _ in generate(model, prompt, sampling):
            pass

    return {"b1": (forward(x1), 1), "b8": (forward(x8), 1), "latency": (generation, n)}


def evaluate(label: str, model: nn.Module, stored: dict[str, torch.Tensor], description: dict[str, Any] | None, *,
             split: TokenSplit | None, codec: TextCodec | None = None, prompts: Sequence[str] = (),
             settings: EvalSettings = EvalSettings(), check: Callable[[], None] | None = None,
             on_step: Callable[[str], None] | None = None, version: int | None = None,
             reference: nn.Module | None = None, speed: bool = True) -> EvalResult:
    """Measure `model` (built from `stored`, the tensors as they are stored) as described above; with a
    `reference` (the original), also its KL divergence and top-1 agreement. speed=False leaves the timings
    to paired_speed (they are NaN until then)."""
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
        kl = top1 = None
        if split is not None and reference is not None:
            say("Divergence from the original")
            kl, top1, _ = divergence(reference, model, split, settings, check)
        ids_of_prompts = prompt_ids(codec, prompts, target.vocab_size(model))
        b1 = b8 = ms = math.nan
        if speed:
            say("Speed at batch 1")
            b1 = throughput(model, 1, settings, check)
            say("Speed at batch 8")
            b8 = throughput(model, 8, settings, check)
            say("Generation latency")
            ms = latency_ms(model, ids_of_prompts[0], settings, check)
        kernels = used_kernels(model)
        samples: list[str] = []
        if codec is not None and prompts:
            say("Samples")
            for text, ids in zip(prompts, ids_of_prompts, strict=True):
                if check is not None:
                    check()
                room = target.context_length(model) - len(ids)
                new = list(generate(model, ids, SamplingConfig(max_new_tokens=max(0, min(settings.sample_tokens, room)),
                                                               greedy=True)))
                samples.append(text + codec.decode(new))
    finally:
        torch.set_num_threads(threads)
    return EvalResult(
        label=label, file_bytes=serialized_size(stored, description), parameters=params, nonzeros=nonzero,
        loss=loss, perplexity=ppl, tokens_per_s_b1=b1, tokens_per_s_b8=b8, ms_per_token=ms,
        kernel=kernel_text(kernels),
        samples=tuple(samples), recipe=(description or {}).get("recipe"), version=version, eval_tokens=counted,
        kl=kl, top1=top1, compress_seconds=(description or {}).get("seconds"),
        calibration=(description or {}).get("calibration"))


def kernel_text(kernels: dict[str, int]) -> str:
    """"dynamic x25" from used_kernels' counts; "float" when no layer is quantized."""
    return ", ".join(f"{k} x{n}" for k, n in sorted(kernels.items())) or "float"


def prompt_ids(codec: TextCodec | None, prompts: Sequence[str], vocab: int) -> list[list[int]]:
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
