"""The native GPT as a GGUF file for llama.cpp (architecture "gpt2"), with the `gguf` package that llama.cpp
publishes.

Tensor names are llama.cpp's for gpt2 (token_embd, position_embd, blk.N.attn_norm/attn_qkv/attn_output/
ffn_norm/ffn_up/ffn_down, output_norm, output). The studio's projections are nn.Linear weights (out, in), which
is what llama.cpp expects, so nothing is transposed (Hugging Face's Conv1D is; its converter transposes).
Biases are written as they are (a bias-free model gets zeros: gpt2 in llama.cpp has biases). The head is
always written (tied or not), so the file does not depend on llama.cpp's tie handling.

The tokenizer: llama.cpp's "gpt2" BPE vocabulary. The byte tokenizer becomes the 256 byte tokens in GPT-2's
byte-to-unicode spelling with no merges (llama.cpp then gives the same ids as the studio for any text); a
studio BPE (a Hugging Face byte-level tokenizer.json) is written with its own vocabulary and merges; the
character tokenizer is written token by token (ids and decoding agree; llama.cpp's own tokenization of text
with characters outside ASCII does not). `path` may be any writable path, e.g. /proc/self/fd/N of a memfd, so
that a file for llama.cpp need never touch the disk.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from studio.core.errors import ValidationError
from studio.core.models.gpt import GPT

QUANTS = ("f32", "f16")


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character map (as in its encoder.py)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs), strict=True))


def vocabulary(tokenizer: Any) -> tuple[list[str], list[str], int]:
    """(tokens by id, merges, eos id) in llama.cpp's gpt2 spelling."""
    kind = getattr(tokenizer, "kind", "")
    eos = int(tokenizer.eos_id)
    spell = bytes_to_unicode()
    if kind == "byte":
        tokens = [spell[b] for b in range(256)] + ["<|endoftext|>"]
        return tokens, [], eos
    if kind == "char":
        tokens = ["".join(spell[b] for b in c.encode("utf-8")) for c in tokenizer.chars]
        return ["<|endoftext|>", "<unk>", *tokens], [], eos
    data = json.loads(tokenizer.to_json())
    model = data.get("model", {})
    if model.get("type") != "BPE":
        raise ValidationError("This tokenizer cannot be written to GGUF yet (only byte, char and byte-level BPE).")
    vocab: dict[str, int] = dict(model["vocab"])
    for added in data.get("added_tokens", []):
        vocab[added["content"]] = added["id"]
    tokens = [""] * (max(vocab.values()) + 1)
    for text, i in vocab.items():
        tokens[i] = text
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges", [])]
    return tokens, merges, eos


def _array(t: torch.Tensor, quant: str) -> np.ndarray:
    a = t.detach().to(torch.float32).cpu().numpy()
    return a.astype(np.float16) if quant == "f16" and a.ndim == 2 else a


def write_gguf(model: GPT, tokenizer: Any, path: str | Path, *, quant: str = "f32", name: str = "model") -> Path:
    import gguf

    if quant not in QUANTS:
        raise ValidationError(f"GGUF quantization {quant!r} is not written yet; choose {', '.join(QUANTS)}.")
    cfg = model.config
    if cfg.layer_heads is not None or cfg.layer_mlp is not None:
        raise ValidationError("A structurally pruned model (layers of different widths) cannot be written as gpt2.")
    if cfg.activation != "gelu_tanh":
        raise ValidationError("llama.cpp's gpt2 uses the tanh GELU; this model uses the exact one.")
    sd = {k: v for k, v in model.state_dict().items()}
    zeros = {}

    def bias(prefix: str, width: int) -> torch.Tensor:
        key = prefix + ".bias"
        if key in sd:
            return sd[key]
        return zeros.setdefault(width, torch.zeros(width))

    w = gguf.GGUFWriter(str(path), "gpt2")
    w.add_name(name)
    w.add_context_length(cfg.block_size)
    w.add_embedding_length(cfg.n_embd)
    w.add_feed_forward_length(cfg.mlp_width)
    w.add_block_count(cfg.n_layer)
    w.add_head_count(cfg.n_head)
    w.add_layer_norm_eps(cfg.layer_norm_eps)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if quant == "f16" else gguf.LlamaFileType.ALL_F32)
    tokens, merges, eos = vocabulary(tokenizer)
    if len(tokens) != cfg.vocab_size:
        raise ValidationError(f"The tokenizer has {len(tokens)} tokens, the model {cfg.vocab_size}.")
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("gpt-2")
    w.add_token_list(tokens)
    w.add_token_types([gguf.TokenType.CONTROL if i == eos else gguf.TokenType.NORMAL for i in range(len(tokens))])
    # llama.cpp requires the merges key; the gguf package drops an empty array, so a vocabulary without merges
    # gets one that can never apply (a special token is never a symbol of the text being merged).
    w.add_token_merges(merges or [f"{tokens[eos]} {tokens[eos]}"])
    w.add_bos_token_id(eos)
    w.add_eos_token_id(eos)
    w.add_add_bos_token(False)

    def put(gguf_name: str, tensor: torch.Tensor) -> None:
        w.add_tensor(gguf_name, _array(tensor, quant))

    put("token_embd.weight", sd["transformer.wte.weight"])
    put("position_embd.weight", sd["transformer.wpe.weight"])
    for i in range(cfg.n_layer):
        p = f"transformer.h.{i}"
        put(f"blk.{i}.attn_norm.weight", sd[f"{p}.ln_1.weight"])
        put(f"blk.{i}.attn_norm.bias", bias(f"{p}.ln_1", cfg.n_embd))
        put(f"blk.{i}.attn_qkv.weight", sd[f"{p}.attn.c_attn.weight"])
        put(f"blk.{i}.attn_qkv.bias", bias(f"{p}.attn.c_attn", 3 * cfg.n_embd))
        put(f"blk.{i}.attn_output.weight", sd[f"{p}.attn.c_proj.weight"])
        put(f"blk.{i}.attn_output.bias", bias(f"{p}.attn.c_proj", cfg.n_embd))
        put(f"blk.{i}.ffn_norm.weight", sd[f"{p}.ln_2.weight"])
        put(f"blk.{i}.ffn_norm.bias", bias(f"{p}.ln_2", cfg.n_embd))
        put(f"blk.{i}.ffn_up.weight", sd[f"{p}.mlp.c_fc.weight"])
        put(f"blk.{i}.ffn_up.bias", bias(f"{p}.mlp.c_fc", cfg.mlp_width))
        put(f"blk.{i}.ffn_down.weight", sd[f"{p}.mlp.c_proj.weight"])
        put(f"blk.{i}.ffn_down.bias", bias(f"{p}.mlp.c_proj", cfg.n_embd))
    put("output_norm.weight", sd["transformer.ln_f.weight"])
    put("output_norm.bias", bias("transformer.ln_f", cfg.n_embd))
    put("output.weight", sd["lm_head.weight"])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return Path(path)
