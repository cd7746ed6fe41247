"""Run a recipe on a model's tensors: prune, recover, quantize, in that order, with progress and cancel.

    result = compress(config, tensors, Recipe(sparsity=0.3, quant="int8"), state=state)
    result.tensors      # as stored: quantized and sparse-encoded where that is smaller
    result.description  # JSON: the recipe, the resulting config, what each step did
    model = load_model(result.config, result.tensors)   # runs in quantized form

Pruning by Wanda or SparseGPT and quantization by GPTQ or AWQ need `calibration` (calibration.py): their
layers are compressed block by block on the calibration windows (calibration.for_each_block), through the
methods' common interface (methods/); magnitude and RTN work layer by layer without data.

The recipe is checked against the model before any work starts; nothing is written anywhere here.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import torch

from studio.core.compression import dynamic, storage, target
from studio.core.compression.calibration import CalibrationSet, for_each_block
from studio.core.compression.methods import pruner_named, quantizer_named
from studio.core.compression.methods.base import QuantSpec
from studio.core.compression.prune import prunable_names, prune_structured, prune_unstructured
from studio.core.compression.quantize import quantize
from studio.core.compression.recipe import Recipe
from studio.core.compression.runtime import check_kernel_choice
from studio.core.errors import ValidationError
from studio.core.models.config import GPTConfig, parameter_count
from studio.core.models.gpt import build_model, config_for_tensors, model_tensors
from studio.core.tasks import TaskState
from studio.core.training.data import TokenSplit


@dataclass(frozen=True)
class Compressed:
    config: GPTConfig  # the resulting shape (per-layer widths after structured pruning)
    tensors: dict[str, torch.Tensor]  # as stored
    description: dict[str, Any]
    recipe: Recipe
    log: tuple[str, ...] = field(default_factory=tuple)  # what each step did, in words


def check(config: GPTConfig, tensors: dict[str, torch.Tensor], recipe: Recipe,
          recovery_data: TokenSplit | None = None, calibration: CalibrationSet | None = None) -> GPTConfig:
    """Every check that can fail, before any work: the recipe, the model, the data. Returns the config
    with its per-layer widths read from the tensors."""
    recipe.validate()
    if any(name.endswith((".qweight", ".nzmask")) for name in tensors):
        raise ValidationError("This version is already compressed (quantized or stored sparse); start from an "
                              "uncompressed version of the model.", field="model")
    try:
        config = config_for_tensors(config, tensors)
    except (ValidationError, AttributeError) as exc:
        raise ValidationError(f"This model's weights are not a GPT the compressor supports: {exc}", field="model") from exc
    recipe.check_model(config)
    if recipe.quant == "dynamic-int8":
        dynamic.require()
    if recipe.quantizes:
        check_kernel_choice(recipe.kernel, 4 if recipe.quant == "int4" else 8)
    if recipe.recover_steps:
        if recovery_data is None:
            raise ValidationError("A recovery fine-tune needs a dataset: choose one, or set the recovery steps to 0.",
                                  field="dataset")
        top = recovery_data.max_token()
        if top >= config.vocab_size:
            raise ValidationError(
                f"The recovery dataset contains token id {top}, but the model's vocabulary has {config.vocab_size} "
                "ids: it was tokenized with a different tokenizer than the model's.", field="dataset")
        if len(recovery_data) < 2 * min(config.block_size, 128) + 2:
            raise ValidationError("The recovery dataset is too short for a fine-tune.", field="dataset")
    if recipe.nm is not None:
        m = recipe.nm[1]
        for name in prunable_names(config):
            width = tensors[name].shape[1]
            if width % m:
                raise ValidationError(f"The {recipe.pattern} pattern needs layers whose inputs come in groups of {m}; "
                                      f"{name} has {width}.", field="pattern")
    if recipe.needs_calibration:
        if calibration is None:
            raise ValidationError(f"{recipe.label()} needs calibration data: choose a calibration dataset.",
                                  field="calibration")
        top = int(calibration.windows.max())
        if top >= config.vocab_size:
            raise ValidationError(
                f"The calibration data contains token id {top}, but the model's vocabulary has {config.vocab_size} "
                "ids: it was tokenized with a different tokenizer than the model's.", field="calibration")
        if calibration.windows.shape[1] > config.block_size:
            raise ValidationError(f"The calibration windows ({calibration.windows.shape[1]} tokens) are longer than "
                                  f"the model's context ({config.block_size}).", field="calibration")
    return config


def compress(config: GPTConfig, tensors: dict[str, torch.Tensor], recipe: Recipe, *,
             recovery_data: TokenSplit | None = None, calibration: CalibrationSet | None = None,
             state: TaskState | None = None, device: str = "cpu", seed: int = 1337) -> Compressed:
    state = state or TaskState()
    config = check(config, tensors, recipe, recovery_data, calibration)
    started = time.perf_counter()
    work = {k: v.detach().to("cpu", torch.float32) if v.is_floating_point() else v for k, v in tensors.items()}
    log: list[str] = []
    masks: dict[str, torch.Tensor] | None = None
    plan = [("prune", (4.0 if recipe.calibrated_pruning else 1.0) if recipe.prunes else 0.0),
            ("recover", 6.0 if recipe.recover_steps else 0.0),
            ("quantize", (4.0 if recipe.calibrated_quant else 1.0) if recipe.quantizes else 0.0)]
    total = sum(w for _, w in plan) or 1.0
    spans, at = {}, 0.0
    for name, w in plan:
        spans[name] = (at / total, (at + w) / total)
        at += w

    if recipe.prunes:
        state.report(spans["prune"][0], "Pruning", force=True)
        if recipe.structured:
            before = parameter_count(config)
            config, work = prune_structured(config, work, recipe)
            log.append(f"Removed heads and neurons: {before:,} -> {parameter_count(config):,} parameters "
                       f"(heads per layer {[config.heads(i) for i in range(config.n_layer)]}, "
                       f"MLP widths {[config.mlp(i) for i in range(config.n_layer)]}).")
        else:
            if recipe.method == "magnitude" and recipe.nm is None:
                work, masks = prune_unstructured(config, work, recipe.sparsity, recipe.scope)
            else:
                work, masks = prune_layers(config, work, recipe, calibration, Span(state, *spans["prune"]))
            zeros = sum(int((~m).sum()) for m in masks.values())
            size = sum(m.numel() for m in masks.values())
            log.append(f"Zeroed {zeros:,} of {size:,} projection weights ({zeros / size:.1%}).")
    if recipe.recover_steps:
        assert recovery_data is not None
        lo, hi = spans["recover"]
        work, message = recover(config, work, recovery_data, recipe, masks, state, lo, hi, device, seed)
        log.append(message)
    if recipe.quantizes:
        state.report(spans["quantize"][0], "Quantizing", force=True)
        work, message = quantize_tensors(config, work, recipe, state, calibration=calibration, masks=masks,
                                         span=Span(state, *spans["quantize"]))
        log.append(message)
    stored = storage.encode_sparse_tensors(work)
    sparse = sorted({n.rsplit(".", 1)[0] for n in stored if n.endswith(".nzmask")})
    if sparse:
        log.append(f"Stored {len(sparse)} pruned matrices in sparse form.")
    description = {
        "format": storage.FORMAT,
        "version": storage.version_for(stored),
        "label": recipe.label(),
        "recipe": recipe.to_dict(),
        "steps": recipe.steps(),
        "config": config.to_dict(),
        "parameters": parameter_count(config),
        "bits": {"int8": 8, "dynamic-int8": 8, "int4": 4}.get(recipe.quant),
        "group_size": recipe.group_size if recipe.quant == "int4" else None,
        "kernel": recipe.kernel,
        "calibration": calibration.describe() if (calibration is not None and recipe.needs_calibration) else None,
        "log": log,
        "seconds": round(time.perf_counter() - started, 3),
    }
    state.report(1.0, "Compressed", force=True)
    return Compressed(config, stored, description, recipe, tuple(log))


class Span:
    """A TaskState seen through the sub-range [lo, hi] of its progress."""

    def __init__(self, state: TaskState, lo: float, hi: float):
        self.state, self.lo, self.hi = state, lo, hi

    def report(self, fraction: float, message: str = "") -> None:
        self.state.report(self.lo + (self.hi - self.lo) * min(1.0, max(0.0, fraction)), message)

    def check(self) -> None:
        self.state.check()


def prune_layers(config: GPTConfig, tensors: dict[str, torch.Tensor], recipe: Recipe,
                 calibration: CalibrationSet | None, span: Span
                 ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Prune every Linear layer with the recipe's method (block by block on the calibration windows when the
    method is calibrated); returns the tensors and the keep-masks by weight name."""
    model = build_model(config, tensors).eval()
    layers = target.linear_layers(model)
    pruner = pruner_named(recipe.method)
    masks: dict[str, torch.Tensor] = {}

    def apply(name: str, layer: torch.nn.Linear, inputs) -> None:
        weight, keep = pruner.prune(layer.weight.data, inputs, recipe.sparsity, recipe.nm)
        layer.weight.data.copy_(weight)
        masks[name + ".weight"] = keep

    _run(model, layers, pruner.calibrated, calibration, apply, span, "Pruning")
    return {k: v.detach().clone() for k, v in model_tensors(model).items()}, masks


