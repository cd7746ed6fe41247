"""ONNX exports of every family run in ONNX Runtime with the studio's logits (1e-4): the full-sequence model at
the probe's length and at one past the sliding window of the families that have one, and the KV-cache decoder
stepped token by token past that window."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from studio.core.exports.base import ExportOptions
from studio.core.exports.checks import studio_logits
from studio.core.exports.onnx_folder import DECODER_FILE, FORMAT, INFO_FILE, MODEL_FILE, _past_shape
from tests.core.exports.conftest import hf_source, native_source
from tests.hf_families import FAMILIES

LONG = 24  # longer than the test models' sliding window (16)


def _session(path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _source(name, tmp_path):
    return native_source("byte") if name == "gpt" else hf_source(name, tmp_path)


def _long_ids(source):
    vocab = source.family.vocab_size(source.model)
    return [(11 * i + 5) % vocab for i in range(LONG)]


@pytest.mark.parametrize("name", ["gpt", *FAMILIES])
def test_onnx_runtime_gives_the_studio_logits(tmp_path, name):
    source = _source(name, tmp_path)
    options = ExportOptions(kv_cache=False)
    result = FORMAT.write(source, tmp_path / "onnx", options)
    assert MODEL_FILE in result.files and DECODER_FILE not in result.files and "config.json" in result.files
    report = FORMAT.verify(result.path, source, options)
    assert report["model"]["max_abs_diff"] < 1e-4 and report["model"]["same_argmax"]
    ids = _long_ids(source)
    batch = np.array([ids, ids[::-1]], dtype=np.int64)  # the batch and sequence axes are dynamic
    theirs = _session(result.path / MODEL_FILE).run(["logits"], {"input_ids": batch})[0]
    for row, seq in zip(theirs, (ids, ids[::-1]), strict=True):
        assert float((studio_logits(source, seq) - torch.from_numpy(row)).abs().max()) < 1e-4


@pytest.mark.parametrize("name", ["gpt", "mistral", "gemma2"])
def test_the_kv_cache_decoder_steps_past_the_window(tmp_path, name):
    source = _source(name, tmp_path)
    result = FORMAT.write(source, tmp_path / "onnx", ExportOptions())
    assert {MODEL_FILE, DECODER_FILE, INFO_FILE} <= set(result.files)
    info = json.loads((result.path / INFO_FILE).read_text())
    assert info["decoder"] == DECODER_FILE and "past position 0 is a pad" in info["past_convention"]
    decoder = _session(result.path / DECODER_FILE)
    layers, heads, head_dim = _past_shape(source)
    ids = _long_ids(source)
    keys = values = np.zeros((layers, 1, heads, 1, head_dim), dtype=np.float32)
    prompt = 10
    logits, keys, values = decoder.run(None, {"input_ids": np.array([ids[:prompt]]), "past_keys": keys,
                                              "past_values": values})
    rows = [logits[0]]
    for t in ids[prompt:]:  # one token at a time, past the window
        logits, keys, values = decoder.run(None, {"input_ids": np.array([[t]]), "past_keys": keys,
                                                  "past_values": values})
        rows.append(logits[0])
    assert keys.shape == (layers, 1, heads, 1 + LONG, head_dim)
    stepped = torch.from_numpy(np.concatenate(rows, axis=0))
    assert float((studio_logits(source, ids) - stepped).abs().max()) < 1e-4


def test_int8_is_quantized_by_onnx_runtime_and_stays_close(tmp_path):
    import onnx

    source = native_source("byte")
    float_dir = FORMAT.write(source, tmp_path / "f32", ExportOptions(kv_cache=False)).path
    options = FORMAT.options(quant="int8", kv_cache=False)
    result = FORMAT.write(source, tmp_path / "int8", options)
    ops = {node.op_type for node in onnx.load(str(result.path / MODEL_FILE)).graph.node}
    assert "DynamicQuantizeLinear" in ops or "MatMulInteger" in ops
    assert not [p for p in result.path.iterdir() if p.name.startswith(".")]  # the float intermediates are gone
    assert (result.path / MODEL_FILE).stat().st_size < (float_dir / MODEL_FILE).stat().st_size
    report = FORMAT.verify(result.path, source, options)["model"]
    assert 0 < report["max_abs_diff"] < 0.1  # int8 is reported, not held to 1e-4
