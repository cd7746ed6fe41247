"""What each family's network is in llama.cpp's terms: the GGUF architecture, its hyperparameter keys and its
tensors (names from the `gguf` package's own name map, `gguf.get_tensor_name_map`, which is what llama.cpp's
converter uses, plus the few rewrites llama.cpp expects).

| model                      | GGUF arch | rewrites                                                              |
|----------------------------|-----------|-----------------------------------------------------------------------|
| native GPT                 | gpt2      | none (nn.Linear is already (out, in)); a bias-free model gets zeros   |
| llama, mistral             | llama     | q/k rows permuted from rotate-half to llama.cpp's interleaved RoPE;   |
|                            |           | Llama 3 RoPE scaling as the rope_freqs tensor                         |
| qwen2, qwen3               | qwen2/3   | none (llama.cpp runs them with NeoX-style RoPE, as transformers)      |
| phi3                       | phi3      | none (qkv and gate/up are fused in both)                              |
| gemma2, gemma3_text        | gemma2/3  | RMSNorm weights + 1 (Gemma's norm multiplies by 1 + w)                |

A tied output head is not written (llama.cpp reads the token embedding, as the model does). Anything else is
refused with the reason, before a byte is written.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from studio.core.errors import ValidationError


@dataclass
class ArchPlan:
    arch: str  # gguf.MODEL_ARCH_NAMES value: "gpt2", "llama", ...
    hparams: dict[str, Any]  # GGUFWriter method name (without add_) -> value
    tensors: list[tuple[str, Any]]  # (GGUF name, torch tensor) in writing order
    notes: list[str] = field(default_factory=list)
    vocab_size: int = 0


def _map(arch_name: str, blocks: int) -> Any:
    import gguf

    arch = next(a for a, n in gguf.MODEL_ARCH_NAMES.items() if n == arch_name)
    return gguf.get_tensor_name_map(arch, blocks)


def _named(arch: str, blocks: int, items: Iterator[tuple[str, Any]]) -> list[tuple[str, Any]]:
    names = _map(arch, blocks)
    out = []
    for name, t in items:
        new = names.get_name(name, try_suffixes=(".weight", ".bias"))
        if new is None:
            raise ValidationError(f"The tensor {name} has no place in llama.cpp's {arch} architecture; this model "
                                  "cannot be written as GGUF.", field="format")
        out.append((new, t))
    return out


def plan_for(model: Any) -> ArchPlan:
    """The GGUF plan of a built model (native GPT or transformers), or ValidationError saying why not."""
    from studio.core.models.gpt import GPT

    if isinstance(model, GPT):
        return _native_gpt(model)
    model_type = getattr(getattr(model, "config", None), "model_type", None)
    planner = _PLANNERS.get(model_type)
    if planner is None:
        supported = ", ".join(sorted(_PLANNERS))
        raise ValidationError(f"GGUF export supports the studio's GPT and {supported} models; this is a "
                              f"{model_type!r} model. Export it as safetensors, a Hugging Face folder or ONNX.",
                              field="format")
    return planner(model)


# --- the native GPT -------------------------------------------------------------------------------------------


def _native_gpt(model: Any) -> ArchPlan:
    import torch

    cfg = model.config
    if not cfg.is_uniform:
        raise ValidationError("A structurally pruned model (layers of different widths) cannot be written as "
                              "llama.cpp's gpt2, which has one width for every layer.", field="format")
    if cfg.activation != "gelu_tanh":
        raise ValidationError("llama.cpp's gpt2 uses the tanh GELU; this model uses the exact one, so its GGUF "
                              "would compute something else.", field="format")
    sd = model.state_dict()
    widths = {"ln_1": cfg.n_embd, "attn.c_attn": 3 * cfg.n_embd, "attn.c_proj": cfg.n_embd, "ln_2": cfg.n_embd,
              "mlp.c_fc": cfg.mlp_width, "mlp.c_proj": cfg.n_embd}

    def items() -> Iterator[tuple[str, Any]]:
        yield "transformer.wte.weight", sd["transformer.wte.weight"]
        yield "transformer.wpe.weight", sd["transformer.wpe.weight"]
        for i in range(cfg.n_layer):
            for part, width in widths.items():
                prefix = f"transformer.h.{i}.{part}"
                yield f"{prefix}.weight", sd[f"{prefix}.weight"]
                # llama.cpp's gpt2 has every bias; a bias-free model's are zeros (the same sums)
                yield f"{prefix}.bias", sd.get(f"{prefix}.bias", torch.zeros(width))
        yield "transformer.ln_f.weight", sd["transformer.ln_f.weight"]
        yield "transformer.ln_f.bias", sd.get("transformer.ln_f.bias", torch.zeros(cfg.n_embd))
        if not cfg.tie_embeddings:
            yield "lm_head.weight", sd["lm_head.weight"]

    hparams = {"context_length": cfg.block_size, "embedding_length": cfg.n_embd, "feed_forward_length": cfg.mlp_width,
               "block_count": cfg.n_layer, "head_count": cfg.n_head, "layer_norm_eps": cfg.layer_norm_eps}
    return ArchPlan("gpt2", hparams, _named("gpt2", cfg.n_layer, items()), vocab_size=cfg.vocab_size)


# --- transformers families --------------------------------------------------------------------------------------


def _rope(cfg: Any) -> dict[str, Any]:
    params = getattr(cfg, "rope_parameters", None) or getattr(cfg, "rope_scaling", None) or {}
    if "full_attention" in params and isinstance(params["full_attention"], dict):
        params = params["full_attention"]
    theta = params.get("rope_theta", getattr(cfg, "rope_theta", 10000.0))
    return {**params, "rope_theta": float(theta)}


def _head_dim(cfg: Any) -> int:
    return int(getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads)


def _common(model: Any) -> dict[str, Any]:
    cfg = model.config
    heads = cfg.num_attention_heads
    hp = {"context_length": int(cfg.max_position_embeddings), "embedding_length": int(cfg.hidden_size),
          "feed_forward_length": int(cfg.intermediate_size), "block_count": int(cfg.num_hidden_layers),
          "head_count": int(heads), "head_count_kv": int(getattr(cfg, "num_key_value_heads", None) or heads),
          "layer_norm_rms_eps": float(cfg.rms_norm_eps), "rope_freq_base": _rope(cfg)["rope_theta"],
          "vocab_size": int(model.get_output_embeddings().weight.shape[0])}
    head_dim = _head_dim(cfg)
    if head_dim != cfg.hidden_size // heads:
        hp["key_length"] = head_dim
        hp["value_length"] = head_dim
    return hp


def _family_tensors(model: Any) -> dict[str, Any]:
    from studio.core.models.family import family_of

    return family_of(model).tensors(model)


def _check_rope(model: Any, allowed: tuple[str, ...] = ("default",)) -> dict[str, Any]:
    rope = _rope(model.config)
    kind = rope.get("rope_type", "default") or "default"
    if kind not in allowed:
        raise ValidationError(f"This model's RoPE scaling ({kind!r}) is not one the studio writes into GGUF yet.",
                              field="format")
    return rope


def _permute(w: Any, heads: int) -> Any:
    """Rotate-half RoPE rows (transformers' Llama) as llama.cpp's pairwise layout: within each head, rows
    [0..d/2) and [d/2..d) interleave."""
    return w.reshape(heads, 2, w.shape[0] // heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def _llama3_factors(rope: dict[str, Any], head_dim: int) -> Any:
    """Llama 3's per-frequency RoPE scaling, as the factors llama.cpp reads from rope_freqs.weight."""
    import torch

    base, factor = rope["rope_theta"], float(rope["factor"])
    low, high = float(rope["low_freq_factor"]), float(rope["high_freq_factor"])
    old = float(rope["original_max_position_embeddings"])
    freqs = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    low_wavelen, high_wavelen = old / low, old / high
    out = []
    for f in freqs.tolist():
        wavelen = 2 * math.pi / f
        if wavelen < high_wavelen:
            out.append(1.0)
        elif wavelen > low_wavelen:
            out.append(factor)
        else:
            smooth = (old / wavelen - low) / (high - low)
            out.append(1.0 / ((1 - smooth) / factor + smooth))
    return torch.tensor(out, dtype=torch.float32)


def _llama(model: Any) -> ArchPlan:
    cfg = model.config
    rope = _check_rope(model, ("default", "llama3"))
    hp = _common(model)
    head_dim = _head_dim(cfg)
    hp["rope_dimension_count"] = head_dim
    heads, kv = hp["head_count"], hp["head_count_kv"]
    notes = []
    window = getattr(cfg, "sliding_window", None)
    if window and window < hp["context_length"]:
        notes.append(f"llama.cpp's llama architecture attends over the whole context; this model's sliding window "
                     f"of {window} tokens is not kept, so outputs agree up to {window} tokens.")

    def items() -> Iterator[tuple[str, Any]]:
        for name, t in _family_tensors(model).items():
            if name.endswith("self_attn.q_proj.weight"):
                t = _permute(t, heads)
            elif name.endswith("self_attn.k_proj.weight"):
                t = _permute(t, kv)
            yield name, t

    tensors = _named("llama", hp["block_count"], items())
    if rope.get("rope_type") == "llama3":
        tensors.insert(0, ("rope_freqs.weight", _llama3_factors(rope, head_dim)))
    return ArchPlan("llama", hp, tensors, notes, vocab_size=hp["vocab_size"])


def _plain(arch: str) -> Any:
    def plan(model: Any) -> ArchPlan:
        _check_rope(model)
        hp = _common(model)
        hp["rope_dimension_count"] = _head_dim(model.config)
        items = iter(_family_tensors(model).items())
        return ArchPlan(arch, hp, _named(arch, hp["block_count"], items), vocab_size=hp["vocab_size"])

    return plan


def _phi3(model: Any) -> ArchPlan:
    cfg = model.config
    _check_rope(model)
    hp = _common(model)
    rotary = float(getattr(cfg, "partial_rotary_factor", 1.0) or 1.0)
    hp["rope_dimension_count"] = int(_head_dim(cfg) * rotary)
    original = getattr(cfg, "original_max_position_embeddings", None)
    if original:
        hp["rope_scaling_orig_ctx_len"] = int(original)
    window = getattr(cfg, "sliding_window", None)
    if window:
        hp["sliding_window"] = int(window)
    items = iter(_family_tensors(model).items())
    return ArchPlan("phi3", hp, _named("phi3", hp["block_count"], items), vocab_size=hp["vocab_size"])


def _gemma(arch: str) -> Any:
    def plan(model: Any) -> ArchPlan:
        cfg = model.config
        _check_rope(model)
        hp = _common(model)
        head_dim = _head_dim(cfg)
        hp["key_length"] = hp["value_length"] = head_dim
        scalar = getattr(cfg, "query_pre_attn_scalar", None)
        # llama.cpp scales queries by 1/sqrt(head_dim) (by 1/sqrt(hidden/heads) for the 27B models alone)
        big = {"gemma2": 46, "gemma3": 62}[arch] == cfg.num_hidden_layers
        if scalar is not None and scalar != head_dim and not (big and scalar == cfg.hidden_size // cfg.num_attention_heads):
            raise ValidationError(f"This model scales attention by 1/sqrt({scalar}), llama.cpp's {arch} by "
                                  f"1/sqrt({head_dim}); its GGUF would compute something else.", field="format")
        for key in ("attn_logit_softcapping", "final_logit_softcapping"):
            value = getattr(cfg, key, None)
            if value:
                hp[key] = float(value)
        if getattr(cfg, "sliding_window", None):
            hp["sliding_window"] = int(cfg.sliding_window)

        def items() -> Iterator[tuple[str, Any]]:
            for name, t in _family_tensors(model).items():
                yield name, (t.float() + 1.0) if name.endswith("norm.weight") else t

        return ArchPlan(arch, hp, _named(arch, hp["block_count"], items()), vocab_size=hp["vocab_size"])

    return plan


_PLANNERS = {"llama": _llama, "mistral": _llama, "qwen2": _plain("qwen2"), "qwen3": _plain("qwen3"),
             "phi3": _phi3, "gemma2": _gemma("gemma2"), "gemma3_text": _gemma("gemma3")}
# model_type values (VersionFacts.model_type) a GGUF can hold: the native GPT's "gpt" and the planned families
GGUF_MODEL_TYPES = frozenset({"gpt", *_PLANNERS})
