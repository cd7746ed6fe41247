"""LoRA fine-tuning from the command line, as a user does it, for a tiny Llama and a GPT-NeoX (another layout:
fused query_key_value): `studio vault import` of a Hugging Face folder, `dataset import --tokenizer-of`, `studio
train --from ... --lora` in worker processes, paused and resumed in its worker, then continued by `runs resume
--steps` in a new worker from its adapter-only checkpoint, with the same loss at every step as a run that never
stopped (`runs metrics --json`), the adapter version in the vault under its base, `vault merge`, and `sample`
of the merged model generating what the adapter on its base generates."""

from __future__ import annotations

import json
import time

import pytest

from tests.e2e.cli_runner import cli_with_users
from tests.finetune_fixtures import write_chat
from tests.hf_families import save_folder

pytestmark = pytest.mark.slow

LORA = ["--dataset", "chat", "--from", "base", "--lora", "--lora-rank", "4", "--lora-alpha", "8", "--lora-dropout",
        "0.1", "--batch-size", "4", "--seq-len", "32", "--lr", "3e-3", "--warmup", "0", "--schedule", "constant",
        "--eval-every", "6", "--eval-batches", "2", "--seed", "5", "--device", "cpu", "--threads", "1",
        "--checkpoint-every", "6"]


def _show(run, name):
    out, _ = run("runs", "show", name, "--json")
    return json.loads(out)


def _wait(run, name, statuses, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = _show(run, name)
        if shown["run"]["status"] in statuses:
            return shown
        time.sleep(0.2)
    raise AssertionError(f"run {name} never became {statuses}: {shown['run']}")


def _losses(run, name):
    out, _ = run("runs", "metrics", name, "--metric", "train_loss", "--metric", "val_loss", "--json")
    return json.loads(out)["metrics"]


@pytest.mark.parametrize("family", ["llama", "gpt_neox"])
def test_lora_from_the_cli_pauses_resumes_exactly_merges_and_generates(data_dir, monkeypatch, capsys, tmp_path,
                                                                       family):
    run = cli_with_users(data_dir, monkeypatch, capsys)
    out, _ = run("vault", "import", str(save_folder(family, tmp_path / family)), "--name", "base")
    assert "imported base version 1" in out
    run("dataset", "import", str(write_chat(tmp_path / "chat.jsonl")), "--name", "chat", "--tokenizer-of", "base",
        "--split", "0.8,0.2,0")
    run("train", *LORA, "--steps", "12", "--name", "straight", "--detach")
    run("train", *LORA, "--steps", "6", "--name", "split", "--detach")
    out, _ = run("runs", "pause", "split", "--wait", "240", "--json")
    assert json.loads(out)["status"] == "paused"
    run("runs", "resume", "split")  # the same worker goes on
    first = _wait(run, "split", ("completed", "failed"))
    assert (first["run"]["status"], first["run"]["step"]) == ("completed", 6), first["run"]
    # a new worker, from the adapter-only checkpoint of step 6, to 12
    out, _ = run("runs", "resume", "split", "--steps", "12", "--follow", "--json")
    assert (json.loads(out)["status"], json.loads(out)["attempt"]) == ("completed", 2)
    assert _wait(run, "straight", ("completed", "failed"))["run"]["status"] == "completed"
    log, _ = run("runs", "log", "split")
    assert "start at step 6" in log and "LoRA rank 4" in log
    straight, split = _losses(run, "straight"), _losses(run, "split")
    assert split["train_loss"]["steps"] == list(range(1, 13)) and split["val_loss"]["steps"] == [6, 12]
    assert split == straight  # every loss equal, to the last bit

    # the checkpoint of step 12 is a small adapter version naming its base
    shown = _show(run, "split")
    ref = max((c for c in shown["checkpoints"]), key=lambda c: c["step"])["ref"]
    out, _ = run("vault", "versions", str(ref["model_id"]), "--json")
    version = next(v for v in json.loads(out) if v["number"] == ref["version"])
    assert version["metadata"]["base"]["label"] == "base:1" and "LoRA r4" in version["architecture"]
    out, _ = run("vault", "list", "--json")
    sizes = {m["name"]: m for m in json.loads(out)}
    assert "base" in sizes
    out, _ = run("vault", "merge", f"{ref['model_id']}:{ref['version']}", "--name", "merged")
    assert "merged" in out
    out, _ = run("vault", "versions", "merged", "--json")
    merged = json.loads(out)[0]
    assert merged["kind"] == "merged"
    out, _ = run("vault", "versions", "base", "--json")
    assert merged["parameter_count"] == json.loads(out)[0]["parameter_count"]

    def greedy(model):
        out, _ = run("sample", model, "--prompt", "Tell me thing 3.", "--greedy", "--max-tokens", "12", "--json")
        return json.loads(out)["text"]

    assert greedy("merged") == greedy(f"model:{ref['model_id']}:{ref['version']}")
