"""Exact resume: 2N steps in one go and N steps, the state to bytes, then fresh objects (or a new process)
from those bytes to 2N give the same loss at every step (tolerance 1e-6; in practice bit for bit)."""

import json
import subprocess
import sys
from dataclasses import replace
from itertools import islice

import numpy as np
import pytest
import torch

from studio.core.errors import ValidationError
from studio.core.training.data import TokenSplit, TrainData
from studio.core.training.state import read_state
from studio.core.training.trainer import Trainer

from .conftest import corpus

N = 6


def run_losses(trainer):
    return [(m.step, m.train_loss, m.val_loss) for m in trainer.steps()]


def assert_same(a, b):
    assert [s for s, _, _ in a] == [s for s, _, _ in b]
    for (_, la, va), (_, lb, vb) in zip(a, b, strict=True):
        assert abs(la - lb) <= 1e-6
        assert (va is None) == (vb is None) and (va is None or abs(va - vb) <= 1e-6)


@pytest.mark.parametrize("optimizer", ["adamw", "adam", "adagrad", "sgd"])
def test_stop_at_n_and_resume_equals_one_go(model_config, data, train_config, optimizer):
    # dropout, gradient accumulation, warm-up then cosine, evaluations and a loss mask all in play
    tokens = corpus(6000, 1)
    masked = TrainData(TokenSplit(tokens, (np.arange(len(tokens)) % 5 != 0).astype(np.uint8)), data.val)
    cfg = replace(train_config, optimizer=optimizer, max_steps=2 * N, eval_every=4)
    whole = run_losses(Trainer(model_config, cfg, masked))

    first = Trainer(model_config, cfg, masked)
    part = [(m.step, m.train_loss, m.val_loss) for m in islice(first.steps(), N)]
    blob = first.state_bytes()
    del first
    torch.manual_seed(999)  # disturb every global generator: the state must bring them back
    np.random.seed(999)
    rest = run_losses(Trainer.from_state(blob, masked))
    assert_same(part + rest, whole)


def test_a_new_process_resumes_exactly(tmp_path, model_config, data, train_config):
    cfg = replace(train_config, max_steps=2 * N)
    whole = run_losses(Trainer(model_config, cfg, data))
    first = Trainer(model_config, cfg, data)
    part = [(m.step, m.train_loss, m.val_loss) for m in islice(first.steps(), N)]
    (tmp_path / "state.bin").write_bytes(first.state_bytes())
    np.asarray(data.train.tokens).tofile(tmp_path / "train.bin")
    np.asarray(data.val.tokens).tofile(tmp_path / "val.bin")
    code = f"""
import json, numpy as np
from pathlib import Path
from studio.core.training.data import TokenSplit, TrainData
from studio.core.training.trainer import Trainer
d = Path({str(tmp_path)!r})
split = lambda name: TokenSplit(np.memmap(d / name, dtype=np.uint16, mode="r"))
t = Trainer.from_state((d / "state.bin").read_bytes(), TrainData(split("train.bin"), split("val.bin")))
print(json.dumps([(m.step, m.train_loss, m.val_loss) for m in t.steps()]))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    rest = [tuple(r) for r in json.loads(out.stdout.strip().splitlines()[-1])]
    assert_same(part + rest, whole)


def test_the_state_holds_everything_and_no_pickle(model_config, data, train_config):
    trainer = Trainer(model_config, replace(train_config, max_steps=3), data)
    trainer.run()
    blob = trainer.state_bytes()
    assert b"\x80\x04" not in blob[:8]  # not a pickle stream
    state = read_state(blob)
    for key in ("model_config", "train_config", "step", "sampler", "rng", "optimizer", "tokens_seen", "elapsed_s"):
        assert key in state.meta
    assert state.meta["step"] == 3 and state.meta["sampler"]["drawn"] == 3 * train_config.grad_accum
    assert "rng/torch_cpu" in state.tensors and "model/transformer.wte.weight" in state.tensors
    assert any(k.startswith("optim/transformer.h.0.attn.c_attn.weight/exp_avg") for k in state.tensors)
    assert "model/lm_head.weight" not in state.tensors  # tied: stored once


def test_resume_refuses_damaged_states_and_math_changing_settings(model_config, data, train_config):
    blob = Trainer(model_config, train_config, data).state_bytes()
    with pytest.raises(ValidationError, match="not a studio training state"):
        Trainer.from_state(b"garbage" * 10, data)
    with pytest.raises(ValidationError, match="cannot change when resuming.*lr"):
        Trainer.from_state(blob, data, lr=1.0)
    longer = Trainer.from_state(blob, data, max_steps=20)
    assert longer.train_config.max_steps == 20


def test_a_checkpoint_gives_back_its_model_for_sampling(model_config, data, train_config):
    from studio.core.training.trainer import model_from_state

    trainer = Trainer(replace(model_config, layer_mlp=(20, 64)), replace(train_config, max_steps=2), data)
    trainer.run()
    model = model_from_state(trainer.state_bytes())
    x = torch.randint(0, model_config.vocab_size, (1, 10))
    with torch.no_grad():
        assert torch.equal(model(x)[0], trainer.model.eval()(x)[0])
    assert model.config.layer_mlp == (20, 64)
