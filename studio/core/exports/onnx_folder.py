"""ONNX for ONNX Runtime, through torch's exporter, for every family.

    studio export stories onnx-dir --format onnx [--quant int8] [--no-kv-cache]

The folder holds
- `model.onnx`: input_ids (batch, sequence; int64) -> logits (batch, sequence, vocab), the whole sequence;
- `decoder_with_past.onnx` (unless --no-kv-cache): input_ids (batch, new), past_keys and past_values (layers,
  batch, kv heads, past, head dim) -> logits, present_keys, present_values: a generation step that reuses the
  keys and values of the positions before. Exporters fix a dimension traced at size 0, so the past always
  has at least one position: position 0 is a pad that every query ignores. Start with a past of length 1
  (zeros) for the prompt, then feed present_keys/present_values back with each new token. The past keeps every
  position, also for a model with a sliding window (the window is in the graph's masks);
- `config.json`, `generation_config.json` and the tokenizer files (the family's Hugging Face files), and
  `onnx_export.json` saying which input and output is which.

The check runs both files in ONNX Runtime and compares their logits with the studio's (1e-4).

--quant int8: the weights of both files quantized by onnxruntime's dynamic quantizer (MatMul weights int8, per
channel); logits then differ from the float model's by what int8 costs, so the check only reports them.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

from studio.core.errors import ValidationError
from studio.core.exports.base import (
    ExportFormat,
    ExportOptions,
    ExportResult,
    ExportSource,
    Progress,
    folder_size,
)

MODEL_FILE = "model.onnx"
DECODER_FILE = "decoder_with_past.onnx"
INFO_FILE = "onnx_export.json"
OPSET = 18


def _torch_modules() -> Any:
    import torch
    from torch import nn

    class FullSequence(nn.Module):
        def __init__(self, family: Any, model: nn.Module):
            super().__init__()
            self.family, self.model = family, model

        def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
            if self.family.name == "gpt":
                return self.family.forward(self.model, input_ids)[0]
            # An explicit all-ones mask: without one, transformers looks for packed sequences in the position
            # ids (aten::diff), which the TorchScript exporter cannot write.
            mask = torch.ones_like(input_ids)
            return self.model(input_ids=input_ids, attention_mask=mask, use_cache=False).logits

    class GPTStep(nn.Module):
        """The native GPT's step with its past keys/values as tensors (the studio's KVCache writes into
        preallocated buffers, which an ONNX graph cannot hold between calls). Past position 0 is a pad that
        every query masks out, so a prompt can be the first call (past of length 1, zeros)."""

        def __init__(self, model: nn.Module):
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, past_keys: torch.Tensor, past_values: torch.Tensor):
            from torch.nn import functional as F

            m, cfg = self.model, self.model.config
            t = input_ids.shape[1]
            past = past_keys.shape[3]
            pos = torch.arange(past - 1, past - 1 + t, device=input_ids.device)
            x = m.transformer.wte(input_ids) + m.transformer.wpe(pos)
            keys, values = [], []
            allowed = torch.ones(t, past + t, dtype=torch.bool).tril(diagonal=past)
            allowed[:, 0] = False  # the pad position
            for i, block in enumerate(m.transformer.h):
                attn = block.attn
                width = attn.n_head * attn.head_dim
                q, k, v = attn.c_attn(block.ln_1(x)).split(width, dim=2)
                q, k, v = (z.view(z.shape[0], t, attn.n_head, attn.head_dim).transpose(1, 2) for z in (q, k, v))
                k = torch.cat([past_keys[i], k], dim=2)
                v = torch.cat([past_values[i], v], dim=2)
                keys.append(k)
                values.append(v)
                y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
                y = y.transpose(1, 2).reshape(y.shape[0], t, width)
                x = x + attn.c_proj(y)
                x = x + block.mlp(block.ln_2(x))
            logits = m.lm_head(m.transformer.ln_f(x))
            del cfg
            return logits, torch.stack(keys), torch.stack(values)

    class HFStep(nn.Module):
        """A transformers model's step with its past keys/values as tensors, through a DynamicCache built
        from them (the same pad convention as GPTStep: past position 0 is masked out)."""

        def __init__(self, model: nn.Module):
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, past_keys: torch.Tensor, past_values: torch.Tensor):
            from transformers import DynamicCache

            # Full layers for every layer, even where the model slides a window: a sliding-window layer would
            # drop the oldest positions (and with them the pad), and the graph's past would no longer count
            # positions. The model's masks still apply the window; the cache the caller holds keeps everything.
            cache = DynamicCache()
            for i in range(past_keys.shape[0]):
                cache.update(past_keys[i], past_values[i], i)
            past = past_keys.shape[3]
            t = input_ids.shape[1]
            mask = torch.ones(input_ids.shape[0], past + t, dtype=torch.long)
            mask[:, 0] = 0
            positions = torch.arange(past - 1, past - 1 + t).unsqueeze(0).expand(input_ids.shape[0], t)
            out = self.model(input_ids=input_ids, attention_mask=mask, position_ids=positions,
                             past_key_values=cache, use_cache=True)
            layers = out.past_key_values.layers
            return (out.logits, torch.stack([layer.keys for layer in layers]),
                    torch.stack([layer.values for layer in layers]))

    return FullSequence, GPTStep, HFStep


def _past_shape(source: ExportSource) -> tuple[int, int, int]:
    """(layers, kv heads, head dim) of the version's cache."""
    model = source.model
    if source.family.name == "gpt":
        cfg = model.config
        return cfg.n_layer, cfg.n_head, cfg.head_dim
    cfg = model.config
    heads = cfg.num_attention_heads
    kv = getattr(cfg, "num_key_value_heads", None) or heads
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // heads
    return cfg.num_hidden_layers, kv, head_dim


