"""What an import will store, decided and validated before anything is written.

Sources: one .safetensors file; a folder in Hugging Face layout (config.json, one or sharded *.safetensors
with their index, tokenizer files, generation_config.json). A PyTorch pickle (.pt/.pth/.bin) is refused by its
name without being opened, with the command that converts it to safetensors: even torch's weights-only loader
runs an unpickler over the user's bytes. Nothing else from a user's folder is read (custom *.py code is
skipped).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core.errors import StudioError, ValidationError
from studio.core.vault import safetensors_io
from studio.core.vault.safetensors_io import Layout

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

PICKLE_SUFFIXES = (".pt", ".pth", ".bin")  # PyTorch pickles: refused by name, never opened
TOKENIZER_FILES = {
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "vocab.txt",
    "merges.txt", "tokenizer.model", "spiece.model", "added_tokens.json", "sentencepiece.bpe.model",
    "chat_template.jinja", "chat_template.json",
}
NOT_WEIGHTS = {"training_args.bin", "optimizer.pt", "scheduler.pt", "rng_state.pth"}  # HF Trainer's pickles
CONFIG_FILES = {"config.json", "generation_config.json"}
MAX_CONFIG_BYTES = 16 << 20


@dataclass
class PlannedArtifact:
    name: str  # the file name it is exported as
    role: str  # weights, index, config, tokenizer, optimizer, extra
    size: int  # plaintext bytes
    source: Path | None = None  # stored as is (already validated)
    tensors: Mapping[str, torch.Tensor] | None = None  # stored as a safetensors stream
    metadata: Mapping[str, str] | None = None  # safetensors __metadata__ for `tensors`
    data: bytes | None = None  # stored as is
    layout: Layout | None = None


@dataclass
class ImportPlan:
    kind: str  # safetensors, hf, memory
    default_name: str
    artifacts: list[PlannedArtifact]
    architecture: str = ""
    parameter_count: int = 0
    dtype: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    originals: list[Path] = field(default_factory=list)  # what "remove the plaintext original" deletes
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # accepted, but worth saying (an untested model type)

    @property
    def size_bytes(self) -> int:
        return sum(a.size for a in self.artifacts)


def plan_import(path: Path) -> ImportPlan:
    path = Path(path).expanduser()
    if not path.exists():
        raise ValidationError(f"{path} does not exist.", "path")
    if path.is_dir():
        return _plan_folder(path)
    suffix = path.suffix.lower()
    if suffix == ".safetensors":
        layout = safetensors_io.validate_file(path)
        plan = ImportPlan("safetensors", path.stem, [_weights_file(path, path.name, layout)], originals=[path])
        from studio.core.exports.safetensors_file import read_self_contained

        carried = read_self_contained(layout.metadata)
        if carried is None:
            summarise(plan, [layout], None)
        else:
            _plan_self_contained(plan, path, layout, *carried)
        return plan
    if suffix in PICKLE_SUFFIXES:
        raise refuse_pickle(path)
    raise ValidationError(
        f"{path.name}: Model Studio imports .safetensors files and Hugging Face folders (with safetensors "
        "weights).", "path"
    )


def _plan_self_contained(plan: ImportPlan, path: Path, layout: Layout, about: dict[str, Any],
                         files: dict[str, bytes]) -> None:
    """A self-contained export (exports/safetensors_file.py): the config, tokenizer and chat template it
    carries become the version's files again, checked as a folder's are; where it came from goes into the
    version's metadata."""
    from studio.core.compression.storage import description_of
    from studio.core.vault.model_check import check_config, check_folder

    if "config.json" not in files:
        raise ValidationError(f"{path.name} says it is a self-contained export but carries no config.json.")
    try:
        config = json.loads(files["config.json"])
    except ValueError as error:
        raise ValidationError(f"The config.json inside {path.name} is not valid JSON: {error}.") from None
    if not isinstance(config, dict):
        raise ValidationError(f"The config.json inside {path.name} is not a JSON object.")
    _, spec = check_config(config)
    shapes = {t.name: t.shape for t in layout.tensors}
    checked = check_folder(path, config, shapes, files)
    for name, data in sorted(files.items()):
        role = "config" if name in CONFIG_FILES else "tokenizer"
        plan.artifacts.append(PlannedArtifact(name, role, len(data), data=data))
    plan.metadata.update(checked.metadata)
    plan.warnings += checked.warnings
    plan.metadata["exported_from"] = {k: about.get(k) for k in ("model", "source_version", "kind", "architecture",
                                                                 "lineage")}
    description = description_of(layout.metadata)
    if description is not None:
        plan.metadata["compression"] = description
    summarise(plan, [layout], config)
    plan.architecture = str(about.get("architecture") or spec.architecture)


def _weights_file(path: Path, name: str, layout: Layout) -> PlannedArtifact:
    return PlannedArtifact(name, "weights", path.stat().st_size, source=path, layout=layout)


