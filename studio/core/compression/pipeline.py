"""Run a recipe on a model's tensors: prune, recover, quantize, in that order, with progress and cancel.

    result = compress(config, tensors, Recipe(sparsity=0.3, quant="int8"), state=state)
    result.tensors      # as stored: quantized and sparse-encoded where that is smaller
    result.config       # the config.json to store with them
    result.description  # JSON: the recipe, the resulting config, what each step did
    model = load_model(result.config, result.tensors)   # runs in quantized form

Any model family: the model is built by its family (models/family.py) and compressed through the family's
Linear layers (`linear_layers`) and forward; the tensors and config come back from the family. Structured
pruning and the recovery fine-tune need a family's own code (STRUCTURED_PRUNING in prune.py, RECOVERY here):
today the native GPT's; another family is told so before any work.

Pruning by Wanda or SparseGPT and quantization by GPTQ or AWQ need `calibration` (calibration.py): their
layers are compressed block by block on the calibration windows (calibration.for_each_block), through the
methods' common interface (methods/); magnitude and RTN work layer by layer without data.

The recipe is checked against the model before any work starts; nothing is written anywhere here.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from studio.core.compression import dynamic, storage, target
from studio.core.compression.calibration import CalibrationSet, for_each_block
from studio.core.compression.load import (
    as_config,
    is_compressed,
    majority_dtype,
    plain_embedding,
    plain_linear,
)
from studio.core.compression.methods import pruner_named, quantizer_named
from studio.core.compression.methods.base import QuantSpec, layer_threads
from studio.core.compression.prune import STRUCTURED_PRUNING, magnitude_masks
from studio.core.compression.quantize import QuantizedMatrix
from studio.core.compression.recipe import GROUP_SIZES, Recipe
from studio.core.compression.runtime import check_kernel_choice
from studio.core.errors import ValidationError
from studio.core.models.config import GPTConfig
from studio.core.models.family import ModelFamily, family_for_config
from studio.core.tasks import TaskState
from studio.core.training.data import TokenSplit


@dataclass(frozen=True)
class Compressed:
    config: dict[str, Any]  # the resulting config.json (per-layer widths after structured pruning)
    tensors: dict[str, torch.Tensor]  # as stored
    description: dict[str, Any]
    recipe: Recipe
    log: tuple[str, ...] = field(default_factory=tuple)  # what each step did, in words


class Span:
    """A TaskState seen through the sub-range [lo, hi] of its progress."""

    def __init__(self, state: TaskState, lo: float, hi: float):
        self.state, self.lo, self.hi = state, lo, hi

    def report(self, fraction: float, message: str = "") -> None:
        self.state.report(self.lo + (self.hi - self.lo) * min(1.0, max(0.0, fraction)), message)

    def check(self) -> None:
        self.state.check()


def _build(family: ModelFamily, config: dict[str, Any], tensors: Mapping[str, torch.Tensor]) -> nn.Module:
    try:
        return family.build(config, tensors)
    except ValidationError as exc:
        raise ValidationError(f"This version's weights do not build the model its config describes: {exc}",
                              field="model") from exc


def check(config: GPTConfig | Mapping[str, Any], tensors: dict[str, torch.Tensor], recipe: Recipe,
          recovery_data: TokenSplit | None = None, calibration: CalibrationSet | None = None) -> ModelFamily:
    """Every check that can fail, before any work: the recipe, the model, the data. Returns the family."""
    recipe.validate()
    config = as_config(config)
    if is_compressed(tensors):
        raise ValidationError("This version is already compressed (quantized or stored sparse); start from an "
                              "uncompressed version of the model.", field="model")
    family = family_for_config(config)
    spec = family.check_config(config)
    model = _build(family, config, tensors)
    layers = family.linear_layers(model)
    vocab, context = family.vocab_size(model), family.context_length(model)
    if not layers and (recipe.quantizes or (recipe.prunes and not recipe.structured)):
        raise ValidationError(f"This {spec.architecture} has no Linear layers the compressor can prune or quantize "
                              "(its family lists none).", field="model")
    if recipe.prunes and recipe.structured:
        if family.name not in STRUCTURED_PRUNING:
            raise ValidationError(
                f"Structured pruning removes whole heads and neurons of the studio's own GPT models; this is a "
                f"{spec.architecture}. Use unstructured or 2:4 pruning for it.", field="structured")
        STRUCTURED_PRUNING[family.name].check(family.config(model), family.tensors(model), recipe)
    elif recipe.quant == "int4":
        # the embeddings first: their width is the model's, which the user knows (the layers' inputs follow)
        widths = [("the embedding width", m.embedding_dim) for m in model.modules()
                  if recipe.quantize_embeddings and plain_embedding(m)]
        widths += [(f"the input width of {path}", layer.in_features) for path, layer in layers.items()]
        for what, width in widths:
            if width % recipe.group_size:
                hint = [str(g) for g in GROUP_SIZES if width % g == 0]
                raise ValidationError(
                    f"The int4 group size {recipe.group_size} does not divide {what}, {width}. "
                    + (f"Choose group size {' or '.join(hint)}." if hint else "No supported group size divides it; "
                       "use int8 instead."), field="group_size")
    if recipe.quant == "dynamic-int8":
        dynamic.require()
    if recipe.quantizes:
        check_kernel_choice(recipe.kernel, 4 if recipe.quant == "int4" else 8)
    if recipe.recover_steps:
        if recovery_data is None:
            raise ValidationError("A recovery fine-tune needs a dataset: choose one, or set the recovery steps to 0.",
                                  field="dataset")
        top = recovery_data.max_token()
        if top >= vocab:
            raise ValidationError(
                f"The recovery dataset contains token id {top}, but the model's vocabulary has {vocab} "
                "ids: it was tokenized with a different tokenizer than the model's.", field="dataset")
        if len(recovery_data) < 2 * min(context, 128) + 2:
            raise ValidationError("The recovery dataset is too short for a fine-tune.", field="dataset")
    if recipe.nm is not None:
        m = recipe.nm[1]
        for path, layer in layers.items():
            if layer.in_features % m:
                raise ValidationError(f"The {recipe.pattern} pattern needs layers whose inputs come in groups of {m}; "
                                      f"{path} has {layer.in_features}.", field="pattern")
    if recipe.needs_calibration:
        if calibration is None:
            raise ValidationError(f"{recipe.label()} needs calibration data: choose a calibration dataset.",
                                  field="calibration")
        top = int(calibration.windows.max())
        if top >= vocab:
            raise ValidationError(
                f"The calibration data contains token id {top}, but the model's vocabulary has {vocab} "
                "ids: it was tokenized with a different tokenizer than the model's.", field="calibration")
        if calibration.windows.shape[1] > context:
            raise ValidationError(f"The calibration windows ({calibration.windows.shape[1]} tokens) are longer than "
                                  f"the model's context ({context}).", field="calibration")
    return family


def compress(config: GPTConfig | Mapping[str, Any], tensors: dict[str, torch.Tensor], recipe: Recipe, *,
             recovery_data: TokenSplit | None = None, calibration: CalibrationSet | None = None,
             state: TaskState | None = None, device: str = "cpu", seed: int = 1337) -> Compressed:
    state = state or TaskState()
    config = as_config(config)
    family = check(config, tensors, recipe, recovery_data, calibration)
    started = time.perf_counter()
    source_dtype = majority_dtype(tensors)
    # A copy in float32: the methods update weights in place, and the source (the vault's buffers) stays as it is.
    work = {k: v.detach().to("cpu", torch.float32).clone() if v.is_floating_point() else v for k, v in tensors.items()}
    model = family.build(config, work)
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
            structured = STRUCTURED_PRUNING[family.name]
            config, work, message = structured.prune(family.config(model), family.tensors(model), recipe)
            model = family.build(config, work)
            log.append(message)
        else:
            masks = prune_model(model, recipe, calibration, Span(state, *spans["prune"]))
            zeros = sum(int((~m).sum()) for m in masks.values())
            size = sum(m.numel() for m in masks.values())
            how = "" if recipe.method == "magnitude" else f" by {recipe.method}"
            log.append(f"Zeroed {zeros:,} of {size:,} projection weights ({zeros / size:.1%}){how}.")
    if recipe.recover_steps:
        assert recovery_data is not None
        lo, hi = spans["recover"]
        config, work, message = recover(family.config(model), family.tensors(model), recovery_data,
                                                      recipe, masks, state, lo, hi, device, seed)
        model = family.build(config, work)
        log.append(message)
    matrices: dict[str, QuantizedMatrix] = {}
    if recipe.quantizes:
        state.report(spans["quantize"][0], "Quantizing", force=True)
        matrices, message = quantize_model(model, recipe, calibration=calibration, masks=masks,
                                           span=Span(state, *spans["quantize"]))
        log.append(message)
    parameters = sum(p.numel() for p in model.parameters())
    config = family.config(model)
    out = {k: (v.to(source_dtype) if v.is_floating_point() and source_dtype != torch.float32 else v)
           for k, v in family.tensors(model).items()}
    for path, m in matrices.items():
        out.pop(path + ".weight")
        out.update(m.tensors(path + "."))
    stored = storage.encode_sparse_tensors(out)
    sparse = sorted({n.rsplit(".", 1)[0] for n in stored if n.endswith(".nzmask")})
    if sparse:
        log.append(f"Stored {len(sparse)} pruned matrices in sparse form.")
    description = {
        "format": storage.FORMAT,
        "version": storage.version_for(stored),
        "label": recipe.label(),
        "recipe": recipe.to_dict(),
        "steps": recipe.steps(),
        "config": config,
        "parameters": parameters,
        "bits": {"int8": 8, "dynamic-int8": 8, "int4": 4}.get(recipe.quant),
        "group_size": recipe.group_size if recipe.quant == "int4" else None,
        "kernel": recipe.kernel,
        "calibration": calibration.describe() if (calibration is not None and recipe.needs_calibration) else None,
        "log": log,
        "seconds": round(time.perf_counter() - started, 3),
    }
    state.report(1.0, "Compressed", force=True)
    return Compressed(config, stored, description, recipe, tuple(log))


def _forward(model: nn.Module):
    return lambda x: target.logits(model, x)


def _run(model: nn.Module, layers: dict[str, nn.Linear], calibrated: bool, calibration: CalibrationSet | None,
         apply, span: Span, what: str) -> None:
    if calibrated:
        assert calibration is not None
        for_each_block(model, _forward(model), layers, calibration.windows, apply,
                       progress=lambda f, block: span.report(f, f"{what} {block}"), check=span.check)
        return
    for k, (name, layer) in enumerate(layers.items()):
        span.check()
        span.report(k / len(layers), f"{what} {name}")
        apply(name, layer, None)


def prune_model(model: nn.Module, recipe: Recipe, calibration: CalibrationSet | None, span: Span
                ) -> dict[str, torch.Tensor]:
    """Prune the family's Linear layers in place with the recipe's method (block by block on the calibration
    windows when the method is calibrated); returns the keep-masks by weight name (path + ".weight")."""
    layers = target.linear_layers(model)
    if recipe.method == "magnitude" and recipe.nm is None and recipe.scope == "global":
        weights = {path: layer.weight.data for path, layer in layers.items()}
        keep = magnitude_masks(weights, list(weights), recipe.sparsity, "global")
        for path, layer in layers.items():
            layer.weight.data.mul_(keep[path])
        return {path + ".weight": m for path, m in keep.items()}
    pruner = pruner_named(recipe.method)
    masks: dict[str, torch.Tensor] = {}

    def apply(name: str, layer: nn.Linear, inputs) -> None:
        with layer_threads(layer.weight):
            weight, keep = pruner.prune(layer.weight.data, inputs, recipe.sparsity, recipe.nm)
        layer.weight.data.copy_(weight)
        masks[name + ".weight"] = keep

    _run(model, layers, pruner.calibrated, calibration, apply, span, "Pruning")
    return masks


def quantize_model(model: nn.Module, recipe: Recipe, *, calibration: CalibrationSet | None = None,
                   masks: dict[str, torch.Tensor] | None = None, span: Span | None = None,
                   ) -> tuple[dict[str, QuantizedMatrix], str]:
    """Quantize the family's Linear layers with the recipe's method (leaving each layer's dequantized weight in
    the model, so that later blocks calibrate on the quantized ones), then, by round to nearest, the plain
    embeddings (unless kept in float) and any other plain Linear layer that is not tied to an embedding (an
    untied output head). Returns the matrices by module path."""
    span = span or Span(TaskState(), 0.0, 1.0)
    layers = target.linear_layers(model)
    if recipe.quant == "dynamic-int8":
        matrices = dynamic.dynamic_int8_matrices(layers)
        return matrices, (f"Quantized {len(matrices)} Linear layers with torch's quantize_dynamic (int8, one scale "
                          "per matrix).")
    bits = 4 if recipe.quant == "int4" else 8
    spec = QuantSpec(bits, recipe.group_size, recipe.act_order)
    quantizer = quantizer_named(recipe.quant_method)
    matrices: dict[str, QuantizedMatrix] = {}
    worst = 0.0

    def apply(name: str, layer: nn.Module, inputs, method=quantizer) -> None:
        nonlocal worst
        w = layer.weight.data.clone()
        with layer_threads(w):
            m = method.quantize(w, inputs, spec, (masks or {}).get(name + ".weight"))
        layer.weight.data.copy_(m.dequantize())  # later blocks see the quantized layer
        worst = max(worst, float((m.dequantize() - w).abs().max() / w.abs().max().clamp(min=1e-12)))
        matrices[name] = m

    _run(model, layers, quantizer.calibrated, calibration, apply, span, "Quantizing")
    rtn = quantizer_named("rtn")
    # a head tied to an embedding is stored as the embedding (and loads tied to it), never on its own
    embedding_weights = {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding)}
    for path, module in model.named_modules():
        if path in layers:
            continue
        if (plain_embedding(module) and recipe.quantize_embeddings) or (
                plain_linear(module) and id(module.weight) not in embedding_weights):
            apply(path, module, None, rtn)
    what = f"int4 in groups of {recipe.group_size}" if bits == 4 else "int8 per output channel"
    how = "" if recipe.quant_method == "rtn" else f" ({len(layers)} Linear layers by {recipe.quant_method.upper()})"
    return matrices, (f"Quantized {len(matrices)} matrices to {what}{how} (largest error {worst:.2%} of a "
                      "matrix's largest weight).")


def recover(config: dict[str, Any], tensors: dict[str, torch.Tensor], data: TokenSplit, recipe: Recipe,
            masks: dict[str, torch.Tensor] | None, state: TaskState, lo: float, hi: float, device: str,
            seed: int) -> tuple[dict[str, Any], dict[str, torch.Tensor], str]:
    """A short full fine-tune with the training engine (the family-blind Trainer, any family); pruned weights
    are put back to zero after every step (a LoRA update would be dense). Returns (config, tensors, what it
    did)."""
    from studio.core.training.config import TrainConfig
    from studio.core.training.data import TrainData
    from studio.core.training.trainer import Trainer

    steps = recipe.recover_steps
    seq_len = min(family_for_config(config).describe(config).context_length or 128, 128)
    train = TrainConfig(max_steps=steps, batch_size=8, seq_len=seq_len, lr=recipe.recover_lr,
                        min_lr=recipe.recover_lr / 10, warmup_steps=min(20, steps // 10), weight_decay=0.0,
                        eval_every=max(steps, 1), seed=seed, device=device)
    trainer = Trainer(config, train, TrainData(data), weights=tensors)
    params = dict(trainer.model.named_parameters())
    missing = sorted(set(masks or {}) - set(params))
    if missing:
        raise ValidationError(f"The pruning masks name weights the model does not train: {missing[:3]}.")
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
    out = {k: v.detach().cpu() for k, v in trainer.family.tensors(trainer.model).items()}
    return trainer.model_config, out, f"Fine-tuned {steps} steps to recover (training loss {first:.3f} -> {last:.3f})."
