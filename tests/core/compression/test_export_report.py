"""Export (single file, shards with an index, zstd, Hugging Face folder) and the report (CSV, HTML)."""

import csv
import io
import json

import pytest
import torch

from studio.core.compression import export, report
from studio.core.compression.evaluate import EvalResult, EvalSettings, evaluate
from studio.core.compression.load import load_model
from studio.core.compression.pipeline import compress
from studio.core.compression.recipe import Recipe
from studio.core.errors import ConflictError, ValidationError


def test_parse_size():
    assert export.parse_size("2GB") == 2_000_000_000
    assert export.parse_size("1.5GiB") == int(1.5 * 2**30)
    assert export.parse_size("500mb") == 500_000_000
    assert export.parse_size("4096") == 4096
    for bad in ("two GB", "5XB", "10"):
        with pytest.raises(ValidationError):
            export.parse_size(bad)


@pytest.mark.parametrize("zstd", [False, True])
def test_sharded_export_names_and_indexes_like_hugging_face_and_reads_back(trained, tmp_path, zstd):
    config, tensors = trained
    result = compress(config, tensors, Recipe(quant="int8"))
    out = export.export_safetensors(tmp_path / "m", result.tensors, result.description, shard_size=40_000, zstd=zstd)
    assert out.shards >= 3
    n = out.shards
    index = json.loads((tmp_path / "m" / export.INDEX_NAME).read_text())
    assert set(index["weight_map"].values()) == {f"model-{i:05d}-of-{n:05d}.safetensors" for i in range(1, n + 1)}
    assert index["metadata"]["total_size"] == sum(t.numel() * t.element_size() for t in result.tensors.values())
    assert all(name.endswith(".zst") == zstd for name in out.files if name != export.INDEX_NAME)
    back, desc = export.read_export(tmp_path / "m")
    assert desc["label"] == "int8" and set(back) == set(result.tensors)
    assert all(torch.equal(back[k], result.tensors[k]) for k in back)
    with pytest.raises(ConflictError, match="already exists"):
        export.export_safetensors(tmp_path / "m", result.tensors, None, shard_size=40_000)


def test_single_file_export_with_zstd_is_smaller_for_a_pruned_model(trained, tmp_path):
    config, tensors = trained
    result = compress(config, tensors, Recipe(sparsity=0.5))
    plain = export.export_safetensors(tmp_path / "a.safetensors", result.tensors, result.description)
    packed = export.export_safetensors(tmp_path / "b.safetensors", result.tensors, result.description, zstd=True)
    assert packed.path.name == "b.safetensors.zst" and packed.bytes < plain.bytes
    back, _ = export.read_export(packed.path)
    model = load_model(config, back)
    assert model(torch.zeros(1, 3, dtype=torch.long))[0].shape == (1, 3, config.vocab_size)


def test_hf_export_refuses_quantized_and_pruned_models_and_leaves_nothing(trained, tmp_path):
    config, tensors = trained
    q = compress(config, tensors, Recipe(quant="int8"))
    with pytest.raises(ValidationError, match="holds float weights"):
        export.export_hf_folder(tmp_path / "q", config, q.tensors)
    s = compress(config, tensors, Recipe(sparsity=0.25, structured=True))
    with pytest.raises(ValidationError, match="different head counts"):
        export.export_hf_folder(tmp_path / "s", config, s.tensors)
    assert list(tmp_path.iterdir()) == []


def test_hf_export_loads_in_transformers_with_identical_logits(trained, tmp_path):
    transformers = pytest.importorskip("transformers")
    config, tensors = trained
    from studio.core.datasets.tokenizers import ByteTokenizer

    out = export.export_hf_folder(tmp_path / "hf", config, tensors, tokenizer_json=ByteTokenizer().to_json())
    assert set(out.files) == {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                              "special_tokens_map.json", "generation_config.json"}
    hf = transformers.GPT2LMHeadModel.from_pretrained(str(out.path)).eval()
    ours = load_model(config, tensors)
    x = torch.randint(0, config.vocab_size, (2, 16), generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        diff = (hf(x).logits - ours(x)[0]).abs().max().item()
    assert diff < 1e-4


def _result(label, size, ppl, b1, b8, ms, samples=()):
    return EvalResult(label, size, 1000, 900, None if ppl is None else 1.0, ppl, b1, b8, ms, "float", samples)


def test_report_csv_has_ratios_against_the_first_row():
    rows = [_result("original", 1000, 10.0, 100.0, 400.0, 2.0), _result("int8", 260, 10.1, 150.0, 1200.0, 1.0)]
    table = list(csv.DictReader(io.StringIO(report.to_csv(rows))))
    assert table[0]["size_ratio"] == "1" and table[1]["size_ratio"] == "0.26"
    assert float(table[1]["ppl_change_pct"]) == pytest.approx(1.0)
    assert float(table[1]["speed_ratio_b1"]) == pytest.approx(1.5)
    assert float(table[1]["latency_speedup"]) == pytest.approx(2.0)
    # zero or removed against the original's 1000 weights; the file's bits over the weights
    assert float(table[1]["sparsity"]) == pytest.approx(0.1) and float(table[1]["bits_per_weight"]) == 2.08


def test_html_report_is_self_contained_with_both_charts_and_escaped_samples():
    rows = [_result("original", 1000, 10.0, 100.0, 400.0, 2.0, ("<b>once</b>",)),
            _result("int4 & co", 150, 11.0, 80.0, 300.0, 2.5, ("upon",))]
    html = report.to_html(rows, title="Report <x>", context={"dataset": "stories (val)"})
    assert html.count("<svg") == 2 and "<script" not in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert "&lt;b&gt;once&lt;/b&gt;" in html and "int4 &amp; co" in html and "Report &lt;x&gt;" in html
    assert "+10.00%" in html


def test_evaluate_measures_every_figure(trained, splits, codec):
    config, tensors = trained
    result = compress(config, tensors, Recipe(quant="int8"))
    model = load_model(config, result.tensors)
    settings = EvalSettings(max_windows=8, speed_repeats=1, gen_tokens=4, sample_tokens=6)
    r = evaluate("int8", model, result.tensors, result.description, split=splits[1], codec=codec,
                 prompts=["abc", "de"], settings=settings)
    assert r.file_bytes > 0 and r.parameters > r.nonzeros * 0.9 and r.perplexity > 1.0
    assert r.tokens_per_s_b1 > 0 and r.tokens_per_s_b8 > 0 and r.ms_per_token > 0
    assert len(r.samples) == 2 and r.samples[0].startswith("abc") and len(r.samples[0]) == 3 + 6
    assert "x" in r.kernel and r.recipe["quant"] == "int8" and r.eval_tokens == 8 * 32
    assert EvalResult.from_dict(json.loads(json.dumps(r.to_dict()))) == r
