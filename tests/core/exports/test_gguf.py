"""GGUF exports read back with the `gguf` package's reader (architecture, tensor names, shapes, tokenizer
metadata), and run by llama.cpp itself (llama-cpp-python, a dev dependency built from its source package):
the same logits within tolerance, the same greedy continuation, the same token ids."""

from __future__ import annotations

import gguf
import numpy as np
import pytest

from studio.core.errors import ValidationError
from studio.core.exports.base import ExportOptions
from studio.core.exports.gguf_file import FORMAT, llama_cpp_check
from tests.core.exports.conftest import TEXT, hf_source, native_source


def _field(reader, key):
    f = reader.get_field(key)
    return None if f is None else f.contents()


def _write(source, path, quant="f32"):
    result = FORMAT.write(source, path, ExportOptions(quant=quant))
    return result, gguf.GGUFReader(str(path))


def test_native_gpt_reads_back_as_llama_cpp_gpt2(tmp_path):
    source = native_source("byte")
    result, r = _write(source, tmp_path / "tiny.gguf")
    assert _field(r, "general.architecture") == "gpt2"
    assert _field(r, "gpt2.block_count") == 2 and _field(r, "gpt2.embedding_length") == 64
    assert _field(r, "gpt2.context_length") == 64 and _field(r, "gpt2.attention.head_count") == 2
    shapes = {t.name: tuple(int(d) for d in reversed(t.shape.tolist())) for t in r.tensors}
    assert shapes["token_embd.weight"] == (257, 64) and shapes["position_embd.weight"] == (64, 64)
    assert shapes["blk.1.attn_qkv.weight"] == (192, 64) and shapes["blk.0.ffn_down.weight"] == (64, 256)
    assert "output.weight" not in shapes  # tied: llama.cpp reads the token embedding
    assert len(shapes) == 2 + 2 * 12 + 2
    assert _field(r, "tokenizer.ggml.model") == "gpt2" and len(_field(r, "tokenizer.ggml.tokens")) == 257
    assert _field(r, "tokenizer.ggml.eos_token_id") == 256 and _field(r, "tokenizer.ggml.add_bos_token") is False
    assert "assistant: " in _field(r, "tokenizer.chat_template")
    assert result.files == ("tiny.gguf", "tiny.Modelfile")
    modelfile = (tmp_path / "tiny.Modelfile").read_text()
    assert "FROM ./tiny.gguf" in modelfile and 'PARAMETER stop "\\nuser:"' in modelfile
    assert "{{ .Role }}: {{ .Content }}" in modelfile and "PARAMETER num_ctx 64" in modelfile
    # the weights are the model's: the embedding as written, the QKV projection unchanged (nn.Linear is (out, in))
    embd = next(t for t in r.tensors if t.name == "token_embd.weight")
    assert np.allclose(np.asarray(embd.data), source.tensors["transformer.wte.weight"].numpy())


@pytest.mark.parametrize("name,arch,q_shape", [("llama", "llama", (32, 32)), ("qwen2", "qwen2", (32, 32)),
                                               ("qwen3", "qwen3", (32, 32))])
def test_tiny_hf_models_read_back(tmp_path, name, arch, q_shape):
    source = hf_source(name, tmp_path)
    _, r = _write(source, tmp_path / f"{name}.gguf")
    assert _field(r, "general.architecture") == arch
    shapes = {t.name: tuple(int(d) for d in reversed(t.shape.tolist())) for t in r.tensors}
    assert shapes["blk.0.attn_q.weight"] == q_shape and shapes["blk.1.attn_k.weight"] == (16, 32)
    assert shapes["token_embd.weight"] == (272, 32) and shapes["blk.0.ffn_gate.weight"] == (64, 32)
    assert _field(r, f"{arch}.attention.head_count_kv") == 2 and _field(r, f"{arch}.block_count") == 2
    if name == "qwen2":
        assert "blk.0.attn_q.bias" in shapes and "output.weight" not in shapes  # Qwen2's biases; tied head
    if name == "qwen3":
        assert shapes["blk.0.attn_q_norm.weight"] == (8,) and _field(r, "qwen3.rope.dimension_count") == 8
    tokens = _field(r, "tokenizer.ggml.tokens")
    assert len(tokens) == 272 and tokens[256:260] == ["<|begin_of_text|>", "<|end_of_text|>", "<|im_start|>",
                                                       "<|im_end|>"]
    types = _field(r, "tokenizer.ggml.token_type")
    assert types[257] == gguf.TokenType.CONTROL and types[300 - 29] == gguf.TokenType.UNUSED  # padding rows
    assert _field(r, "tokenizer.ggml.pre") == "gpt-2" and _field(r, "tokenizer.ggml.eos_token_id") == 257
    assert _field(r, "tokenizer.ggml.add_bos_token") is (name == "llama")
    assert "<|im_start|>" in _field(r, "tokenizer.chat_template")


