"""Hugging Face GPT-2 folders (config.json + model.safetensors, or a sharded model.safetensors.index.json):
import to our GPT, export from it. safetensors only; nothing is ever unpickled.

Names are the same on both sides; HF keeps the four projection weights in Conv1D layout (in, out), the
transpose of nn.Linear's (out, in), so they are transposed here and nowhere else. Checkpoints saved from
GPT2Model (the original `gpt2` files) have no `transformer.` prefix and no lm_head; older ones also carry the
causal-mask buffers `h.N.attn.bias` / `h.N.attn.masked_bias`, which are not weights and are skipped.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from studio.core.errors import ValidationError
from studio.core.fsutil import atomic_writer, fsync_dir
from studio.core.models.config import GPTConfig
from studio.core.models.gpt import GPT, build_model, model_tensors

_CONV1D = re.compile(r"^transformer\.h\.\d+\.(attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.weight$")
_MASK_BUFFER = re.compile(r"^transformer\.h\.\d+\.attn\.(bias|masked_bias)$")
_ACT_FROM_HF = {"gelu_new": "gelu_tanh", "gelu_pytorch_tanh": "gelu_tanh", "gelu_fast": "gelu_tanh", "gelu": "gelu"}
_ACT_TO_HF = {"gelu_tanh": "gelu_new", "gelu": "gelu"}


def config_from_hf(hf: dict[str, Any]) -> GPTConfig:
    if hf.get("model_type", "gpt2") != "gpt2":
        raise ValidationError(f"This is a {hf.get('model_type')!r} model; only GPT-2 family folders can be imported.")
    for key in ("scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn"):
        if hf.get(key):
            raise ValidationError(f"GPT-2 option {key} is not supported.")
    if hf.get("scale_attn_weights") is False:
        raise ValidationError("GPT-2 option scale_attn_weights=false is not supported.")
    act = hf.get("activation_function", "gelu_new")
    if act not in _ACT_FROM_HF:
        raise ValidationError(f"Activation {act!r} is not supported (use gelu_new or gelu).")
    try:
        return GPTConfig(
            vocab_size=int(hf["vocab_size"]),
            block_size=int(hf.get("n_positions", hf.get("n_ctx", 1024))),
            n_layer=int(hf["n_layer"]),
            n_head=int(hf["n_head"]),
            n_embd=int(hf["n_embd"]),
            dropout=float(hf.get("resid_pdrop", 0.0)),
            bias=True,
            tie_embeddings=bool(hf.get("tie_word_embeddings", True)),
            layer_norm_eps=float(hf.get("layer_norm_epsilon", 1e-5)),
            activation=_ACT_FROM_HF[act],
            n_inner=int(hf["n_inner"]) if hf.get("n_inner") is not None else None,
        ).validate()
    except KeyError as exc:
        raise ValidationError(f"config.json lacks {exc.args[0]!r}.") from exc


def config_to_hf(config: GPTConfig, eos_id: int | None = None) -> dict[str, Any]:
    if not config.is_uniform:
        raise ValidationError(
            "This model's layers have different head counts or MLP widths (it was pruned); the GPT-2 layout "
            "cannot describe that. Keep it in the studio's own format."
        )
    out: dict[str, Any] = {
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "vocab_size": config.vocab_size,
        "n_positions": config.block_size,
        "n_ctx": config.block_size,
        "n_embd": config.n_embd,
        "n_layer": config.n_layer,
        "n_head": config.n_head,
        "n_inner": config.n_inner,
        "activation_function": _ACT_TO_HF[config.activation],
        "resid_pdrop": config.dropout,
        "embd_pdrop": config.dropout,
        "attn_pdrop": config.dropout,
        "layer_norm_epsilon": config.layer_norm_eps,
        "initializer_range": 0.02,
        "scale_attn_weights": True,
        "tie_word_embeddings": config.tie_embeddings,
        "torch_dtype": "float32",
    }
    if eos_id is not None:
        out["bos_token_id"] = out["eos_token_id"] = int(eos_id)
    return out


def _read_tensors(folder: Path) -> dict[str, torch.Tensor]:
    single, index = folder / "model.safetensors", folder / "model.safetensors.index.json"
    if single.is_file():
        return load_file(single)
    if index.is_file():
        weight_map = json.loads(index.read_text(encoding="utf-8")).get("weight_map", {})
        tensors: dict[str, torch.Tensor] = {}
        for shard in sorted(set(weight_map.values())):
            if Path(shard).name != shard:
                raise ValidationError(f"The shard index names a file outside the folder: {shard!r}.")
            tensors.update(load_file(folder / shard))
        return tensors
    if any(folder.glob("*.bin")) or any(folder.glob("*.pt")):
        raise ValidationError(
            f"{folder} holds only pickle weights (.bin/.pt), which the studio never loads. Convert them to "
            "safetensors first (e.g. save_pretrained(..., safe_serialization=True) in transformers)."
        )
    raise ValidationError(f"{folder} has no model.safetensors or model.safetensors.index.json.")


def hf_name(name: str) -> str | None:
    """A GPT-2 checkpoint's tensor name as ours (None for the causal-mask buffers, which are not weights)."""
    if not name.startswith(("transformer.", "lm_head.")):
        name = "transformer." + name
    return None if _MASK_BUFFER.match(name) else name


