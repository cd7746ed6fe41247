"""`studio train`, `studio runs`, `studio sample` as a user runs them: separate processes, a real dataset
(encrypted at rest), checkpoints in the vault."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.slow

SMALL = ["--preset", "tiny", "--context", "32", "--layers", "2", "--width", "32", "--batch-size", "4",
         "--threads", "1", "--eval-every", "10", "--warmup", "2"]


@pytest.fixture
def cli(data_dir, tmp_path):
    env = dict(os.environ, STUDIO_DATA_DIR=str(data_dir), STUDIO_PASSWORD=TEST_PASSWORD, STUDIO_USER="root")

    def run(*args, check=True):
        result = subprocess.run([sys.executable, "-m", "studio", *args], capture_output=True, text=True, env=env,
                                timeout=600)
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    run.env = env
    run("init", "--admin", "root")
    text = tmp_path / "stories.txt"
    text.write_text("".join(f"Story {i}. The robot walked to the river and sang a song about the stars.\n\n"
                            for i in range(150)))
    run("dataset", "import", str(text), "--name", "stories", "--tokenizer", "char", "--split", "0.8,0.2,0")
    return run


def test_train_in_the_foreground_then_list_show_and_sample(cli):
    result = cli("train", "--dataset", "stories", "--steps", "20", *SMALL)
    out = result.stdout
    assert "Model: tiny" in out and "parameters" in out and "Time per step" in out and "Memory:" in out
    assert "completed: Completed 20 steps." in out and "Best validation loss" in out
    runs = json.loads(cli("runs", "list", "--json").stdout)
    assert [(r["name"], r["status"], r["step"]) for r in runs] == [("tiny-stories-1", "completed", 20)]
    shown = json.loads(cli("runs", "show", "tiny-stories-1", "--json").stdout)
    assert {c["step"] for c in shown["checkpoints"]} >= {20} and all(c["state"] == "kept" for c in shown["checkpoints"])
    sample = json.loads(cli("sample", "tiny-stories-1", "--prompt", "The robot", "--max-tokens", "30", "--seed", "3",
                            "--json").stdout)
    assert sample["source"].startswith("run tiny-stories-1, checkpoint of step") and isinstance(sample["text"], str)
    # the checkpoint is a vault version: it samples as a model too
    version = shown["checkpoints"][0]["ref"]
    plain = cli("sample", f"model:{version['model_id']}:{version['version']}", "--prompt", "The", "--max-tokens", "10")
    assert plain.stdout.startswith("The")


def test_ctrl_c_stops_the_run_with_a_final_checkpoint(cli):
    proc = subprocess.Popen([sys.executable, "-m", "studio", "train", "--dataset", "stories", "--steps", "100000",
                             "--name", "long", *SMALL], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=cli.env)
    deadline = time.monotonic() + 180
    step = 0
    while time.monotonic() < deadline and step < 3:
        time.sleep(0.5)
        listed = cli("runs", "list", "--json", check=False)
        if listed.returncode == 0 and json.loads(listed.stdout):
            step = json.loads(listed.stdout)[0]["step"]
    assert step >= 3, proc.stderr.read() if proc.poll() is not None else "no progress"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, out + err
    assert "Stopping" in out and "stopped: Stopped at step" in out
    shown = json.loads(cli("runs", "show", "long", "--json").stdout)
    assert shown["run"]["status"] == "stopped"
    assert max(c["step"] for c in shown["checkpoints"]) == shown["run"]["step"]  # the final checkpoint
    resumed = cli("runs", "resume", "long", "--steps", str(shown["run"]["step"] + 5), "--follow")
    assert "completed" in resumed.stdout


def test_detach_returns_at_once_and_the_run_goes_on(cli):
    result = cli("train", "--dataset", "stories", "--steps", "15", "--detach", "--json", *SMALL)
    started = json.loads(result.stdout)
    assert started["status"] in ("queued", "running")
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        info = json.loads(cli("runs", "show", str(started["id"]), "--json").stdout)["run"]
        if info["status"] not in ("queued", "running"):
            break
        time.sleep(1)
    assert info["status"] == "completed"
    log = cli("runs", "log", str(started["id"])).stdout
    assert "step 15/15" in log


def test_bad_settings_are_one_line_errors(cli):
    result = cli("train", "--dataset", "stories", "--lr", "0", *SMALL, check=False)
    assert result.returncode == 1 and "learning rate" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    result = cli("train", "--dataset", "nope", *SMALL, check=False)
    assert result.returncode != 0 and "nope" in result.stderr
