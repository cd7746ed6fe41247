"""CompressionService over in-memory doubles of the vault and the datasets service: a result becomes a new
version with its lineage and loads again; reports are kept per model; exports are written and recorded;
bad input fails before any work and leaves nothing behind."""

import json

import pytest
import torch

from studio.core.compression.evaluate import EvalSettings
from studio.core.compression.export import read_export
from studio.core.compression.load import load_model
from studio.core.compression.recipe import Recipe
from studio.core.errors import Cancelled, NotFoundError, ValidationError
from studio.core.services.compression import CompressionService, EvalData, parse_model_ref
from studio.core.tasks import TaskState
from tests.compression_doubles import MemoryDatasets, MemoryModels

QUICK = EvalSettings(max_windows=8, speed_repeats=1, gen_tokens=4, sample_tokens=8)


@pytest.fixture
def world(studio, trained, splits, codec):
    config, tensors = trained
    models, datasets = MemoryModels(), MemoryDatasets()
    models.add_model("words", config.to_dict(), tensors)
    datasets.add(EvalData("corpus", {"train": splits[0], "val": splits[1], "test": splits[1]}, codec, config.vocab_size))
    service = CompressionService(studio, models=models, datasets=datasets)
    return service, models


def test_parse_model_ref():
    assert parse_model_ref("stories") == ("stories", None)
    assert parse_model_ref("stories:3") == ("stories", 3)
    assert parse_model_ref("a:b") == ("a:b", None)
    assert parse_model_ref("a:b:2") == ("a:b", 2)


def test_compress_stores_a_new_version_with_lineage_and_a_report(world, admin, splits):
    service, models = world
    progress = []
    state = TaskState(on_progress=progress.append, min_interval_s=0)
    out = service.compress(admin, "words", Recipe(quant="int8"), dataset="corpus", settings=QUICK,
                           prompts=["abc"], state=state)
    assert (out.version.model_name, out.version.version) == ("words", 2)
    stored = models.models[1][1][1]
    assert stored.kind == "compressed" and stored.metadata["compression"]["label"] == "int8"
    assert stored.lineage[0] == ("source_version", str(models.models[1][1][0].id), "words v1")
    assert json.loads(stored.lineage[1][2]) == Recipe(quant="int8").to_dict()

    original, variant = out.results
    assert variant.file_bytes < 0.35 * original.file_bytes
    assert variant.perplexity < original.perplexity * 1.05 and variant.version == 2 and original.version == 1
    assert len(variant.samples) == 1 and variant.samples[0].startswith("abc")
    assert progress[-1].fraction == 1.0 and all(p.fraction >= 0 for p in progress)
    assert [p.fraction for p in progress] == sorted(p.fraction for p in progress)

    # the new version loads and runs in its quantized form
    loaded = models.load(admin, "words", 2)
    model = load_model(loaded.config, loaded.tensors)
    assert model(torch.zeros(1, 4, dtype=torch.long))[0].shape[-1] == loaded.config["vocab_size"]

    reports = service.reports(admin, "words")
    assert [r.kind for r in reports] == ["compress"]
    assert reports[0].result_version == 2 and reports[0].results[1]["label"] == "int8" and reports[0].dataset == "corpus"


def test_compress_into_a_new_model_by_name_and_evaluate_it(world, admin):
    service, models = world
    out = service.compress(admin, "words", Recipe(sparsity=0.25, structured=True), name="words-small",
                           evaluate=False)
    assert out.results == () and (out.version.model_name, out.version.version) == ("words-small", 1)
    report = service.evaluate(admin, "words-small", dataset="corpus", split="test", settings=QUICK)
    assert report.kind == "eval" and report.results[0]["label"] == "structured 25%" and report.split == "test"
    assert report.results[0]["perplexity"] > 1
    # the report of the compression is found from both models
    assert [r.kind for r in service.reports(admin, "words-small")] == ["eval", "compress"]