def _run(model, layers, calibrated: bool, calibration: CalibrationSet | None, apply, span: Span, what: str) -> None:
    if calibrated:
        assert calibration is not None
        for_each_block(model, lambda x: target.logits(model, x), layers, calibration.windows, apply,
                       progress=lambda f, block: span.report(f, f"{what} {block}"), check=span.check)
        return
    for k, (name, layer) in enumerate(layers.items()):
        span.check()
        span.report(k / len(layers), f"{what} {name}")
        apply(name, layer, None)


def quantize_tensors(config: GPTConfig, tensors: dict[str, torch.Tensor], recipe: Recipe,
                     state: TaskState | None = None, *, calibration: CalibrationSet | None = None,
                     masks: dict[str, torch.Tensor] | None = None, span: Span | None = None,
                     ) -> tuple[dict[str, torch.Tensor], str]:
    if recipe.quant == "dynamic-int8":
        out = dynamic.dynamic_int8_tensors(config, tensors)
        n = sum(1 for k in out if k.endswith(".qweight"))
        return out, f"Quantized {n} Linear layers with torch's quantize_dynamic (int8, one scale per matrix)."
    state = state or TaskState()
    span = span or Span(state, 0.0, 1.0)
    bits = 4 if recipe.quant == "int4" else 8
    spec = QuantSpec(bits, recipe.group_size, recipe.act_order)
    model = build_model(config, tensors).eval()
    layers = target.linear_layers(model)
    quantizer = quantizer_named(recipe.quant_method)
    out = dict(tensors)
    worst = 0.0

    def apply(name: str, layer: torch.nn.Linear, inputs) -> None:
        nonlocal worst
        w = layer.weight.data.clone()
        m = quantizer.quantize(w, inputs, spec, (masks or {}).get(name + ".weight"))
        layer.weight.data.copy_(m.dequantize())  # later blocks see the quantized layer
        worst = max(worst, float((m.dequantize() - w).abs().max() / w.abs().max().clamp(min=1e-12)))
        out.pop(name + ".weight")
        out.update(m.tensors(name + "."))

    _run(model, layers, quantizer.calibrated, calibration, apply, span, "Quantizing")
    # Embeddings and an untied head: round to nearest (they are not Linear layers of the blocks).
    names = []
    if recipe.quantize_embeddings:
        names += ["transformer.wte.weight", "transformer.wpe.weight"]
    if not config.tie_embeddings and "lm_head.weight" in tensors:
        names.append("lm_head.weight")
    for name in names:
        if state is not None:
            state.check()
        w = out.pop(name)
        m = quantize(w, bits, recipe.group_size)
        err = float((m.dequantize() - w.float()).abs().max() / w.float().abs().max().clamp(min=1e-12))
        worst = max(worst, err)
        out.update(m.tensors(name[: -len("weight")]))
    what = f"int4 in groups of {recipe.group_size}" if bits == 4 else "int8 per output channel"
    how = "" if recipe.quant_method == "rtn" else f" by {recipe.quant_method.upper()}"
    return out, (f"Quantized {len(layers) + len(names)} matrices to {what}{how} (largest error {worst:.2%} of a "
                 "matrix's largest weight).")


