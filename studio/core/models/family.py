"""Model families: one small interface over every kind of network the studio can hold, and their registry.

A family knows how to build a runnable model from a version's config.json and tensors (on the meta device,
with the decrypted tensors assigned, not copied), how to give its tensors and config back, which tokenizer
and chat template go with it, how to run one forward step with a KV cache, which Linear layers LoRA, pruning
and quantization may touch, and how to write a Hugging Face folder. Everything else (generation, sampling,
chat, the vault's import checks, export, training and compression) talks to this interface and never to a
family by name:

    family = family_for_config(config)          # the vault version's config.json (a dict)
    model = family.build(config, tensors)        # nn.Module, eval mode, weights are the given tensors
    logits, loss = family.forward(model, ids, targets, cache=cache, last_only=True)

`family_of(model)` finds the family of a built model. This module imports neither torch nor transformers, so
a pane can describe a model (`describe(config)`) without them; the families import what they need when used.
A new family is one module in `studio/core/models/families/` that defines `FAMILY`, listed in FAMILY_MODULES
(order matters: the first family that accepts a config gets it). docs/architecture.md ("Model families")
is the contract.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core.errors import ValidationError

if TYPE_CHECKING:
    import torch
    from torch import nn

    from studio.core.models.tokenizer import ModelTokenizer

# The registry: module paths, each defining FAMILY. The native GPT comes first, so the studio's own configs
# and the GPT-2 folders it can represent stay native (structured pruning and the studio's training path).
FAMILY_MODULES = (
    "studio.core.models.families.gpt",
    "studio.core.models.families.transformers_causal",
)


@dataclass(frozen=True)
class ModelSpec:
    """What a config says about a model, without building it (plain data, no torch)."""

    family: str  # the family's name: "gpt" (native) or "transformers"
    model_type: str  # "gpt" for the studio's own configs, else Hugging Face's model_type ("llama", "qwen2", ...)
    architecture: str  # "GPT 4L/128d", "LlamaForCausalLM"
    vocab_size: int
    context_length: int
    layers: int
    hidden_size: int
    heads: int
    tested: bool = True  # False: a model_type transformers supports but the studio's tests do not cover
    notes: tuple[str, ...] = field(default_factory=tuple)  # warnings to show (untested type, ...)


@dataclass(frozen=True)
class ExpectedTensor:
    shape: tuple[int, ...]
    optional: bool = False  # may be absent (a tied head, a buffer some checkpoints carry)


class ModelFamily(ABC):
    """The interface. Methods take the built `nn.Module` (families hold no state of their own)."""

    name: str = ""
    label: str = ""  # for people: "Studio GPT", "Hugging Face transformers"

    # --- recognising and describing (torch-free) ---------------------------------------------------------

    @abstractmethod
    def accepts(self, config: Mapping[str, Any]) -> bool:
        """Whether this config.json is this family's (cheap, no torch; refusals come from `check_config`)."""

    @abstractmethod
    def describe(self, config: Mapping[str, Any]) -> ModelSpec:
        """The config's model in a few numbers; raises ValidationError for a config that is not usable."""

    def check_config(self, config: Mapping[str, Any]) -> ModelSpec:
        """Everything that can be said against a config before any tensor is read (remote code, an
        unsupported type); returns the spec, with `notes` for warnings. The default is `describe`."""
        return self.describe(config)

    # --- building ----------------------------------------------------------------------------------------

    @abstractmethod
    def expected_tensors(self, config: Mapping[str, Any]) -> dict[str, ExpectedTensor]:
        """Every tensor a version with this config must (or may) store, by stored name, with its shape: what
        the import checks a folder's safetensors headers against (the model is built on the meta device)."""

    def check_tensors(self, config: Mapping[str, Any], shapes: Mapping[str, tuple[int, ...]]) -> None:
        """Refuse (ValidationError) stored tensors whose names or shapes do not fit the config: the import's
        check, from the safetensors headers alone. A family may read a checkpoint's spellings of names."""
        check_tensor_shapes(self.expected_tensors(config), shapes)

    @abstractmethod
    def build(self, config: Mapping[str, Any], tensors: Mapping[str, torch.Tensor], *,
              device: str | torch.device = "cpu") -> nn.Module:
        """The model holding `tensors` (assigned, not copied: their dtype is the model's), in eval mode.
        Names, shapes and missing tensors are checked, with a ValidationError that lists what is wrong."""

    @abstractmethod
    def skeleton(self, config: Mapping[str, Any]) -> nn.Module:
        """The model with its parameters on the meta device (no memory, no initialisation): for shapes,
        parameter counts and the layers LoRA would adapt (estimates before a run)."""

    def initialise(self, config: Mapping[str, Any]) -> nn.Module:
        """A randomly initialised model for `config` (in train mode), for training from scratch. Families
        that are only fine-tuned from their weights refuse (the default)."""
        raise ValidationError(f"A {self.label} model is fine-tuned from its weights; the studio trains only its "
                              "own GPT from scratch. Choose a vault model to start from.", field="source")

    @abstractmethod
    def tensors(self, model: nn.Module) -> dict[str, torch.Tensor]:
        """The model's weights by stored name (tied duplicates left out: safetensors refuses shared tensors);
        `build(config(model), tensors(model))` gives the same model back."""

    @abstractmethod
    def config(self, model: nn.Module) -> dict[str, Any]:
        """The config.json to store with `tensors(model)`."""

    @abstractmethod
    def owns(self, model: nn.Module) -> bool:
        """Whether a built model is this family's (see family_of)."""

    # --- running -----------------------------------------------------------------------------------------

    @abstractmethod
    def vocab_size(self, model: nn.Module) -> int: ...

    @abstractmethod
    def context_length(self, model: nn.Module) -> int: ...

    @abstractmethod
    def new_cache(self, model: nn.Module, batch: int = 1) -> Any:
        """An empty KV cache for `forward`; `cache.length` is the number of positions it holds."""

    @abstractmethod
    def forward(self, model: nn.Module, idx: torch.Tensor, targets: torch.Tensor | None = None, *,
                cache: Any = None, last_only: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(logits (B, T or 1, vocab), loss or None). `targets` are the next tokens (already shifted), -1 where
        the loss does not count; the loss is their mean cross-entropy (0 when every target is -1). With a
        cache the positions continue from `cache.length` and the cache grows by T."""

    def batch_runner(self, model: nn.Module, max_rows: int) -> Any:
        """The serving engine's runner for this model (studio.core.serving.runner.BatchRunner): up to
        `max_rows` requests whose rows share each decode step where the family can batch them. The default
        steps each row on its own over `forward` and `new_cache` (serving.family_runner)."""
        from studio.core.serving.family_runner import FamilyRunner

        return FamilyRunner(model, max_rows)

    # --- what compression and LoRA may touch ---------------------------------------------------------------

    @abstractmethod
    def linear_layers(self, model: nn.Module) -> dict[str, nn.Linear]:
        """The Linear layers inside the transformer blocks, by module path (embeddings, norms and the output
        head are not in it): what LoRA adapts and unstructured pruning / weight-only quantization compress."""

    def lora_layers(self, model: nn.Module) -> dict[str, nn.Module]:
        """The layers LoRA may adapt, by module path: `linear_layers`, plus layers that are Linear in another
        layout that peft adapts and the compressor does not expect (GPT-2's Conv1D in transformers, weight
        stored (in, out)). The default is `linear_layers`."""
        return dict(self.linear_layers(model))

    def lora_targets(self, model: nn.Module) -> list[str]:
        """Default LoRA target module names (the last part of each adaptable layer's path)."""
        return sorted({path.rsplit(".", 1)[-1] for path in self.lora_layers(model)})

    # --- tokenizer, chat, export -------------------------------------------------------------------------------

    def default_chat_template(self) -> str | None:
        """The chat template for versions that carry none (None: such versions cannot chat)."""
        return None

    def tokenizer(self, files: Mapping[str, bytes | str], config: Mapping[str, Any] | None = None) -> ModelTokenizer:
        """The version's tokenizer from its stored files (tokenizer.json, tokenizer_config.json,
        generation_config.json, chat_template.jinja ...), with the family's default chat template."""
        from studio.core.models.tokenizer import model_tokenizer

        return model_tokenizer(files, config, default_chat_template=self.default_chat_template())

    @abstractmethod
    def export_hf(self, model: nn.Module, folder: Path, tokenizer: ModelTokenizer | None = None) -> list[str]:
        """Write config.json, model.safetensors, generation_config.json and the tokenizer files into the
        (existing, empty) folder so that transformers' AutoModelForCausalLM / AutoTokenizer load them with the
        same logits and ids; returns the file names written. Raises ValidationError when the Hugging Face
        format cannot describe the model (a pruned native GPT)."""


# --- the registry -------------------------------------------------------------------------------------------

_loaded: list[ModelFamily] | None = None


def families() -> list[ModelFamily]:
    global _loaded
    if _loaded is None:
        _loaded = [importlib.import_module(path).FAMILY for path in FAMILY_MODULES]
    return list(_loaded)


def family_named(name: str) -> ModelFamily:
    for family in families():
        if family.name == name:
            return family
    raise ValidationError(f"Unknown model family {name!r}; this studio knows {', '.join(f.name for f in families())}.")


def family_for_config(config: Mapping[str, Any] | None) -> ModelFamily:
    """The family that runs a version with this config.json."""
    if not config:
        raise ValidationError("This model version has no config.json; the studio cannot tell what network it is.")
    if not isinstance(config, Mapping):
        raise ValidationError("This model version's config.json is not a JSON object.")
    for family in families():
        if family.accepts(config):
            return family
    kind = config.get("model_type") or ", ".join(map(str, config.get("architectures") or [])) or "unknown"
    raise ValidationError(f"The studio cannot run this kind of model ({kind!r}): its config.json is neither the "
                          "studio's own nor a causal language model that transformers knows.")


def family_of(model: Any) -> ModelFamily:
    """The family of a built model (a module built by one of the families)."""
    for family in families():
        if family.owns(model):
            return family
    raise ValidationError(f"{type(model).__name__} is not a model of any family the studio knows.")


def describe(config: Mapping[str, Any] | None) -> ModelSpec:
    """family_for_config(config).describe(config)."""
    return family_for_config(config).describe(config or {})


def build(config: Mapping[str, Any] | None, tensors: Mapping[str, torch.Tensor], *,
          device: str | torch.device = "cpu") -> nn.Module:
    """family_for_config(config).build(config, tensors)."""
    return family_for_config(config).build(config or {}, tensors, device=device)


@dataclass(frozen=True)
class FamilyConfig:
    """A family's config.json with the few numbers a run plan shows, under the names the studio's GPTConfig
    uses (n_layer, n_head, n_embd, block_size, vocab_size): what RunPlan.model_config is for a model that is
    not the native GPT. `to_dict()` is the config.json itself."""

    config: dict[str, Any]
    spec: ModelSpec

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> FamilyConfig:
        return cls(dict(config), family_for_config(config).check_config(config))

    def to_dict(self) -> dict[str, Any]:
        return dict(self.config)

    def validate(self) -> FamilyConfig:
        return self

    @property
    def vocab_size(self) -> int:
        return self.spec.vocab_size

    @property
    def block_size(self) -> int:
        return self.spec.context_length

    @property
    def n_layer(self) -> int:
        return self.spec.layers

    @property
    def n_head(self) -> int:
        return self.spec.heads

    @property
    def n_embd(self) -> int:
        return self.spec.hidden_size

    @property
    def dropout(self) -> float:
        return 0.0


def write_hf_folder(folder: Path, config: Mapping[str, Any], tensors: Mapping[str, torch.Tensor],
                    files: Mapping[str, bytes | str]) -> list[str]:
    """A stored version (config.json, tensors, its other files by name) written as a Hugging Face folder into
    the existing empty `folder` by its family; returns the file names written."""
    family = family_for_config(config)
    model = family.build(config, tensors)
    tokenizer = family.tokenizer(files, config) if files.get("tokenizer.json") else None
    return family.export_hf(model, Path(folder), tokenizer)


def check_tensor_shapes(expected: Mapping[str, ExpectedTensor], shapes: Mapping[str, tuple[int, ...]],
                        what: str = "The weights") -> None:
    """Refuse weights whose names or shapes are not the model's, naming the first few of each problem."""
    missing = sorted(n for n, e in expected.items() if not e.optional and n not in shapes)
    unexpected = sorted(n for n in shapes if n not in expected)
    wrong = sorted(n for n in shapes if n in expected and tuple(shapes[n]) != tuple(expected[n].shape))
    if not (missing or unexpected or wrong):
        return
    parts = []
    if wrong:
        parts.append("wrong shape " + ", ".join(
            f"{n} {tuple(shapes[n])} (the config says {tuple(expected[n].shape)})" for n in wrong[:3])
            + (f" and {len(wrong) - 3} more" if len(wrong) > 3 else ""))
    if missing:
        parts.append("missing " + ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else ""))
    if unexpected:
        parts.append("not in the model " + ", ".join(unexpected[:3])
                     + (f" and {len(unexpected) - 3} more" if len(unexpected) > 3 else ""))
    raise ValidationError(f"{what} do not fit the model that config.json describes: " + "; ".join(parts) + ".")