def tensors_artifact(name: str, role: str, tensors: Mapping[str, torch.Tensor],
                     metadata: Mapping[str, str] | None = None) -> PlannedArtifact:
    import torch

    for key, value in tensors.items():
        if not isinstance(key, str) or not isinstance(value, torch.Tensor):
            raise ValidationError(f"{name}: every entry must be a tensor under a string name ({key!r} is not).")
    size = safetensors_io.serialized_size(tensors, metadata)
    return PlannedArtifact(name, role, size, tensors=tensors, metadata=metadata)


def json_artifact(name: str, role: str, value: Any) -> PlannedArtifact:
    data = value if isinstance(value, bytes) else (
        value.encode("utf-8") if isinstance(value, str) else json.dumps(value, indent=2, sort_keys=True).encode("utf-8"))
    return PlannedArtifact(name, role, len(data), data=data)


def _read_config(path: Path) -> dict[str, Any]:
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise ValidationError(f"{path.name} is larger than 16 MB: it is not a model config.")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ValidationError(f"{path.name} is not valid JSON: {error}.") from None
    if not isinstance(doc, dict):
        raise ValidationError(f"{path.name} is not a JSON object.")
    return doc


def _weight_shards(folder: Path, files: list[Path]) -> list[Path]:
    """The safetensors files that hold the model: those its index names, else model.safetensors, else every
    .safetensors file. Others beside them (a checkpoint's training-state.safetensors, an adapter) are not
    weights of this model and are skipped."""
    index_path = folder / "model.safetensors.index.json"
    candidates = [p for p in files if p.suffix == ".safetensors"]
    if index_path.is_file():
        weight_map = _read_config(index_path).get("weight_map")
        if not isinstance(weight_map, dict):
            raise ValidationError(f"{index_path.name} has no weight_map.")
        named = {str(v) for v in weight_map.values()}
        bad = sorted(n for n in named if Path(n).name != n or n in (".", ".."))
        if bad:
            raise ValidationError(f"{index_path.name} names a file outside the folder: {bad[0]!r}.")
        absent = sorted(n for n in named if not (folder / n).is_file())
        if absent:
            raise ValidationError(f"{index_path.name} names {absent[0]}, which is not in the folder.")
        return [p for p in candidates if p.name in named]
    if (folder / "model.safetensors").is_file():
        return [folder / "model.safetensors"]
    return candidates


def _plan_folder(folder: Path) -> ImportPlan:
    from studio.core.vault.model_check import check_config, check_folder

    config_path = folder / "config.json"
    if not config_path.is_file():
        raise ValidationError(f"{folder} has no config.json: it is not a Hugging Face model folder.", "path")
    config = _read_config(config_path)
    check_config(config)  # remote code, an unknown kind of model: refused before any weight is read
    plan = ImportPlan("hf", folder.name, [], originals=[])
    files = sorted(p for p in folder.iterdir() if p.is_file())
    shards = _weight_shards(folder, files)
    pickles = [p for p in files if p.suffix in PICKLE_SUFFIXES and p.name not in TOKENIZER_FILES | NOT_WEIGHTS]
    layouts = []
    tensors: dict[str, Any] | None = None
    if shards:
        for shard in shards:
            layout = safetensors_io.validate_file(shard)
            layouts.append(layout)
            plan.artifacts.append(_weights_file(shard, shard.name, layout))
        _check_shards(folder, shards, layouts, plan)
        shapes = {t.name: t.shape for layout in layouts for t in layout.tensors}
    elif pickles:  # weights only as pickles: refused unread (a folder with safetensors skips its pickles)
        raise refuse_pickle(sorted(pickles)[0])
    else:
        raise ValidationError(f"{folder} holds no weights (*.safetensors).", "path")
    used = set(shards) | {folder / "model.safetensors.index.json"}
    kept: dict[str, Path] = {}
    for path in files:
        if path in used:
            continue
        if path.name in CONFIG_FILES:
            if path.name != "config.json":
                _read_config(path)
            plan.artifacts.append(PlannedArtifact(path.name, "config", path.stat().st_size, source=path))
            kept[path.name] = path
        elif path.name in TOKENIZER_FILES:
            plan.artifacts.append(PlannedArtifact(path.name, "tokenizer", path.stat().st_size, source=path))
            kept[path.name] = path
        else:
            plan.skipped.append(path.name)
    checked = check_folder(folder, config, shapes, kept)
    plan.metadata.update(checked.metadata)
    plan.warnings += checked.warnings
    plan.originals += [a.source for a in plan.artifacts if a.source is not None]
    summarise(plan, layouts, config, tensors)
    return plan


