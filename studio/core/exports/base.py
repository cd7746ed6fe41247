"""The export-format interface and its registry.

A format is an `ExportFormat` in its own module (FORMAT_MODULES), written over the model-family interface:

    fmt = format_named("gguf")
    options = fmt.options(quant="q8_0")           # refusals of the options alone (before the vault is opened)
    fmt.check(source, options)                   # refusals of this version (before the audited operation)
    result = fmt.write(source, staged_path, options, progress)   # the files, into the staged path
    report = fmt.verify(result.path, source, options)            # read back with the runtime that reads it

`ExportSource` is a vault version decrypted in memory (config.json, tensors, its other files, lineage) with the
model built and the tokenizer made on first use, through the version's family. The service
(services/exports.py) does access, audit, staging and signing; formats only write and check.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core.errors import ValidationError

if TYPE_CHECKING:
    import torch
    from torch import nn

    from studio.core.models.family import ModelFamily
    from studio.core.models.tokenizer import ModelTokenizer

FORMAT_MODULES = (
    "studio.core.exports.safetensors_file",
    "studio.core.exports.hf_folder",
    "studio.core.exports.gguf_file",
    "studio.core.exports.onnx_folder",
)

Progress = Callable[[float], None]


@dataclass(frozen=True)
class ExportOptions:
    """What a user may choose; each format reads the fields it knows and refuses the others (`options`)."""

    quant: str | None = None  # gguf: f32|f16|bf16|q8_0|q4_0|...; onnx: int8 (dynamic, onnxruntime's quantizer)
    shard_size: int | None = None  # safetensors: bytes per shard
    zstd: bool = False  # safetensors
    kv_cache: bool = True  # onnx: also write the decoder with past keys/values (generation)
    check: bool = False  # run the format's runtime on the written files and compare logits with the studio's


@dataclass(frozen=True)
class ExportResult:
    path: Path  # the file or folder written (its final place once published)
    files: tuple[str, ...]  # names written (relative to the folder, or the file's own name; sidecars included)
    bytes: int  # total size on disk
    format: str
    shards: int = 1
    compressed: bool = False
    quant: str | None = None
    signed_by: str | None = None  # the signer's user name, when signed
    signature: str | None = None  # the signature file's name
    fingerprint: str | None = None  # the signing key's fingerprint
    check: dict[str, Any] | None = None  # what verify() measured
    notes: tuple[str, ...] = ()  # what the user should know (a tokenizer llama.cpp reads differently ...)


@dataclass
class ExportSource:
    """A version in memory, as the vault decrypted it. `config` is config.json as stored (any family)."""

    model_name: str
    version: int
    config: dict[str, Any]
    tensors: dict[str, torch.Tensor]
    files: dict[str, bytes] = field(default_factory=dict)  # tokenizer.json, tokenizer_config.json, ...
    metadata: dict[str, Any] = field(default_factory=dict)  # the version's metadata (compression description)
    lineage: list[dict[str, str]] = field(default_factory=list)
    kind: str = ""
    architecture: str = ""

    @cached_property
    def family(self) -> ModelFamily:
        from studio.core.models.family import family_for_config

        return family_for_config(self.config)

    @cached_property
    def model(self) -> nn.Module:
        """The runnable model (the family builds it; a quantized native GPT runs its integer layers)."""
        return self.family.build(self.config, self.tensors)

    @cached_property
    def tokenizer(self) -> ModelTokenizer | None:
        if not self.files.get("tokenizer.json"):
            return None
        return self.family.tokenizer(self.files, self.config)

    @property
    def compression(self) -> dict[str, Any] | None:
        desc = self.metadata.get("compression")
        return desc if isinstance(desc, dict) else None

    @property
    def quantized(self) -> bool:
        return any(name.endswith(".qweight") for name in self.tensors)

    def float_tensors(self) -> dict[str, torch.Tensor]:
        """The model's weights as float tensors by the model's own names (quantized layers dequantized,
        sparse-stored matrices made dense): what formats without the studio's integer layout write."""
        import torch

        model = self.model
        out: dict[str, torch.Tensor] = {}
        from studio.core.compression.runtime import QuantEmbedding, QuantLinear

        quant = {name: m for name, m in model.named_modules() if isinstance(m, QuantLinear | QuantEmbedding)}
        for name, t in model.state_dict().items():
            prefix = name.rsplit(".", 1)[0]
            if prefix in quant:
                continue
            out[name] = t
        for name, m in quant.items():
            if isinstance(m, QuantLinear) and m._tied is not None:  # a tied head reads the embedding
                continue
            out[f"{name}.weight"] = m.matrix().dequantize(torch.float32)
            if getattr(m, "bias", None) is not None:
                out[f"{name}.bias"] = m.bias.detach()
        return out

    def dequantized_model(self) -> nn.Module:
        """A float model of the version (the model itself when it is float)."""
        if not self.quantized:
            return self.model
        import torch

        from studio.core.models.gpt import GPT

        tensors = self.float_tensors()
        cfg = self.model.config
        with torch.device("meta"):
            model = GPT(cfg)
        model.load_state_dict(tensors, strict=False, assign=True)
        if cfg.tie_embeddings:
            model.lm_head.weight = model.transformer.wte.weight
        return model.eval()


