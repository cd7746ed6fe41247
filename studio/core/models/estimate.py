"""What a training run will cost before it starts: parameters, memory (weights + gradients + optimizer state
+ activations) and time per optimizer step on a device.

For the native GPT everything is analytic from GPTConfig; for any other family the parameter counts come
from the family's model on the meta device (`family.skeleton`), the activations from its widths. LoRA: the
base is frozen (no gradients, no optimizer state for it), only the adapters (rank x (in + out) per adapted
layer) have gradients and optimizer state, and a step costs about 4 FLOPs per frozen parameter and token
(forward, and the input gradients of backward; no weight gradients) instead of 6. FSDP (`shards`): weights,
gradients and optimizer state are split over the ranks; activations are not.

Memory is computed from the shapes (analytic, float32 master weights; activations are the tensors autograd
keeps for the backward pass: about 4d + 4h + 2m values per token per layer plus two vocabulary-wide tensors
for the logits and the loss). Time is either measured (method "benchmark": a few real training steps of this
model on the device with random tokens) or derived (method "flops": the step's FLOPs divided by a matmul rate
measured on the device, times the efficiency a training step typically reaches, which is stated in the result).
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass
from typing import Any

import torch

from studio.core.errors import ValidationError
from studio.core.messages import Message, msg
from studio.core.models.config import GPTConfig, parameter_count
from studio.core.training.config import LoraConfig

# Bytes of optimizer state per parameter (AdamW/Adam: two moments; Adagrad: sum of squares; SGD: momentum).
OPTIMIZER_STATE_BYTES = {"adamw": 8, "adam": 8, "adagrad": 4, "sgd": 4}
# Share of the measured matmul rate that a training step reached on the 2-core CPU here (50%, see
# docs/benchmarks.md); GPUs reach similar shares on models big enough to matter, less on tiny ones.
FLOPS_EFFICIENCY = 0.5
# How far a FLOPs-derived step time was from real runs (bench/estimate.py): said with it, as its range.
FLOPS_RANGE = (0.5, 3.0)
# "auto" measures real steps when the FLOPs estimate is below this (measuring then takes a few seconds at
# most). Not 1 s: on a loaded machine the matmul rate drops and a small model would flip to the FLOPs
# method from one call to the next (203 ms measured, 1,913 ms derived for the same settings).
MEASURE_BELOW_S = 3.0
MEASURE_BUDGET_S = 1.5  # measure steps until this much time went by (at least MIN, at most MAX steps)
MEASURE_MIN_STEPS, MEASURE_MAX_STEPS = 3, 8


@dataclass(frozen=True)
class Estimate:
    parameters: int
    weights_bytes: int
    gradients_bytes: int
    optimizer_bytes: int
    activations_bytes: int
    total_bytes: int
    flops_per_step: float
    step_time_s: float
    time_method: str  # how step_time_s was obtained, in words
    device: str
    device_memory_bytes: int | None  # what the device has (None when unknown)
    trainable_parameters: int = 0  # what the optimizer updates (the adapters of a LoRA run); 0: all
    shards: int = 1  # FSDP ranks sharing weights, gradients and optimizer state (memory is per device)
    # How sure the time is: measured steps' fastest and slowest, or the FLOPs method's rough bounds.
    step_time_low_s: float = 0.0
    step_time_high_s: float = 0.0
    machine_load: float | None = None  # CPU: 1-minute load average per core while it was measured
    threads: int | None = None  # CPU threads the measured steps used (the run's own setting)
    time_message: Message | None = None  # time_method as a translatable message (the GUI shows this one)

    @property
    def fits(self) -> bool | None:
        return None if self.device_memory_bytes is None else self.total_bytes <= self.device_memory_bytes


def resolve_device(device: str = "auto") -> torch.device:
    """"auto" picks cuda, then mps, then cpu; a named device that is not available is a clear error."""
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except RuntimeError as exc:
        raise ValidationError(f"Unknown device {device!r}; use auto, cpu, cuda, cuda:N or mps.", field="device") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValidationError("CUDA was asked for but no CUDA GPU is available; use device auto or cpu.", field="device")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValidationError("MPS was asked for but is not available; use device auto or cpu.", field="device")
    return dev


def flops_per_token(config: GPTConfig, seq_len: int | None = None) -> float:
    """Training FLOPs per token (forward + backward), PaLM appendix B as in nanoGPT's estimate_mfu:
    6 per non-embedding parameter plus 12 * heads * head_dim * T per layer for attention."""
    t = seq_len or config.block_size
    attn = sum(12 * config.heads(i) * config.head_dim * t for i in range(config.n_layer))
    return 6.0 * parameter_count(config, non_embedding=True) + attn


def matmul_rate(device: str | torch.device = "cpu", size: int | None = None, repeats: int = 5) -> float:
    """Measured float32 matmul FLOP/s on `device` (best of `repeats`): the peak the MFU is judged against."""
    device = torch.device(device)
    n = size or (1024 if device.type == "cpu" else 4096)
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        elif device.type == "mps":
            torch.mps.synchronize()

    a @ b  # warm-up (thread pool, kernels)
    sync()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        sync()
        best = min(best, time.perf_counter() - start)
    return 2.0 * n**3 / best


def activation_bytes(config: GPTConfig, batch: int, seq_len: int, bytes_per_value: int = 4) -> int:
    d = config.n_embd
    per_token = sum(4 * d + 4 * config.heads(i) * config.head_dim + 2 * config.mlp(i) for i in range(config.n_layer))
    per_token = per_token * bytes_per_value + 3 * d * bytes_per_value
    if config.dropout > 0:
        per_token += 3 * d * config.n_layer  # one byte per kept/dropped flag
    per_token += 2 * config.vocab_size * 4  # logits and log-softmax stay float32
    return batch * seq_len * per_token


def device_memory(device: torch.device) -> int | None:
    if device.type == "cuda":
        return torch.cuda.get_device_properties(device).total_memory
    if device.type == "cpu":
        try:
            return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            return None
    return None


def machine_load() -> float | None:
    """The 1-minute load average per core (1.0: every core busy), None where the OS does not say."""
    try:
        return os.getloadavg()[0] / (os.cpu_count() or 1)
    except (OSError, AttributeError):
        return None


def _benchmark_steps(config: GPTConfig, batch: int, seq_len: int, device: torch.device,
                     threads: int | None = None) -> list[float]:
    """Seconds of each of a few real training steps of this model (after one warm-up step that is not
    counted), with the run's CPU thread count (torch's is process-wide: it is put back afterwards)."""
    from studio.core.models.gpt import GPT

    before = torch.get_num_threads()
    if threads and device.type == "cpu":
        torch.set_num_threads(threads)
    try:
        model = GPT(config).to(device).train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
        gen = torch.Generator().manual_seed(0)
        x = torch.randint(0, config.vocab_size, (batch, seq_len), generator=gen).to(device)
        y = torch.randint(0, config.vocab_size, (batch, seq_len), generator=gen).to(device)
        times: list[float] = []
        spent = 0.0
        for i in range(MEASURE_MAX_STEPS + 1):
            start = time.perf_counter()
            _, loss = model(x, y)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            loss.item()  # waits for the device
            took = time.perf_counter() - start
            if i:
                times.append(took)
                spent += took
                if len(times) >= MEASURE_MIN_STEPS and spent >= MEASURE_BUDGET_S:
                    break
        return times
    finally:
        torch.set_num_threads(before)


@dataclass(frozen=True)
class Counts:
    """What an estimate needs of a model: parameters (embeddings apart), the adapter's, widths."""

    parameters: int
    non_embedding: int
    adapter: int  # LoRA parameters (0 without LoRA)
    layers: int
    width: int
    mlp: int
    vocab: int
    context: int


