"""The self-contained safetensors export: one file that carries everything the version is.

The tensors are the version's as stored (quantized and sparse-stored ones included, described by the
`studio.compression` key as before), and the header metadata (a map of strings, inside the file, read by any
safetensors reader without loading a tensor) holds:

- `studio.model`: JSON {format: "studio.model", version: 1, model, source_version, kind, architecture,
  lineage: [{kind, ref, label}], files: [names]} (where it came from);
- `studio.file.<name>`: the text of each of the version's files (config.json, tokenizer.json,
  tokenizer_config.json, generation_config.json, chat_template.jinja, special_tokens_map.json).

Importing the file (vault/importers.py) unpacks those files again, so the version that comes back has the same
architecture, tensors, tokenizer and chat template: the same logits and ids. With a shard size the export is a
folder of shards with an index (the metadata goes into the index), optionally zstd-compressed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from studio.core.compression import export as writer
from studio.core.errors import ValidationError
from studio.core.exports.base import ExportFormat, ExportOptions, ExportResult, ExportSource, Progress

MODEL_KEY = "studio.model"
FILE_PREFIX = "studio.file."
MODEL_FORMAT = "studio.model"
MODEL_FORMAT_VERSION = 1
# What travels inside the file: every file a version may hold besides its weights (safetensors metadata is
# text, so binary tokenizer files such as a SentencePiece tokenizer.model stay out; tokenizer.json is enough).
CARRIED_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json",
                 "chat_template.jinja", "special_tokens_map.json", "added_tokens.json")


def self_contained_metadata(source: ExportSource) -> dict[str, str]:
    """The header entries of a self-contained export (see the module's docstring)."""
    files = {"config.json": json.dumps(source.config, indent=2, sort_keys=True)}
    for name in CARRIED_FILES:
        data = source.files.get(name)
        if data is not None and name != "config.json":
            try:
                files[name] = data.decode("utf-8") if isinstance(data, bytes | bytearray) else str(data)
            except UnicodeDecodeError:
                continue  # not text: safetensors metadata holds strings only
    about = {"format": MODEL_FORMAT, "version": MODEL_FORMAT_VERSION, "model": source.model_name,
             "source_version": source.version, "kind": source.kind, "architecture": source.architecture,
             "lineage": list(source.lineage), "files": sorted(files)}
    meta = {MODEL_KEY: json.dumps(about, sort_keys=True, separators=(",", ":"))}
    meta.update({FILE_PREFIX + name: text for name, text in files.items()})
    return meta


def read_self_contained(metadata: dict[str, str] | None) -> tuple[dict[str, Any], dict[str, bytes]] | None:
    """(what `studio.model` says, the carried files by name) of a safetensors header's metadata; None when
    the file is not a self-contained export. A newer format version is refused."""
    if not metadata or MODEL_KEY not in metadata:
        return None
    try:
        about = json.loads(metadata[MODEL_KEY])
    except ValueError as error:
        raise ValidationError(f"The file's {MODEL_KEY} entry is not valid JSON: {error}.") from None
    if not isinstance(about, dict) or about.get("format") != MODEL_FORMAT:
        raise ValidationError(f"The file's {MODEL_KEY} entry is not a Model Studio description.")
    if int(about.get("version", 0)) > MODEL_FORMAT_VERSION:
        raise ValidationError(f"This file was exported by a newer Model Studio (format {about.get('version')}); "
                              "update the studio to import it.")
    files = {k[len(FILE_PREFIX):]: v.encode("utf-8") for k, v in metadata.items() if k.startswith(FILE_PREFIX)}
    bad = sorted(n for n in files if n not in CARRIED_FILES)
    if bad:
        raise ValidationError(f"The file carries {bad[0]!r}, which is not a file a model version holds.")
    return about, files


class SafetensorsFormat(ExportFormat):
    name = "safetensors"
    label = "One self-contained .safetensors file"
    suffix = ".safetensors"

    def folder_output(self, options: ExportOptions) -> bool:
        return options.shard_size is not None

    def write(self, source: ExportSource, out: Path, options: ExportOptions,
              progress: Progress | None = None) -> ExportResult:
        description = dict(source.compression) if source.compression else None
        if description is not None:
            description.setdefault("format", "studio.compressed")
            description.setdefault("version", 1)
            description["source"] = {"model": source.model_name, "version": source.version}
        result = writer.export_safetensors(out, source.tensors, description, shard_size=options.shard_size,
                                           zstd=options.zstd, progress=progress,
                                           extra_metadata=self_contained_metadata(source))
        return ExportResult(result.path, result.files, result.bytes, self.name, result.shards, result.compressed)

    def verify(self, path: Path, source: ExportSource, options: ExportOptions) -> dict[str, Any]:
        """The file read back: the same tensors bit for bit, and the carried files."""
        import torch

        tensors, _ = writer.read_export(path)
        if set(tensors) != set(source.tensors):
            raise ValidationError("The written file does not hold the version's tensors.")
        different = [n for n, t in source.tensors.items() if not torch.equal(tensors[n], t.cpu())]
        if different:
            raise ValidationError(f"The written tensor {different[0]} differs from the version's.")
        return {"tensors": len(tensors), "identical": True}


FORMAT = SafetensorsFormat()