@pytest.mark.parametrize("kwargs, field, text", [
    (dict(recipe=Recipe(sparsity=0.99)), "sparsity", "between 0 and 0.95"),
    (dict(recipe=Recipe(quant="int4", group_size=128)), "group_size", "does not divide the embedding width, 64"),
    (dict(recipe=Recipe(sparsity=0.5, recover_steps=5)), "dataset", "needs a dataset"),
    (dict(recipe=Recipe(quant="int8"), split="dev", dataset="corpus"), "split", "Unknown split"),
])
def test_bad_input_fails_before_any_work(world, admin, kwargs, field, text):
    service, models = world
    kwargs = dict(kwargs)
    recipe = kwargs.pop("recipe")
    with pytest.raises(ValidationError, match=text) as info:
        service.compress(admin, "words", recipe, **kwargs)
    assert info.value.field == field
    assert not any(c[0] == "add_version" for c in models.calls) and len(models.models[1][1]) == 1
    assert service.reports(admin, "words") == []


def test_an_unsupported_architecture_is_refused(world, admin):
    service, models = world
    models.add_model("t5", {"model_type": "t5", "vocab_size": 30}, {"w": torch.zeros(2)})
    with pytest.raises(ValidationError, match="not a causal language model") as info:
        service.compress(admin, "t5", Recipe(quant="int8"))
    assert info.value.field == "model"
    with pytest.raises(NotFoundError):
        service.compress(admin, "nothing", Recipe(quant="int8"))


def test_a_dataset_of_another_tokenizer_is_refused(world, admin, splits):
    service, _ = world
    service.datasets.add(EvalData("wide", {"val": splits[1]}, None, 50_000))
    with pytest.raises(ValidationError, match="different tokenizer"):
        service.compress(admin, "words", Recipe(quant="int8"), dataset="wide")


def test_cancel_leaves_nothing(world, admin):
    service, models = world
    state = TaskState()

    def cancel_when_measuring(p):
        if "Measuring" in p.message:
            state.cancel()

    state._on_progress = cancel_when_measuring
    with pytest.raises(Cancelled):
        service.compress(admin, "words", Recipe(quant="int8"), dataset="corpus", settings=QUICK, state=state)
    assert len(models.models[1][1]) == 1 and service.reports(admin, "words") == []


def test_export_formats(world, admin, tmp_path):
    service, _ = world
    service.compress(admin, "words", Recipe(quant="int4", group_size=32), evaluate=False)
    one = service.export(admin, "words", tmp_path / "w.safetensors", version=2)
    tensors, description = read_export(one.path)
    assert description["label"] == "int4-g32" and description["config"]["n_embd"] == 64
    assert description["source"] == {"model": "words", "version": 2}
    assert any(k.endswith("qweight") for k in tensors)
    shards = service.export(admin, "words", tmp_path / "shards", version=2, shard_size="8KB", zstd=True)
    assert shards.shards > 2 and all(f.endswith(".zst") for f in shards.files if not f.endswith(".json"))
    hf = service.export(admin, "words", tmp_path / "hf", version=1, format="hf")
    assert "config.json" in hf.files
    with pytest.raises(ValidationError, match="holds float weights"):
        service.export(admin, "words", tmp_path / "hf2", version=2, format="hf")
    with pytest.raises(ValidationError, match="already exists"):
        service.export(admin, "words", tmp_path / "hf", version=1, format="hf")
    with pytest.raises(ValidationError, match="safetensors format only"):
        service.export(admin, "words", tmp_path / "x", format="hf", zstd=True)
    assert not (tmp_path / "hf2").exists()