def model_counts(config: GPTConfig | Any, lora: LoraConfig | None = None) -> Counts:
    """Counts of a GPTConfig (analytic) or of any family's config.json / FamilyConfig (from its skeleton)."""
    if isinstance(config, GPTConfig):
        config = config.validate()
        adapter = 0
        if lora is not None:
            adapter = _adapter_size(_skeleton(config.to_dict()), lora)
        return Counts(parameter_count(config), parameter_count(config, non_embedding=True), adapter, config.n_layer,
                      config.n_embd, max(config.mlp(i) for i in range(config.n_layer)), config.vocab_size,
                      config.block_size)
    from torch import nn

    doc = config.to_dict() if hasattr(config, "to_dict") else dict(config)
    model = _skeleton(doc)
    unique = {id(p): p for p in model.parameters()}.values()
    n = sum(p.numel() for p in unique)
    embeddings = sum(m.weight.numel() for m in model.modules() if isinstance(m, nn.Embedding))
    from studio.core.models.family import family_for_config

    spec = family_for_config(doc).describe(doc)
    mlp = next((int(doc[k]) for k in ("intermediate_size", "n_inner", "ffn_dim") if isinstance(doc.get(k), int)),
               4 * spec.hidden_size)
    return Counts(n, n - embeddings, _adapter_size(model, lora) if lora is not None else 0, spec.layers,
                  spec.hidden_size, mlp, spec.vocab_size, spec.context_length or 2048)


def _skeleton(config: dict[str, Any]) -> Any:
    from studio.core.models.family import family_for_config

    return family_for_config(config).skeleton(config)


def _adapter_size(model: Any, lora: LoraConfig) -> int:
    from studio.core.models.lora import target_paths

    # rank x (in + out) per layer, read from the weight's shape: (out, in) for Linear, (in, out) for Conv1D
    return sum(lora.rank * sum(model.get_submodule(p).weight.shape) for p in target_paths(model, lora))


