"""A compression recipe: what to do to a model, in a fixed order (prune, recover, quantize). Plain data with
no torch, so that the CLI and the pane can build and check a recipe before anything heavy is imported.

    Recipe(sparsity=0.3, quant="int8")                        prune 30% of the weights, then int8
    Recipe(sparsity=0.25, structured=True, recover_steps=200) remove 25% of heads and MLP neurons, fine-tune
    Recipe(quant="int4", group_size=64)                       int4 in groups of 64
    Recipe(sparsity=0.5, method="sparsegpt", pattern="2:4")   2:4 semi-structured sparsity by SparseGPT
    Recipe(quant="int4", quant_method="gptq", act_order=True) GPTQ int4 (calibration: calib_* settings)

`validate()` checks the settings alone; `check_model(config)` checks them against a model's shapes (a group
size that does not divide a width, a head count that cannot shrink), so every mistake is reported before any
work starts.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from studio.core.errors import ValidationError
from studio.core.messages import msg
from studio.core.models.config import GPTConfig

QUANT_METHODS = ("none", "int8", "int4", "dynamic-int8")  # the stored format
PRUNE_METHODS = ("magnitude", "wanda", "sparsegpt", "admm")  # methods/<name>.py
WEIGHT_QUANTIZERS = ("rtn", "gptq", "awq")  # how int8 / int4 values are chosen (methods/<name>.py)
CALIBRATED = frozenset({"wanda", "sparsegpt", "admm", "gptq", "awq"})
PATTERNS = ("unstructured", "2:4", "4:8")
SPLITS = ("train", "val", "test")
DEFAULT_CALIB_SAMPLES = 128
MAX_CALIB_SEQ_LEN = 512  # calib_seq_len 0 = the model's context, at most this (AWQ's reference uses 512)
GROUP_SIZES = (32, 64, 128)
SCOPES = ("layer", "global")
KERNELS = ("auto", "dynamic", "int8pack", "int4pack", "dequant")
MAX_SPARSITY = 0.95
MLP_MULTIPLE = 8  # structured pruning keeps MLP widths a multiple of this (vector-friendly shapes)


@dataclass(frozen=True)
class Recipe:
    sparsity: float = 0.0  # fraction removed: of the weights (unstructured) or of heads and neurons (structured)
    structured: bool = False  # remove whole attention heads and MLP neurons, so tensors shrink
    scope: str = "layer"  # unstructured: "layer" prunes each matrix to the sparsity, "global" ranks them together
    recover_steps: int = 0  # fine-tune steps after pruning (needs a dataset)
    recover_lr: float = 3e-4
    quant: str = "none"  # none | int8 | int4 | dynamic-int8
    group_size: int = 64  # int4 only: weights per scale
    quantize_embeddings: bool = True  # int8/int4 also store the token and position embeddings as integers
    kernel: str = "auto"  # how quantized layers run (see runtime.py); auto picks the fastest measured here
    method: str = "magnitude"  # unstructured / N:M pruning: magnitude | wanda | sparsegpt | admm
    pattern: str = "unstructured"  # or "2:4" / "4:8": keep N non-zeros in every M inputs (sparsity 1 - N/M)
    quant_method: str = "rtn"  # int8 / int4: rtn | gptq | awq
    act_order: bool = False  # GPTQ: columns by decreasing Hessian diagonal
    calib_dataset: str | None = None  # calibration data for wanda, sparsegpt, admm, gptq, awq (None: the run's dataset)
    calib_split: str = "train"
    calib_samples: int = DEFAULT_CALIB_SAMPLES  # windows of calib_seq_len tokens
    calib_seq_len: int = 0  # 0: the model's context, at most MAX_CALIB_SEQ_LEN

    # --- checks -------------------------------------------------------------------------------------------

    def validate(self) -> Recipe:
        def need(ok: bool, field: str, message: str) -> None:
            if not ok:
                raise ValidationError(message, field=field)

        need(isinstance(self.sparsity, int | float) and math.isfinite(self.sparsity), "sparsity",
             msg("The sparsity must be a number between 0 and 0.95."))
        need(0.0 <= self.sparsity <= MAX_SPARSITY, "sparsity",
             msg("The sparsity must be between 0 and {max_sparsity} (got {sparsity:g}); pruning more than 95% leaves too little of the model to be useful.", max_sparsity=MAX_SPARSITY, sparsity=self.sparsity))
        need(self.scope in SCOPES, "scope", msg("Unknown pruning scope {scope!r}; choose one of {value}.", scope=self.scope, value=', '.join(SCOPES)))
        need(not (self.structured and self.scope == "global"), "scope",
             msg("Structured pruning removes the same share of heads and neurons in every layer; global scope applies to unstructured pruning only."))
        need(self.quant in QUANT_METHODS, "quant",
             msg("Unknown quantization {quant!r}; choose one of {value}.", quant=self.quant, value=', '.join(QUANT_METHODS)))
        need(self.quant != "int4" or self.group_size in GROUP_SIZES, "group_size",
             msg("The int4 group size must be one of {value} (got {group_size}).", value=', '.join(map(str, GROUP_SIZES)), group_size=self.group_size))
        need(isinstance(self.recover_steps, int) and 0 <= self.recover_steps <= 1_000_000, "recover_steps",
             msg("The recovery steps must be a whole number from 0 to 1,000,000."))
        need(self.recover_steps == 0 or self.sparsity > 0, "recover_steps",
             msg("A recovery fine-tune follows pruning; set a sparsity, or set the recovery steps to 0."))
        need(math.isfinite(self.recover_lr) and self.recover_lr > 0, "recover_lr", msg("The recovery learning rate must be positive."))
        need(self.kernel in KERNELS, "kernel", msg("Unknown kernel {kernel!r}; choose one of {value}.", kernel=self.kernel, value=', '.join(KERNELS)))
        need(self.kernel in ("auto", "dequant") or self.quant != "none", "kernel",
             msg("A kernel applies to quantized models only; choose a quantization or kernel auto."))
        need(self.kernel != "int4pack" or self.quant == "int4", "kernel", msg("The int4pack kernel runs int4 models only."))
        need(self.kernel not in ("dynamic", "int8pack") or self.quant in ("int8", "dynamic-int8"), "kernel",
             msg("The {kernel} kernel runs int8 models only.", kernel=self.kernel))
        need(self.sparsity > 0 or self.quant != "none", "sparsity",
             msg("This recipe does nothing: choose a sparsity, a quantization or both."))
        need(self.method in PRUNE_METHODS, "method",
             msg("Unknown pruning method {method!r}; choose one of {value}.", method=self.method, value=", ".join(PRUNE_METHODS)))
        need(self.pattern in PATTERNS, "pattern",
             msg("Unknown sparsity pattern {pattern!r}; choose one of {value}.", pattern=self.pattern, value=", ".join(PATTERNS)))
        need(not (self.structured and (self.method != "magnitude" or self.pattern != "unstructured")), "method",
             msg("Structured pruning ranks whole heads and neurons by their weights; Wanda, SparseGPT and N:M patterns "
                 "apply to unstructured pruning."))
        need(self.scope == "layer" or self.method == "magnitude", "scope",
             msg("{method} prunes each layer against its own inputs; the global scope is for magnitude pruning.", method=self.method))
        need(self.pattern == "unstructured" or self.scope == "layer", "scope",
             msg("An N:M pattern applies to every layer alike; use the layer scope."))
        if self.pattern != "unstructured":
            n, m = self.nm
            share = (1 - n / m) * 100
            need(self.sparsity == 0 or abs(self.sparsity - (1 - n / m)) < 1e-9, "sparsity",
                 msg("A {pattern} pattern removes exactly {share:g}% of the weights; set the sparsity to {share:g}% or "
                     "choose unstructured pruning.", pattern=self.pattern, share=share))
            need(self.sparsity > 0, "sparsity",
                 msg("Set the sparsity to {share:g}% for the {pattern} pattern.", share=share, pattern=self.pattern))
        need(self.quant_method in WEIGHT_QUANTIZERS, "quant_method",
             msg("Unknown quantization method {quant_method!r}; choose one of {value}.", quant_method=self.quant_method,
                 value=", ".join(WEIGHT_QUANTIZERS)))
        need(self.quant_method == "rtn" or self.quant in ("int8", "int4"), "quant_method",
             msg("{method} chooses int8 or int4 weights; set the weights to int8 or int4.", method=self.quant_method.upper()))
        need(not self.act_order or self.quant_method == "gptq", "act_order", msg("Act-order is a GPTQ setting."))
        need(self.calib_split in SPLITS, "calib_split",
             msg("Unknown calibration split {split!r}; choose one of {value}.", split=self.calib_split, value=", ".join(SPLITS)))
        need(isinstance(self.calib_samples, int) and 1 <= self.calib_samples <= 100_000, "calib_samples",
             msg("The calibration samples must be a whole number from 1 to 100,000."))
        need(isinstance(self.calib_seq_len, int) and (self.calib_seq_len == 0 or 8 <= self.calib_seq_len <= 1_000_000),
             "calib_seq_len", msg("The calibration length must be 0 (the model's context) or at least 8 tokens."))
        return self

    @property
    def nm(self) -> tuple[int, int] | None:
        """(N, M) of an N:M pattern, None when unstructured."""
        if self.pattern == "unstructured":
            return None
        n, m = self.pattern.split(":")
        return int(n), int(m)

    @property
    def calibrated_pruning(self) -> bool:
        return self.prunes and not self.structured and self.method in CALIBRATED

    @property
    def calibrated_quant(self) -> bool:
        return self.quant in ("int8", "int4") and self.quant_method in CALIBRATED

    @property
    def needs_calibration(self) -> bool:
        return self.calibrated_pruning or self.calibrated_quant

    def calib_length(self, context: int) -> int:
        return self.calib_seq_len or min(context, MAX_CALIB_SEQ_LEN)

    def check_model(self, config: GPTConfig) -> Recipe:
        """Check the recipe against a model's shapes; raises ValidationError naming the problem."""
        self.validate()
        config = config.validate()
        if self.structured and self.sparsity > 0:
            for i in range(config.n_layer):
                if config.heads(i) == 1 and config.mlp(i) <= MLP_MULTIPLE:
                    raise ValidationError(
                        msg("Layer {i} has a single head and {value} MLP neurons: there is nothing left to remove. Use unstructured pruning instead.", i=i, value=config.mlp(i)), field="structured")
        if self.quant == "int4":
            g = self.group_size
            widths = {"the embedding width": config.n_embd}
            heads, mlp = self.pruned_widths(config)
            for i in range(config.n_layer):
                widths[f"layer {i}'s attention width ({heads[i]} heads of {config.head_dim})"] = heads[i] * config.head_dim
                widths[f"layer {i}'s MLP width"] = mlp[i]
            for what, width in widths.items():
                if width % g:
                    hint = [str(s) for s in GROUP_SIZES if width % s == 0]
                    advice = (msg("Choose group size {sizes}.", sizes=" or ".join(hint)) if hint else
                              msg("No supported group size divides it; use int8 instead."))
                    raise ValidationError(msg("The int4 group size {g} does not divide {what}, {width}. {advice}",
                                              g=g, what=what, width=width, advice=advice), field="group_size")
        return self

    def pruned_widths(self, config: GPTConfig) -> tuple[list[int], list[int]]:
        """Heads and MLP width per layer after this recipe's structured pruning (unchanged otherwise)."""
        heads = [config.heads(i) for i in range(config.n_layer)]
        mlp = [config.mlp(i) for i in range(config.n_layer)]
        if not (self.structured and self.sparsity > 0):
            return heads, mlp
        multiple = MLP_MULTIPLE
        if self.quant == "int4":
            multiple = math.lcm(multiple, self.group_size)
        return ([kept_heads(h, self.sparsity) for h in heads],
                [kept_neurons(m, self.sparsity, multiple) for m in mlp])

    # --- descriptions -------------------------------------------------------------------------------------

    @property
    def prunes(self) -> bool:
        return self.sparsity > 0

    @property
    def quantizes(self) -> bool:
        return self.quant != "none"

    def label(self) -> str:
        """A short name for tables and charts: "prune 30% + int8", "structured 25%", "int4-g64"."""
        parts = []
        if self.prunes:
            if self.structured:
                parts.append(f"structured {self.sparsity * 100:g}%")
            else:
                kind = {"magnitude": "prune"}.get(self.method, self.method)
                if self.scope == "global":
                    kind += " global"
                amount = self.pattern if self.pattern != "unstructured" else f"{self.sparsity * 100:g}%"
                if self.pattern != "unstructured" and self.method == "magnitude":
                    kind = "magnitude"
                parts.append(f"{kind} {amount}")
            if self.recover_steps:
                parts.append(f"recover {self.recover_steps}")
        quant = ""
        if self.quant == "int4":
            quant = f"int4-g{self.group_size}"
        elif self.quantizes:
            quant = self.quant
        if quant and self.quant_method != "rtn":
            quant = f"{self.quant_method} {quant}" + (" act-order" if self.act_order else "")
        if quant:
            parts.append(quant)
        return " + ".join(parts) or "original"

    def steps(self) -> list[str]:
        """The steps in the order they run, in words."""
        out = []
        if self.prunes:
            if self.structured:
                out.append(f"Remove {self.sparsity * 100:g}% of the attention heads and MLP neurons of every layer")
            elif self.pattern != "unstructured":
                n, m = self.nm
                out.append(f"Keep {n} of every {m} weights of each row ({self.method})")
            elif self.method != "magnitude":
                out.append(f"Prune {self.sparsity * 100:g}% of every weight matrix ({self.method})")
            else:
                where = "across all layers" if self.scope == "global" else "in every weight matrix"
                out.append(f"Zero the {self.sparsity * 100:g}% smallest weights {where}")
            if self.recover_steps:
                out.append(f"Fine-tune {self.recover_steps} steps to recover")
        by = "" if self.quant_method == "rtn" else f" by {self.quant_method.upper()}"
        if self.quant == "int8":
            out.append(f"Quantize weights to int8 (per output channel, symmetric){by}")
        elif self.quant == "int4":
            out.append(f"Quantize weights to int4 (groups of {self.group_size}, two per byte){by}")
        elif self.quant == "dynamic-int8":
            out.append("Quantize Linear layers with PyTorch's dynamic int8 quantization")
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recipe:
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ValidationError(msg("Unknown recipe settings: {value}.", value=', '.join(unknown)))
        try:
            return cls(**data).validate()
        except TypeError as exc:
            raise ValidationError(msg("Unreadable recipe: {exc}.", exc=exc)) from exc


def kept_heads(heads: int, sparsity: float) -> int:
    return max(1, heads - round(heads * sparsity))


def kept_neurons(width: int, sparsity: float, multiple: int = MLP_MULTIPLE) -> int:
    """Neurons kept when removing `sparsity` of `width`, rounded up to a multiple (never more than width)."""
    keep = max(1, width - round(width * sparsity))
    if width >= multiple:
        keep = min(width, max(multiple, math.ceil(keep / multiple) * multiple))
    return keep