def test_llama_q_and_k_are_permuted_for_llama_cpp_rope(tmp_path):
    source = hf_source("llama", tmp_path)
    _, r = _write(source, tmp_path / "l.gguf")
    q = np.asarray(next(t for t in r.tensors if t.name == "blk.0.attn_q.weight").data)
    w = source.tensors["model.layers.0.self_attn.q_proj.weight"].numpy()
    head = w[:8]  # head 0: rows 0..3 (first half) and 4..7 (second half) interleave
    assert np.allclose(q[:8], np.stack([head[0], head[4], head[1], head[5], head[2], head[6], head[3], head[7]]))
    v = np.asarray(next(t for t in r.tensors if t.name == "blk.0.attn_v.weight").data)
    assert np.allclose(v, source.tensors["model.layers.0.self_attn.v_proj.weight"].numpy())  # v untouched


@pytest.mark.parametrize("quant,qtype", [("f16", gguf.GGMLQuantizationType.F16),
                                         ("q8_0", gguf.GGMLQuantizationType.Q8_0),
                                         ("q4_0", gguf.GGMLQuantizationType.Q4_0)])
def test_quantizations_keep_vectors_f32(tmp_path, quant, qtype):
    _, r = _write(native_source("byte"), tmp_path / "q.gguf", quant)
    types = {t.name: t.tensor_type for t in r.tensors}
    assert types["blk.0.attn_qkv.weight"] == qtype and types["token_embd.weight"] == qtype
    assert types["blk.0.attn_norm.weight"] == gguf.GGMLQuantizationType.F32
    assert types["blk.0.attn_qkv.bias"] == gguf.GGMLQuantizationType.F32


def test_what_gguf_cannot_hold_is_refused_before_writing(tmp_path):
    from studio.core.models.config import GPTConfig

    pruned = native_source("byte")
    pruned.config = GPTConfig.from_dict(pruned.config).to_dict() | {"activation": "gelu"}
    with pytest.raises(ValidationError, match="tanh GELU"):
        FORMAT.check(pruned, ExportOptions())
    with pytest.raises(ValidationError, match="gpt_neox"):
        FORMAT.check(hf_source("gpt_neox", tmp_path), ExportOptions())
    gemma = hf_source("gemma2", tmp_path)  # the test model's query_pre_attn_scalar (256) is not its head_dim
    with pytest.raises(ValidationError, match="sqrt"):
        FORMAT.check(gemma, ExportOptions())
    with pytest.raises(ValidationError, match="takes --quant"):
        FORMAT.options(quant="q4_k")
    assert not (tmp_path / "x.gguf").exists()


# --- llama.cpp itself -------------------------------------------------------------------------------------------


def open_llama(path, **kwargs):
    """llama_cpp.Llama (the high-level class, for its tokenizer) over `path` without llama.cpp's extra weight
    buffers, as studio/core/exports/llama_cpp_lib.py loads every model: on CPUs with AMX the repacked q8_0
    weights crash the process. Llama() has no argument for it, so its default parameters are wrapped while
    it loads (tests load one model at a time)."""
    import llama_cpp
    import llama_cpp.llama as llama_module

    low = llama_module.llama_cpp
    default = low.llama_model_default_params

    def params():
        p = default()
        p.use_extra_bufts = False
        return p

    low.llama_model_default_params = params
    try:
        return llama_cpp.Llama(model_path=str(path), **kwargs)
    finally:
        low.llama_model_default_params = default