class ExportFormat(ABC):
    name: str = ""
    label: str = ""  # for people: "GGUF for llama.cpp, Ollama and LM Studio"
    is_folder: bool = False  # writes a folder (hf, onnx, shards) rather than one file
    suffix: str = ""  # the file name's usual ending (".gguf"), for file dialogs
    quants: tuple[str, ...] = ()  # the --quant values it takes; () takes none

    def options(self, **given: Any) -> ExportOptions:
        """The options, checked alone: a value this format does not take is refused, naming what it takes."""
        quant = given.get("quant")
        if quant is not None:
            quant = str(quant).lower()
            if not self.quants:
                raise ValidationError(f"The {self.name} format takes no --quant.", field="quant")
            if quant not in self.quants:
                raise ValidationError(f"The {self.name} format takes --quant {', '.join(self.quants)} "
                                      f"(not {quant!r}).", field="quant")
        if (given.get("shard_size") is not None or given.get("zstd")) and self.name != "safetensors":
            raise ValidationError("Sharding and zstd apply to the safetensors format only.", field="format")
        return ExportOptions(quant=quant, shard_size=given.get("shard_size"), zstd=bool(given.get("zstd")),
                             kv_cache=bool(given.get("kv_cache", True)), check=bool(given.get("check")))

    def folder_output(self, options: ExportOptions) -> bool:
        """Whether `out` names a folder for these options."""
        return self.is_folder

    def check(self, source: ExportSource, options: ExportOptions) -> None:  # noqa: B027 - optional
        """Refuse (ValidationError, saying what to do) a version this format cannot hold, before any file
        is written and before the audited operation. The default takes every version."""

    @abstractmethod
    def write(self, source: ExportSource, out: Path, options: ExportOptions,
              progress: Progress | None = None) -> ExportResult:
        """Write the export at `out` (a path in the staged folder: nothing exists there yet). Sidecar
        files (an Ollama Modelfile) go beside `out`, in the same folder."""

    def verify(self, path: Path, source: ExportSource, options: ExportOptions) -> dict[str, Any]:
        """Read the written export back with the runtime that reads it; returns what was measured and
        raises ValidationError on a mismatch. The default reads nothing."""
        return {}

    def signed_paths(self, result: ExportResult) -> tuple[Path, Path]:
        """(what the OMS signature covers, where the signature goes). A folder: itself and model.sig inside
        it; a file: itself and FILE.sig beside it."""
        if result.path.is_dir():
            return result.path, result.path / SIGNATURE_NAME
        return result.path, result.path.with_name(result.path.name + ".sig")


SIGNATURE_NAME = "model.sig"  # OMS's default name, inside a signed folder

_loaded: list[ExportFormat] | None = None


def formats() -> list[ExportFormat]:
    global _loaded
    if _loaded is None:
        _loaded = [importlib.import_module(path).FORMAT for path in FORMAT_MODULES]
    return list(_loaded)


def format_names() -> tuple[str, ...]:
    """Names of every format, without importing their modules' heavy dependencies."""
    return tuple(path.rsplit(".", 1)[-1].split("_")[0] for path in FORMAT_MODULES)


def format_named(name: str) -> ExportFormat:
    for fmt in formats():
        if fmt.name == name:
            return fmt
    raise ValidationError(f"Unknown export format {name!r}; choose one of {', '.join(f.name for f in formats())}.",
                          field="format")


def folder_size(path: Path) -> tuple[tuple[str, ...], int]:
    """(file names relative to `path`, total bytes) of a folder, or of one file."""
    if path.is_file():
        return (path.name,), path.stat().st_size
    names = tuple(sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file()))
    return names, sum((path / n).stat().st_size for n in names)


def text_files(files: Mapping[str, bytes | str]) -> dict[str, str]:
    return {k: (v.decode("utf-8") if isinstance(v, bytes | bytearray) else str(v)) for k, v in files.items()}
