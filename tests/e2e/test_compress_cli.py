"""`studio compress`, `studio eval` and `studio export` in-process (argument handling, output, exit codes)
over the in-memory vault and datasets doubles. The same verbs against the real vault run in
tests/e2e/test_compress_vault.py once the vault is part of the build."""

import json

import pytest

from studio.cli.main import main
from studio.core.services import compression as compression_pkg
from studio.core.services import studio as studio_module
from studio.core.services.compression import EvalData
from tests.compression_doubles import MemoryDatasets, MemoryModels
from tests.core.compression.conftest import Codec, corpus


@pytest.fixture
def doubles(monkeypatch):
    import torch

    from studio.core.models.config import GPTConfig
    from studio.core.models.gpt import GPT, model_tensors
    from studio.core.training.data import TokenSplit

    torch.manual_seed(0)
    config = GPTConfig(vocab_size=29, block_size=32, n_layer=2, n_head=2, n_embd=32)
    models, datasets = MemoryModels(), MemoryDatasets()
    models.add_model("tiny", config.to_dict(), model_tensors(GPT(config)))
    datasets.add(EvalData("corpus", {"train": TokenSplit(corpus(4000, 1)), "val": TokenSplit(corpus(800, 2)),
                                     "test": TokenSplit(corpus(800, 3))}, Codec(), 29))

    class Wired(compression_pkg.CompressionService):
        def __init__(self, studio):
            super().__init__(studio, models=models, datasets=datasets)

    monkeypatch.setattr(studio_module, "CompressionService", Wired)
    return models


def run(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_compress_eval_export_json(doubles, data_dir, tmp_path, capsys):
    code, out, err = run(capsys, "compress", "tiny", "--quant", "int8", "--dataset", "corpus", "--json",
                         "--data-dir", str(data_dir), "--prompt", "abc")
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["model"], doc["version"], doc["label"]) == ("tiny", 2, "int8")
    assert [r["label"] for r in doc["results"]] == ["original", "int8"]
    assert doc["results"][1]["file_bytes"] < doc["results"][0]["file_bytes"]

    code, out, err = run(capsys, "eval", "tiny:2", "--dataset", "corpus", "--split", "test", "--json",
                         "--data-dir", str(data_dir))
    assert code == 0, err
    doc = json.loads(out)
    assert doc["version"] == 2 and doc["split"] == "test" and doc["perplexity"] > 1

    code, out, err = run(capsys, "export", "tiny:2", str(tmp_path / "shards"), "--shard-size", "4KB", "--zstd",
                         "--json", "--data-dir", str(data_dir))
    assert code == 0, err
    doc = json.loads(out)
    assert doc["shards"] > 1 and doc["compressed"] is True and (tmp_path / "shards").is_dir()


def test_human_output_and_errors(doubles, data_dir, tmp_path, capsys):
    code, out, _ = run(capsys, "compress", "tiny", "--prune", "0.5", "--structured", "--name", "tiny-small",
                       "--data-dir", str(data_dir), "--dataset", "corpus")
    assert code == 0 and "tiny v1 -> tiny-small v1 (structured 50%)" in out and "ppl" in out
    code, out, err = run(capsys, "compress", "tiny", "--prune", "0.99", "--data-dir", str(data_dir))
    assert code == 1 and out == "" and err.startswith("studio compress: The sparsity must be between 0 and 0.95")
    code, _, err = run(capsys, "compress", "tiny", "--quant", "int4", "--group-size", "64", "--data-dir", str(data_dir))
    assert code == 1 and "does not divide the embedding width, 32. Choose group size 32" in err
    code, _, err = run(capsys, "export", "tiny:2", str(tmp_path / "x"), "--version", "1", "--data-dir", str(data_dir))
    assert code == 1 and "Two versions given" in err
    code, _, err = run(capsys, "export", "tiny-small", str(tmp_path / "hf"), "--format", "hf", "--data-dir", str(data_dir))
    assert code == 1 and "different head counts" in err and not (tmp_path / "hf").exists()