def _check_shards(folder: Path, shards: list[Path], layouts: list[Layout], plan: ImportPlan) -> None:
    seen: dict[str, str] = {}
    for shard, layout in zip(shards, layouts, strict=True):
        for t in layout.tensors:
            if t.name in seen:
                raise ValidationError(f"The tensor {t.name!r} is in both {seen[t.name]} and {shard.name}.")
            seen[t.name] = shard.name
    index_path = folder / "model.safetensors.index.json"
    if not index_path.is_file():
        if len(shards) > 1:
            log.info("import of %s: %d shards without an index", folder.name, len(shards))
        return
    index = _read_config(index_path)
    weight_map = index.get("weight_map")
    if not isinstance(weight_map, dict):
        raise ValidationError(f"{index_path.name} has no weight_map.")
    if set(weight_map) != set(seen):
        missing = sorted(set(weight_map) - set(seen))[:3]
        extra = sorted(set(seen) - set(weight_map))[:3]
        raise ValidationError(f"{index_path.name} does not match the shards (missing: {missing}, not indexed: {extra}).")
    wrong = [k for k, v in weight_map.items() if seen[k] != v]
    if wrong:
        raise ValidationError(f"{index_path.name} puts {wrong[0]!r} in {weight_map[wrong[0]]}, but it is in {seen[wrong[0]]}.")
    plan.artifacts.append(PlannedArtifact(index_path.name, "index", index_path.stat().st_size, source=index_path))


def summarise(plan: ImportPlan, layouts: list[Layout], config: dict[str, Any] | None,
               tensors: Mapping[str, Any] | None = None) -> None:
    if tensors is not None:
        plan.parameter_count = sum(int(t.numel()) for t in tensors.values())
        by_bytes: dict[str, int] = {}
        for t in tensors.values():
            name = str(t.dtype).removeprefix("torch.")
            by_bytes[name] = by_bytes.get(name, 0) + t.numel() * t.element_size()
        plan.dtype = max(by_bytes, key=lambda k: (by_bytes[k], k)) if by_bytes else ""
    else:
        plan.parameter_count = sum(layout.parameter_count for layout in layouts)
        merged: dict[str, int] = {}
        for layout in layouts:
            for t in layout.tensors:
                merged[t.dtype] = merged.get(t.dtype, 0) + t.end - t.begin
        plan.dtype = safetensors_io.DTYPE_NAMES[max(merged, key=lambda k: (merged[k], k))] if merged else ""
    counted = _gpt_parameters(config)
    if counted is not None:
        plan.parameter_count = counted
    if config:
        archs = config.get("architectures")
        plan.architecture = (str(archs[0]) if isinstance(archs, list) and archs else str(config.get("model_type", ""))
                             ) or _described_architecture(config)
        summary = {k: config[k] for k in ("model_type", "hidden_size", "num_hidden_layers", "num_attention_heads",
                                          "vocab_size", "torch_dtype", "n_layer", "n_head", "n_embd", "block_size")
                   if k in config and isinstance(config[k], str | int | float)}
        if summary:
            plan.metadata["config"] = summary
    elif layouts and layouts[0].metadata.get("architecture"):
        plan.architecture = layouts[0].metadata["architecture"]


def _described_architecture(config: dict[str, Any]) -> str:
    """The family's notation for a config that names no architecture (the studio's own GPT: "GPT 4L/128d"), as
    the runs and the compressor label their versions; "" when no family describes it."""
    from studio.core.models.family import describe

    try:
        return describe(config).architecture
    except (StudioError, KeyError, TypeError, ValueError):
        return ""


def _gpt_parameters(config: Mapping[str, Any] | None) -> int | None:
    """The parameters of a native GPT version, from its config (per-layer widths after pruning included).
    Counting stored tensors is wrong for compressed versions: their quantization scales and sparse masks
    are not parameters (the Vault said 823,236 where the compression report said 818,432 for one int8
    version), so both count what the float model holds. None for other configs (imports of other models)."""
    if not config:
        return None
    from studio.core.models.config import GPTConfig, parameter_count

    try:
        return parameter_count(GPTConfig.from_dict(dict(config)))
    except (ValidationError, TypeError, ValueError, KeyError):
        return None


def refuse_pickle(path: Path) -> ValidationError:
    """The refusal of a PyTorch pickle (.bin/.pt/.pth), decided by its name: the file is never opened. Even
    torch.load(weights_only=True) runs an unpickler over the user's bytes (a restricted one, but a parser of
    a format made to run code); safetensors is a plain header and raw bytes, so it is the only way in."""
    name = path.name
    target = f"{path.stem}.safetensors" if path.stem != "pytorch_model" else "model.safetensors"
    return ValidationError(
        f"{name} is a PyTorch pickle file, and the studio never unpickles a file it is given: it imports "
        "safetensors only. Convert it once, offline, with a Python and torch you trust, then import the "
        f"result: python -c \"import torch; from safetensors.torch import save_file; "
        f"save_file(torch.load('{name}'), '{target}')\" (a Hugging Face folder: "
        "AutoModelForCausalLM.from_pretrained(folder).save_pretrained(folder) writes model.safetensors).", "path")
