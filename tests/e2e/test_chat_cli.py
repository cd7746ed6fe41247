"""`studio vault import` of a Hugging Face folder, then `studio chat` and `studio sample` on it, and
`studio export --format hf` back to a folder that transformers loads, all in-process (main(argv)); a folder
that needs its own code is refused first."""

from __future__ import annotations

import io
import json
import shutil
import sys

import pytest
import torch

from studio.cli.main import main
from tests.conftest import TEST_PASSWORD
from tests.e2e.cli_runner import cli_with_users
from tests.hf_families import hf_model, save_folder

transformers = pytest.importorskip("transformers")


def test_import_chat_sample_and_export_a_hugging_face_model(data_dir, monkeypatch, capsys, tmp_path):
    run = cli_with_users(data_dir, monkeypatch, capsys)
    folder = save_folder("qwen2", tmp_path / "qwen")
    # a copy that needs its own code: refused with the reason, exit 1, nothing stored
    remote = tmp_path / "remote"
    shutil.copytree(folder, remote)
    config = json.loads((remote / "config.json").read_text())
    (remote / "config.json").write_text(json.dumps({**config, "auto_map": {"AutoModelForCausalLM": "m.X"}}))
    _, err = run("vault", "import", str(remote), "--name", "qwen", expect=1)
    assert "never runs a model's own code" in err and "Traceback" not in err
    out, _ = run("vault", "list", "--json")
    assert json.loads(out) == []
    out, _ = run("vault", "import", str(folder), "--name", "qwen")
    assert "imported qwen version 1" in out

    # two turns from standard input (the password comes first, with --password-stdin), greedy
    monkeypatch.delenv("STUDIO_PASSWORD")
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{TEST_PASSWORD}\nHello there\n/reset\nAgain\n"))
    capsys.readouterr()
    code = main(["chat", "qwen", "--system", "Be brief.", "--greedy", "--max-tokens", "5", "--json",
                 "--user", "alice", "--password-stdin"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    doc = json.loads(captured.out)
    assert doc["source"] == "model qwen:1"
    assert [m["role"] for m in doc["messages"]] == ["system", "user", "assistant"]  # /reset forgot the first turn
    assert doc["messages"][1]["content"] == "Again"
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    ids = tok.apply_chat_template(doc["messages"][:2], add_generation_prompt=True, tokenize=True)["input_ids"]
    ref = hf_model("qwen2").generate(torch.tensor([ids]), max_new_tokens=5, do_sample=False, pad_token_id=0,
                                     eos_token_id=[257, 259])[0, len(ids):].tolist()
    ref = [i for i in ref if i not in (257, 259)]
    assert doc["messages"][2]["content"] in {tok.decode(ref[:k], skip_special_tokens=True) for k in range(len(ref) + 1)}

    out, _ = run("sample", "qwen", "--prompt", "Once", "--greedy", "--max-tokens", "4", "--json")
    assert json.loads(out)["source"] == "model qwen:1"

    out, _ = run("export", "qwen", str(tmp_path / "qwen-hf"), "--format", "hf")
    exported = transformers.AutoModelForCausalLM.from_pretrained(tmp_path / "qwen-hf").eval()
    x = torch.tensor([[256, 72, 101, 108, 108, 111]])
    with torch.no_grad():
        assert float((exported(x).logits - hf_model("qwen2")(x).logits).abs().max()) < 1e-5
    again = transformers.AutoTokenizer.from_pretrained(tmp_path / "qwen-hf")
    assert again.apply_chat_template(doc["messages"][:2], tokenize=False) == tok.apply_chat_template(
        doc["messages"][:2], tokenize=False)
    out, _ = run("audit", "list", "--json", user="root")
    actions = [e["action"] for e in json.loads(out)]
    assert actions.count("model.read") >= 2 and "model.export" in actions