def estimate(
    config: GPTConfig | Any,
    batch: int,
    device: str | torch.device = "cpu",
    *,
    seq_len: int | None = None,
    optimizer: str = "adamw",
    grad_accum: int = 1,
    bf16: bool = False,
    method: str = "auto",
    matmul_flops: float | None = None,
    lora: LoraConfig | None = None,
    shards: int = 1,
    threads: int | None = None,
) -> Estimate:
    """Cost of one optimizer step (batch x seq_len tokens per micro-step, grad_accum micro-steps) on one
    device. `config`: a GPTConfig, or any family's config (dict or FamilyConfig). method: "benchmark"
    measures real steps (the native GPT without LoRA; others are derived), "flops" derives the time,
    "auto" measures only when the step is expected to take under MEASURE_BELOW_S (so that asking never keeps
    a user waiting long). `threads`: the run's CPU threads (None or 0: torch's default), which the measured
    steps use too."""
    if optimizer not in OPTIMIZER_STATE_BYTES:
        raise ValidationError(f"Unknown optimizer {optimizer!r}.", field="optimizer")
    if method not in ("auto", "benchmark", "flops"):
        raise ValidationError(f"Unknown estimate method {method!r}.")
    counts = model_counts(config, lora)
    native = isinstance(config, GPTConfig)
    t = seq_len or counts.context
    dev = resolve_device(str(device)) if not isinstance(device, torch.device) else device
    n, adapter = counts.parameters, counts.adapter
    trained = adapter if lora is not None else n
    weights = 4 * (n + adapter)
    if native:
        activations = activation_bytes(config, batch, t, 2 if bf16 else 4)
        per_token = flops_per_token(config, t)
    else:
        bpv = 2 if bf16 else 4
        per = counts.layers * (8 * counts.width + 3 * counts.mlp) * bpv + 3 * counts.width * bpv + 2 * counts.vocab * 4
        activations = batch * t * per
        per_token = 6.0 * counts.non_embedding + 12 * counts.layers * counts.width * t
    if lora is not None:  # frozen base: no weight gradients; adapters: forward + both gradients
        per_token = per_token - 2.0 * counts.non_embedding + 6.0 * adapter
        activations += batch * t * 4 * counts.width * counts.layers  # the adapters' inputs (dropout)
    flops = per_token * batch * t * grad_accum
    rate = matmul_flops or matmul_rate(dev)
    flops_time = flops / (rate * FLOPS_EFFICIENCY)
    measurable = native and lora is None
    load = machine_load() if dev.type == "cpu" else None
    used_threads = None
    if measurable and (method == "benchmark" or (method == "auto" and flops_time < MEASURE_BELOW_S)):
        times = [x * grad_accum for x in _benchmark_steps(config, batch, t, dev, threads)]
        step, low, high = statistics.median(times), min(times), max(times)
        used_threads = (threads or torch.get_num_threads()) if dev.type == "cpu" else None
        how = (msg("measured: median of {steps} training steps of this model on {device}, {threads} thread(s) "
                   "(after one warm-up step)", steps=len(times), device=dev.type, threads=used_threads)
               if used_threads else
               msg("measured: median of {steps} training steps of this model on {device} (after one warm-up step)",
                   steps=len(times), device=dev.type))
    else:
        step = flops_time
        low, high = step * FLOPS_RANGE[0], step * FLOPS_RANGE[1]
        how = msg("from FLOPs, rough: {flops:.3g} per step at {efficiency:.0%} of a measured {gflops:.0f} GFLOP/s "
                  "float32 matmul on {device}", flops=flops, efficiency=FLOPS_EFFICIENCY, gflops=rate / 1e9,
                  device=dev.type)
    if load is not None and load > 1.0:
        how = msg("{how}; the machine was busy (load {load:.1f} on {cores} cores), so steps may run faster when "
                  "it is not", how=how, load=load * (os.cpu_count() or 1), cores=os.cpu_count())
    shards = max(1, int(shards))
    gradients = 4 * trained
    optim = OPTIMIZER_STATE_BYTES[optimizer] * trained
    return Estimate(
        parameters=n + adapter,
        weights_bytes=-(-weights // shards),
        gradients_bytes=-(-gradients // shards),
        optimizer_bytes=-(-optim // shards),
        activations_bytes=activations,
        total_bytes=-(-(weights + gradients + optim) // shards) + activations,
        flops_per_step=flops,
        step_time_s=step,
        time_method=str(how),
        time_message=how,
        device=str(dev),
        device_memory_bytes=device_memory(dev),
        trainable_parameters=trained if lora is not None else 0,
        shards=shards,
        step_time_low_s=low,
        step_time_high_s=high,
        machine_load=load,
        threads=used_threads,
    )


def run_time_s(est: Estimate, max_steps: int, *, eval_every: int, eval_batches: int, grad_accum: int = 1
               ) -> tuple[float, float, float]:
    """The whole run's time (typical, low, high): its steps, plus the evaluations (every eval_every steps
    and at the end, eval_batches forward passes each: about a third of a training micro-step each)."""
    evals = max_steps // max(1, eval_every) + (1 if max_steps % max(1, eval_every) else 0)
    per_eval = eval_batches / (3.0 * max(1, grad_accum))
    factor = max_steps + evals * per_eval
    return (est.step_time_s * factor, (est.step_time_low_s or est.step_time_s) * factor,
            (est.step_time_high_s or est.step_time_s) * factor)

