"""The Hugging Face folder export: config.json, model.safetensors, generation_config.json and the tokenizer
files, written by the version's family (`ModelFamily.export_hf`), so that transformers' AutoModelForCausalLM
and AutoTokenizer load it with the studio's logits and ids. Checked with transformers itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio.core.exports.base import (
    ExportFormat,
    ExportOptions,
    ExportResult,
    ExportSource,
    Progress,
    folder_size,
)


class HFFolderFormat(ExportFormat):
    name = "hf"
    label = "A Hugging Face folder (transformers)"
    is_folder = True

    def check(self, source: ExportSource, options: ExportOptions) -> None:
        if source.quantized:
            from studio.core.errors import ValidationError

            raise ValidationError(
                "A Hugging Face folder holds float weights; this version is quantized. Export it as safetensors "
                "or GGUF, or export the unquantized version as a Hugging Face folder.", field="format")

    def write(self, source: ExportSource, out: Path, options: ExportOptions,
              progress: Progress | None = None) -> ExportResult:
        out.mkdir()
        source.family.export_hf(source.model, out, source.tokenizer)
        if progress:
            progress(1.0)
        names, size = folder_size(out)
        return ExportResult(out, names, size, self.name)

    def verify(self, path: Path, source: ExportSource, options: ExportOptions) -> dict[str, Any]:
        """transformers loads the folder (never with remote code) and gives the studio's logits."""
        import torch
        from transformers import AutoModelForCausalLM

        from studio.core.exports.checks import compare_logits, probe_ids

        loaded = AutoModelForCausalLM.from_pretrained(path, trust_remote_code=False).eval()
        ids = probe_ids(source)
        with torch.no_grad():
            theirs = loaded(input_ids=torch.tensor([ids])).logits[0].float()
        return compare_logits(source, ids, theirs, "transformers", tolerance=1e-4)


FORMAT = HFFolderFormat()