def test_a_gpt2_folder_imported_from_hugging_face_is_converted(world, admin, trained, tmp_path):
    from safetensors.torch import load_file

    from studio.core.compression.export import export_hf_folder
    from studio.core.compression.pipeline import compress
    from studio.core.models.gpt import build_model

    service, models = world
    config, tensors = trained
    folder = export_hf_folder(tmp_path / "hf", config, tensors).path
    hf_config = json.loads((folder / "config.json").read_text())
    models.add_model("gpt2-import", hf_config, load_file(folder / "model.safetensors"))  # Conv1D layout
    out = service.compress(admin, "gpt2-import", Recipe(quant="int8"), evaluate=False)
    loaded = models.load(admin, "gpt2-import", out.version.version)
    direct = compress(config, tensors, Recipe(quant="int8"))
    x = torch.randint(0, config.vocab_size, (1, 12), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        # the int8 model of the same network (not of transposed weights), close to the float one
        assert torch.equal(load_model(loaded.config, loaded.tensors)(x)[0], load_model(config, direct.tensors)(x)[0])
        float_logits = build_model(config, tensors)(x)[0]
        assert float((load_model(loaded.config, loaded.tensors)(x)[0] - float_logits).abs().max()) < 0.05 * float(
            float_logits.abs().max())


def test_calibrated_recipe_reports_kl_top1_time_calibration_and_paired_speed(world, admin, splits):
    service, models = world
    recipe = Recipe(sparsity=0.5, method="sparsegpt", quant="int8", quant_method="gptq", calib_samples=8)
    settings = EvalSettings(max_windows=8, speed_repeats=3, gen_tokens=4, sample_tokens=4)
    out = service.compress(admin, "words", recipe, dataset="corpus", settings=settings)
    original, variant = out.results
    assert original.kl is None and 0 < variant.kl < 1.0 and 0.5 < variant.top1 <= 1.0
    assert variant.compress_seconds > 0 and variant.calibration["dataset"] == "corpus"
    assert variant.calibration["samples"] == 8 and variant.calibration["split"] == "train"
    # timed together: the ratio and its spread over the three rounds are the variant's own
    assert variant.speed["repeats"] == 3 and variant.speed["b1"] > 0 and variant.speed["b1_spread"] >= 0
    assert any("small" in w for w in out.warnings)  # 8 windows
    assert any(line.startswith("Warning: The calibration set is small") for line in out.report.log)
    stored = models.models[1][1][1].metadata["compression"]
    assert stored["calibration"]["tokens"] == 8 * 32 and stored["recipe"]["method"] == "sparsegpt"
    again = service.reports(admin, "words")[0].results[1]
    assert again["kl"] == variant.kl and again["speed"] == variant.speed


def test_calibration_warnings_and_refusals(world, admin, splits, trained):
    service, models = world
    config, _ = trained
    recipe = Recipe(quant="int8", quant_method="awq", calib_split="val", calib_samples=4)
    out = service.compress(admin, "words", recipe, dataset="corpus", split="val", settings=QUICK)
    assert any("evaluated split" in w for w in out.warnings)
    from studio.core.datasets.tokenizers import CharTokenizer

    service.datasets.add(EvalData("other", {"train": splits[0], "val": splits[1]}, None, config.vocab_size,
                                  tokenizer_json=CharTokenizer("zyxwvutsrqponmlkjihgfedcba").to_json()))
    models.models[1][1][0].tokenizer_json = CharTokenizer("abcdefghijklmnopqrstuvwxyz").to_json()
    out = service.compress(admin, "words", Recipe(quant="int8", quant_method="awq", calib_dataset="other"),
                           dataset="corpus", settings=QUICK)
    assert any("another tokenizer" in w for w in out.warnings) and out.results[1].calibration["dataset"] == "other"
    with pytest.raises(ValidationError, match="calibration") as info:
        service.compress(admin, "words", Recipe(sparsity=0.5, method="wanda"))
    assert info.value.field == "calibration"
    from studio.core.training.data import TokenSplit

    service.datasets.add(EvalData("wide-calib", {"train": TokenSplit(splits[0].tokens.astype("int64") + 40_000)},
                                  None, 50_000))
    with pytest.raises(ValidationError, match="different tokenizer"):
        service.compress(admin, "words", Recipe(sparsity=0.5, method="wanda", calib_dataset="wide-calib"),
                         dataset="corpus")
    assert len(models.models[1][1]) == 3  # the refusals stored nothing
