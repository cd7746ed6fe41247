"""`studio compress`, `studio eval` and `studio export` with real logins and the real vault, in this process
(main(argv), at the tests' low Argon2id cost). The datasets service is not part of this build yet: its
double (tests/compression_doubles.py) stands in for `--dataset`."""

from __future__ import annotations

import json

import pytest

from studio.core.services.compression import CompressionService, EvalData
from tests.compression_doubles import MemoryDatasets
from tests.conftest import TEST_PASSWORD
from tests.core.compression.conftest import Codec, corpus
from tests.e2e.cli_runner import cli_with_users


@pytest.fixture
def cli(data_dir, monkeypatch, capsys):
    """`cli(*argv, user="alice", expect=0)`; root (administrator), alice and bob (trainers) and vic (viewer)
    exist; alice owns the model "tiny" (version 1, a small GPT) in the vault; the dataset "corpus" exists."""
    import torch

    from studio.core.models.config import GPTConfig
    from studio.core.models.gpt import GPT, model_tensors
    from studio.core.services import Studio
    from studio.core.training.data import TokenSplit

    datasets = MemoryDatasets()
    datasets.add(EvalData("corpus", {"train": TokenSplit(corpus(4000, 1)), "val": TokenSplit(corpus(800, 2)),
                                     "test": TokenSplit(corpus(800, 3))}, Codec(), 29))
    monkeypatch.setattr(CompressionService, "datasets", property(lambda self: datasets))
    run = cli_with_users(data_dir, monkeypatch, capsys)
    torch.manual_seed(0)
    config = GPTConfig(vocab_size=29, block_size=32, n_layer=2, n_head=2, n_embd=32)
    with Studio.open(data_dir) as studio:
        alice = studio.accounts.login("alice", TEST_PASSWORD)
        studio.vault.add_version(alice, None, model_tensors(GPT(config)), name="tiny", config=config.to_dict())
    return run


def test_compress_eval_export_json(cli, tmp_path):
    out, _ = cli("compress", "tiny", "--quant", "int8", "--dataset", "corpus", "--json", "--prompt", "abc")
    doc = json.loads(out)
    assert (doc["model"], doc["version"], doc["label"]) == ("tiny", 2, "int8")
    assert [r["label"] for r in doc["results"]] == ["original", "int8"]
    assert doc["results"][1]["file_bytes"] < doc["results"][0]["file_bytes"]
    versions = json.loads(cli("vault", "versions", "tiny", "--json")[0])
    assert [v["kind"] for v in versions] == ["trained", "compressed"]
    assert versions[1]["metadata"]["compression"]["label"] == "int8"

    doc = json.loads(cli("eval", "tiny:2", "--dataset", "corpus", "--split", "test", "--json")[0])
    assert doc["version"] == 2 and doc["split"] == "test" and doc["perplexity"] > 1

    doc = json.loads(cli("export", "tiny:2", str(tmp_path / "shards"), "--shard-size", "4KB", "--zstd", "--json")[0])
    assert doc["shards"] > 1 and doc["compressed"] is True and (tmp_path / "shards").is_dir()
    log = cli("audit", "list", "--json", user="root")[0]
    assert "compress.run" in log and "model.evaluate" in log and "model.export" in log


def test_human_output_errors_and_access(cli, tmp_path):
    out, _ = cli("compress", "tiny", "--prune", "0.5", "--structured", "--name", "tiny-small", "--dataset", "corpus")
    assert "tiny v1 -> tiny-small v1 (structured 50%)" in out and "ppl" in out
    out, err = cli("compress", "tiny", "--prune", "0.99", expect=1)
    assert out == "" and err.startswith("studio compress: The sparsity must be between 0 and 0.95")
    _, err = cli("compress", "tiny", "--quant", "int4", "--group-size", "64", expect=1)
    assert "does not divide the embedding width, 32. Choose group size 32" in err
    _, err = cli("export", "tiny:2", str(tmp_path / "x"), "--version", "1", expect=1)
    assert "Two versions given" in err
    _, err = cli("export", "tiny-small", str(tmp_path / "hf"), "--format", "hf", expect=1)
    assert "different head counts" in err and not (tmp_path / "hf").exists()
    # bob holds no grant on alice's model (by name it does not exist for him); vic (viewer) may measure with a
    # use grant but not compress
    _, err = cli("compress", "tiny", "--quant", "int8", user="bob", expect=1)
    assert "No model 'tiny'" in err
    cli("vault", "share", "tiny", "--with", "vic", "--permission", "use")
    _, err = cli("compress", "tiny", "--quant", "int8", user="vic", expect=4)
    assert "compress.run" in err
    _, err = cli("export", "tiny", str(tmp_path / "vic.safetensors"), user="vic", expect=4)
    assert "model.export" in err and not (tmp_path / "vic.safetensors").exists()


def test_a_viewer_with_the_use_grant_can_measure(cli):
    cli("vault", "share", "tiny", "--with", "vic", "--permission", "use")
    doc = json.loads(cli("eval", "tiny", "--dataset", "corpus", "--json", user="vic")[0])
    assert doc["model"] == "tiny" and doc["perplexity"] > 1


def test_calibrated_methods_from_the_command_line(cli):
    out, _ = cli("compress", "tiny", "--method", "sparsegpt", "--pattern", "2:4", "--quant", "int8", "--quant-method",
                 "gptq", "--calib", "corpus", "--calib-samples", "8", "--calib-len", "16", "--dataset", "corpus",
                 "--split", "train", "--json")
    doc = json.loads(out)
    recipe = doc["recipe"]
    assert (recipe["method"], recipe["pattern"], recipe["sparsity"], recipe["quant_method"]) == ("sparsegpt", "2:4", 0.5,
                                                                                                  "gptq")
    assert (recipe["calib_dataset"], recipe["calib_samples"], recipe["calib_seq_len"]) == ("corpus", 8, 16)
    variant = doc["results"][1]
    assert 0 <= variant["kl"] and 0 <= variant["top1"] <= 1 and variant["compress_seconds"] > 0
    assert variant["calibration"]["samples"] == 8
    # the calibration is the evaluated split and too small: both said, in the report's log
    assert any("is the evaluated split" in line for line in doc["log"])
    out, _ = cli("compress", "tiny", "--prune", "0.5", "--method", "wanda", "--calib", "corpus", "--dataset", "corpus")
    assert "KL" in out and "top-1" in out and "calibration: corpus/train" in out


def test_quant_takes_the_method_name_as_the_issue_spells_it(cli):
    """`--quant gptq` = `--quant int4 --quant-method gptq`; `--bits 8` makes it int8; a contradiction is refused."""
    calib = ["--calib", "corpus", "--calib-samples", "8", "--calib-len", "16", "--no-eval", "--json"]
    doc = json.loads(cli("compress", "tiny", "--quant", "gptq", "--group-size", "32", *calib)[0])
    assert (doc["recipe"]["quant"], doc["recipe"]["quant_method"], doc["recipe"]["group_size"]) == ("int4", "gptq", 32)
    doc = json.loads(cli("compress", "tiny", "--quant", "awq", "--bits", "8", *calib)[0])
    assert (doc["recipe"]["quant"], doc["recipe"]["quant_method"]) == ("int8", "awq")
    doc = json.loads(cli("compress", "tiny", "--quant", "int8", "--no-eval", "--json")[0])  # the older form still works
    assert (doc["recipe"]["quant"], doc["recipe"]["quant_method"]) == ("int8", "rtn")
    _, err = cli("compress", "tiny", "--quant", "gptq", "--quant-method", "awq", *calib, expect=1)
    assert "disagree" in err