def is_conv1d(name: str) -> bool:
    """Whether a (prefixed) GPT-2 weight is stored in Conv1D layout (in, out)."""
    return bool(_CONV1D.match(name))


def tensors_from_hf(hf_tensors: dict[str, torch.Tensor], config: GPTConfig, *, copy: bool = True) -> dict[str, torch.Tensor]:
    """HF names/layouts -> ours: add the `transformer.` prefix where missing, transpose Conv1D weights,
    drop mask buffers, drop lm_head.weight when tied (and check it is indeed the embedding). With
    copy=False the transposed weights stay views and the dtype stays as stored (a load into memory that
    must not double the weights: nn.Linear runs on the transposed view as it is)."""
    out: dict[str, torch.Tensor] = {}
    for hf, t in hf_tensors.items():
        name = hf_name(hf)
        if name is None:
            continue
        if _CONV1D.match(name):
            t = t.t().contiguous() if copy else t.t()
        out[name] = t
    head = out.pop("lm_head.weight", None)
    if config.tie_embeddings:
        if head is not None and not torch.equal(head, out.get("transformer.wte.weight", head)):
            raise ValidationError("config.json says the embeddings are tied, but lm_head differs from wte.")
    else:
        if head is None:
            raise ValidationError("config.json says the embeddings are not tied, but there is no lm_head.weight.")
        out["lm_head.weight"] = head
    if not copy:
        return out
    return {k: v.float() if v.is_floating_point() else v for k, v in out.items()}


def import_hf(folder: str | Path) -> GPT:
    """Load a Hugging Face GPT-2 folder as our GPT (float32, eval mode)."""
    folder = Path(folder)
    cfg_file = folder / "config.json"
    if not cfg_file.is_file():
        raise ValidationError(f"{folder} has no config.json; is it a Hugging Face model folder?")
    try:
        hf = json.loads(cfg_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"Cannot read {cfg_file}: {exc}.") from exc
    config = config_from_hf(hf)
    model = build_model(config, tensors_from_hf(_read_tensors(folder), config))
    return model.eval()


def export_hf(model: GPT, folder: str | Path, eos_id: int | None = None) -> None:
    """Write `model` as a Hugging Face GPT-2 folder that `GPT2LMHeadModel.from_pretrained` loads.
    GPT-2 always has biases, so a bias-free model is written with zero biases (the same function)."""
    folder = Path(folder)
    config = model.config
    hf_config = config_to_hf(config, eos_id)
    tensors: dict[str, torch.Tensor] = {}
    for name, t in model_tensors(model).items():
        t = t.detach().to("cpu", torch.float32)
        tensors[name] = t.t().contiguous() if _CONV1D.match(name) else t.contiguous()
    if not config.bias:
        for name in list(tensors):
            if name.endswith(".weight") and not name.endswith(("wte.weight", "wpe.weight", "lm_head.weight")):
                tensors[name[: -len("weight")] + "bias"] = torch.zeros(
                    tensors[name].shape[1] if _CONV1D.match(name) else tensors[name].shape[0])
    if config.tie_embeddings:
        tensors.pop("lm_head.weight", None)
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_writer(folder / "config.json") as fh:
        fh.write(json.dumps(hf_config, indent=2).encode())
    # safetensors writes a path, not a file object: write a temp file, fsync it, rename it over.
    tmp = folder / ".model.safetensors.tmp"
    try:
        save_file(tensors, str(tmp), metadata={"format": "pt"})
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, folder / "model.safetensors")
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(folder)