def recover(config: GPTConfig, tensors: dict[str, torch.Tensor], data: TokenSplit, recipe: Recipe,
            masks: dict[str, torch.Tensor] | None, state: TaskState, lo: float, hi: float, device: str,
            seed: int) -> tuple[dict[str, torch.Tensor], str]:
    """A short fine-tune with the training engine; pruned weights are put back to zero after every step."""
    from studio.core.models.gpt import model_tensors
    from studio.core.training.config import TrainConfig
    from studio.core.training.data import TrainData
    from studio.core.training.trainer import Trainer

    steps = recipe.recover_steps
    seq_len = min(config.block_size, 128)
    train = TrainConfig(max_steps=steps, batch_size=8, seq_len=seq_len, lr=recipe.recover_lr,
                        min_lr=recipe.recover_lr / 10, warmup_steps=min(20, steps // 10), weight_decay=0.0,
                        eval_every=max(steps, 1), seed=seed, device=device)
    trainer = Trainer(config, train, TrainData(data), weights=tensors)
    params = dict(trainer.model.named_parameters())
    device_masks = {n: m.to(trainer.device) for n, m in (masks or {}).items()}
    first = last = math.nan
    state.report(lo, f"Recovering: step 0 of {steps}", force=True)
    for metrics in trainer.steps():
        if device_masks:
            with torch.no_grad():
                for n, m in device_masks.items():
                    params[n].mul_(m)
        if metrics.step == 1:
            first = metrics.train_loss
        last = metrics.train_loss
        state.report(lo + (hi - lo) * metrics.step / steps, f"Recovering: step {metrics.step} of {steps}, "
                     f"loss {metrics.train_loss:.3f}")
    result = trainer.result
    if result is None or result.status != "completed":
        raise ValidationError(f"The recovery fine-tune did not complete: {result.message if result else 'no result'}")
    out = {k: v.detach().cpu() for k, v in model_tensors(trainer.model).items()}
    return out, f"Fine-tuned {steps} steps to recover (training loss {first:.3f} -> {last:.3f})."