def _llama(path, n_ctx=64):
    return open_llama(path, n_ctx=n_ctx, logits_all=True, verbose=False, n_threads=1)


@pytest.mark.parametrize("kind", ["byte", "char", "bpe"])
def test_llama_cpp_gives_the_studio_logits_and_greedy_text(tmp_path, kind):
    from studio.core.models.generate import SamplingConfig, generate

    source = native_source(kind)
    path = tmp_path / f"{kind}.gguf"
    FORMAT.write(source, path, ExportOptions(quant="f32"))
    check = llama_cpp_check(path, source, "f32")
    assert check["max_abs_diff"] < 1e-3 and check["same_argmax"]
    tok = source.tokenizer
    prompt = tok.encode("hello world")
    ours = list(generate(source.model, prompt, SamplingConfig(max_new_tokens=12, greedy=True)))
    llm = _llama(path)
    try:
        theirs = []
        for i, t in enumerate(llm.generate(prompt, temp=0.0, top_k=1, reset=True)):
            theirs.append(t)
            if i == 11:
                break
        # llama.cpp's tokenizer gives the studio's ids for text within the tokenizer's alphabet
        for line in TEXT.splitlines() + ["the fox", "Hello again"]:
            assert llm.tokenize(line.encode(), add_bos=False, special=False) == tok.encode(line), (kind, line)
    finally:
        llm.close()
    assert theirs == ours


# the greedy continuation compared: mistral's test model has a sliding window of 16 positions, which llama.cpp's
# llama architecture does not apply (the export notes it), so its text parts once the window fills
@pytest.mark.parametrize(("name", "continuation"), [("llama", 16), ("qwen2", 16), ("qwen3", 16), ("mistral", 4),
                                                    ("smollm2", 16), ("llama3-rope", 16)])
def test_llama_cpp_runs_the_hf_families(tmp_path, name, continuation):
    from studio.core.exports.checks import probe_ids
    from studio.core.exports.llama_cpp_lib import LlamaCppModel
    from studio.core.models.generate import SamplingConfig, generate

    source = hf_source(name, tmp_path)
    path = tmp_path / f"{name}.gguf"
    FORMAT.write(source, path, ExportOptions(quant="f32"))
    check = llama_cpp_check(path, source, "f32")
    assert check["max_abs_diff"] < 1e-3 and check["same_argmax"], check
    ids = probe_ids(source)
    ours = list(generate(source.model, ids, SamplingConfig(max_new_tokens=continuation, greedy=True)))
    with LlamaCppModel(str(path), 64) as llm:
        assert llm.greedy(ids, continuation) == ours
        # llama.cpp's tokenizer from the GGUF vocabulary gives the studio's ids (asked for no BOS)
        want = source.tokenizer.encode("the fox")
        if want[0] == source.tokenizer.bos_id:
            want = want[1:]
        assert llm.tokenize("the fox") == want and len(want) == 7


def test_llama_cpp_runs_gemma_when_its_attention_scale_is_llama_cpps(tmp_path):
    for name in ("gemma2", "gemma3_text"):
        source = hf_source(name, tmp_path / name, query_pre_attn_scalar=8)
        source.__dict__.pop("model", None)
        path = tmp_path / f"{name}.gguf"
        FORMAT.write(source, path, ExportOptions(quant="f32"))
        assert llama_cpp_check(path, source, "f32")["max_abs_diff"] < 1e-3


def test_q8_0_stays_close_to_the_float_model(tmp_path):
    source = native_source("byte")
    path = tmp_path / "q8.gguf"
    FORMAT.write(source, path, ExportOptions(quant="q8_0"))
    check = llama_cpp_check(path, source, "q8_0")
    assert check["max_abs_diff"] < 0.05