def _export(module: Any, args: tuple, path: Path, names: tuple[list[str], list[str]],
            axes: dict[str, dict[int, str]]) -> None:
    """torch's TorchScript exporter, with `axes` (the dynamic dimensions by input/output name). It traces a
    tiny model in a few seconds; torch.export (dynamo) took 30-60 s per file for the same models on two cores,
    and gave the same logits."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module.eval(), args, str(path), dynamo=False, input_names=names[0],
                          output_names=names[1], dynamic_axes=axes, opset_version=OPSET)


class ONNXFormat(ExportFormat):
    name = "onnx"
    label = "ONNX for ONNX Runtime"
    is_folder = True
    quants = ("int8",)

    def check(self, source: ExportSource, options: ExportOptions) -> None:
        if source.quantized:
            raise ValidationError("ONNX export writes float models; this version is quantized by the studio. "
                                  "Export the float version with --quant int8 to have ONNX Runtime quantize it.",
                                  field="format")

    def write(self, source: ExportSource, out: Path, options: ExportOptions,
              progress: Progress | None = None) -> ExportResult:
        import torch

        full, gpt_step, hf_step = _torch_modules()
        out.mkdir()
        model, family = source.model, source.family
        model = model.float() if any(p.dtype != torch.float32 for p in model.parameters()) else model
        ids = torch.zeros(1, 3, dtype=torch.long)
        _export(full(family, model), (ids,), out / MODEL_FILE, (["input_ids"], ["logits"]),
                {"input_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}})
        files = [MODEL_FILE]
        if progress:
            progress(0.5)
        layers, kv_heads, head_dim = _past_shape(source)
        if options.kv_cache:
            step = gpt_step(model) if family.name == "gpt" else hf_step(model)
            cache = torch.zeros(layers, 1, kv_heads, 2, head_dim)
            past = {1: "batch", 3: "past"}
            present = {1: "batch", 3: "total"}
            axes = {"input_ids": {0: "batch", 1: "new"}, "past_keys": past, "past_values": past,
                    "logits": {0: "batch", 1: "new"}, "present_keys": present, "present_values": present}
            _export(step, (torch.zeros(1, 2, dtype=torch.long), cache, cache.clone()), out / DECODER_FILE,
                    (["input_ids", "past_keys", "past_values"], ["logits", "present_keys", "present_values"]), axes,
                    )
            files.append(DECODER_FILE)
        if options.quant == "int8":
            from onnxruntime.quantization import QuantType, quantize_dynamic

            for name in files:
                tmp = out / f".{name}.float"
                (out / name).rename(tmp)
                quantize_dynamic(str(tmp), str(out / name), weight_type=QuantType.QInt8, per_channel=True)
                tmp.unlink()
                for data in out.glob(f".{name}.float*"):
                    data.unlink()
        if source.tokenizer is not None:
            from studio.core.models.tokenizer import write_tokenizer_files

            write_tokenizer_files(out, source.tokenizer, source.config)
        (out / "config.json").write_text(json.dumps(source.config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        info = {"model": MODEL_FILE, "decoder": DECODER_FILE if options.kv_cache else None,
                "inputs": {"input_ids": "int64 (batch, sequence)",
                           "past_keys": f"float32 ({layers}, batch, {kv_heads}, past, {head_dim})",
                           "past_values": f"float32 ({layers}, batch, {kv_heads}, past, {head_dim})"},
                "outputs": {"logits": "float32 (batch, sequence, vocab)",
                            "present_keys": "past_keys with the new positions appended", "present_values": "same"},
                "past_convention": "past position 0 is a pad every query ignores: start with a past of length 1 "
                                   "(zeros), then feed back present_keys/present_values",
                "quant": options.quant, "opset": OPSET}
        (out / INFO_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        names, size = folder_size(out)
        return ExportResult(out, names, size, self.name, quant=options.quant)

    def verify(self, path: Path, source: ExportSource, options: ExportOptions) -> dict[str, Any]:
        """ONNX Runtime runs both files: model.onnx's logits against the studio's, and a prompt then one more
        token through the decoder against the same (1e-4; int8 is reported, not held to it)."""
        import numpy as np
        import onnx
        import onnxruntime as ort
        import torch

        from studio.core.exports.checks import compare_logits, probe_ids

        onnx.checker.check_model(str(path / MODEL_FILE))
        options_ = ort.SessionOptions()
        options_.log_severity_level = 3
        session = ort.InferenceSession(str(path / MODEL_FILE), options_, providers=["CPUExecutionProvider"])
        ids = probe_ids(source)
        logits = session.run(["logits"], {"input_ids": np.array([ids], dtype=np.int64)})[0][0]
        tolerance = 1e-4 if options.quant is None else float("inf")
        report = {"model": compare_logits(source, ids, logits, "onnxruntime", tolerance)}
        if (path / DECODER_FILE).exists():
            layers, kv_heads, head_dim = _past_shape(source)
            decoder = ort.InferenceSession(str(path / DECODER_FILE), options_, providers=["CPUExecutionProvider"])
            empty = np.zeros((layers, 1, kv_heads, 1, head_dim), dtype=np.float32)
            first, keys, values = decoder.run(None, {"input_ids": np.array([ids[:-1]], dtype=np.int64),
                                                     "past_keys": empty, "past_values": empty})
            last, _, _ = decoder.run(None, {"input_ids": np.array([ids[-1:]], dtype=np.int64), "past_keys": keys,
                                            "past_values": values})
            stepped = np.concatenate([first[0], last[0]], axis=0)
            report["decoder"] = compare_logits(source, ids, torch.from_numpy(stepped), "onnxruntime (KV cache)",
                                               tolerance)
        return report


FORMAT = ONNXFormat()
