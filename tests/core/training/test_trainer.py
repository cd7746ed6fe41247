import math
import threading
from dataclasses import replace

import numpy as np
import pytest
import torch

from studio.core.errors import ValidationError
from studio.core.models.gpt import GPT, model_tensors
from studio.core.training.data import TokenSplit, TrainData
from studio.core.training.finetune import prepare_fine_tune
from studio.core.training.trainer import Trainer

from .conftest import VOCAB, corpus


def losses(trainer, **kw):
    seen = []
    result = trainer.run(on_metrics=seen.append, **kw)
    return result, seen


def test_a_run_learns_and_reports_every_metric(model_config, data, train_config):
    cfg = replace(train_config, max_steps=40, eval_every=10, lr=1e-2, warmup_steps=5)
    statuses = []
    result, seen = losses(Trainer(model_config, cfg, data), on_status=lambda s, m: statuses.append(s))
    assert result.status == "completed" and result.reason == "max_steps" and result.step == 40
    assert [m.step for m in seen] == list(range(1, 41))
    assert statuses == ["running", "completed"]
    evals = [m for m in seen if m.val_loss is not None]
    assert [m.step for m in evals] == [10, 20, 30, 40]
    assert evals[-1].val_loss < evals[0].val_loss < math.log(VOCAB)
    assert evals[0].val_ppl == pytest.approx(math.exp(evals[0].val_loss))
    assert result.best_val_loss == min(m.val_loss for m in evals)
    assert seen[-1].tokens_seen == 40 * 4 * 12 * 2
    assert all(m.tokens_per_s > 0 and m.grad_norm > 0 and m.lr > 0 for m in seen)
    assert all(b.elapsed_s > a.elapsed_s for a, b in zip(seen, seen[1:]))  # noqa: B905


@pytest.mark.parametrize("optimizer", ["adamw", "adam", "adagrad", "sgd"])
@pytest.mark.parametrize("schedule", ["cosine", "linear", "constant"])
def test_every_optimizer_and_schedule_trains(model_config, data, train_config, optimizer, schedule):
    lr = 0.3 if optimizer == "sgd" else 1e-2
    cfg = replace(train_config, optimizer=optimizer, schedule=schedule, lr=lr, max_steps=8, eval_every=100)
    result, seen = losses(Trainer(replace(model_config, dropout=0.0), cfg, data))
    assert result.status == "completed"
    assert seen[-1].train_loss < seen[0].train_loss


def test_gradient_clipping_caps_the_update(model_config, data, train_config):
    cfg = replace(train_config, max_steps=1, grad_clip=1e-3, lr=1.0, warmup_steps=0, optimizer="sgd",
                  momentum=0.0, weight_decay=0.0)
    trainer = Trainer(model_config, cfg, data)
    before = torch.cat([p.detach().flatten().clone() for p in trainer.model.parameters()])
    trainer.run()
    after = torch.cat([p.detach().flatten() for p in trainer.model.parameters()])
    assert (after - before).norm().item() == pytest.approx(1e-3, rel=1e-3)


def test_a_diverging_run_stops_with_advice(model_config, data, train_config):
    cfg = replace(train_config, optimizer="sgd", lr=0.99e6, grad_clip=0.0, warmup_steps=0, max_steps=50)
    trainer = Trainer(model_config, cfg, data)
    result, seen = losses(trainer)
    assert result.status == "diverged" and result.reason == "non_finite" and result.step < 50
    assert "lower learning rate" in result.message
    assert len(seen) == result.step and all(math.isfinite(m.train_loss) for m in seen)


def test_early_stopping_after_patience_evaluations(model_config, data, train_config):
    cfg = replace(train_config, max_steps=100, eval_every=2, patience=2, min_delta=100.0)
    result, seen = losses(Trainer(model_config, cfg, data))
    assert result.status == "completed" and result.reason == "early_stopping"
    assert result.step == 6  # eval at 2 is the best; 4 and 6 do not improve by min_delta
    assert [m.is_best for m in seen if m.val_loss is not None] == [True, False, False]


def test_loss_masks_count_only_unmasked_targets(model_config, train_config):
    tokens = corpus(4000, 3)
    nothing = TrainData(TokenSplit(tokens, np.zeros(len(tokens), dtype=np.uint8)))
    result, seen = losses(Trainer(model_config, replace(train_config, max_steps=3), nothing))
    assert result.status == "completed"  # a fully masked batch is a zero loss, not a divergence
    assert all(m.train_loss == 0.0 and m.grad_norm == 0.0 for m in seen)
    half = TrainData(TokenSplit(tokens, (np.arange(len(tokens)) % 2).astype(np.uint8)))
    _, seen = losses(Trainer(model_config, replace(train_config, max_steps=3), half))
    assert all(m.train_loss > 0 for m in seen)


def test_stop_between_steps_and_pause_waits(model_config, data, train_config):
    trainer = Trainer(model_config, replace(train_config, max_steps=50), data)
    result, seen = losses(trainer, poll=lambda t: t.request_stop() if t.step == 3 else None)
    assert result.status == "stopped" and result.step == 3 and len(seen) == 3


def test_pause_and_resume_change_nothing(model_config, data, train_config):
    _, plain = losses(Trainer(model_config, train_config, data))
    trainer = Trainer(model_config, train_config, data)
    statuses, paused = [], threading.Event()

    def on_status(status, message):
        statuses.append(status)
        if status == "paused":
            paused.set()

    threaded = []

    def on_metrics(m):
        threaded.append(m)
        if m.step == 5:
            trainer.request_pause()

    worker = threading.Thread(target=lambda: trainer.run(on_metrics=on_metrics, on_status=on_status))
    worker.start()
    assert paused.wait(30)
    step = trainer.step
    worker.join(0.3)
    assert worker.is_alive() and trainer.step == step == 5  # it holds while paused
    trainer.request_resume()
    worker.join(60)
    assert statuses == ["running", "paused", "running", "completed"]
    assert trainer.result.status == "completed"
    # The same through `poll` alone (how a worker reading its control channel drives it): pause at step 4,
    # stay paused for a few polls, resume.
    polls_while_paused = []

    def poll(t):
        if t.step == 4 and not t.paused and not polls_while_paused:
            t.request_pause()
        elif t.paused:
            polls_while_paused.append(t.step)
            if len(polls_while_paused) == 3:
                t.request_resume()

    _, again = losses(Trainer(model_config, train_config, data), poll=poll)
    assert polls_while_paused == [4, 4, 4]
    assert [m.train_loss for m in again] == [m.train_loss for m in plain]
    assert [m.train_loss for m in threaded] == [m.train_loss for m in plain]


def test_data_from_another_tokenizer_is_refused(model_config, train_config):
    bad = TrainData(TokenSplit(np.full(500, VOCAB, dtype=np.uint16)))
    with pytest.raises(ValidationError, match="different tokenizer"):
        Trainer(model_config, train_config, bad)


def test_fine_tuning_starts_from_the_given_weights(model_config, data, train_config):
    torch.manual_seed(123)
    base = model_tensors(GPT(model_config))
    config, weights = prepare_fine_tune(model_config, base, VOCAB)
    trainer = Trainer(config, replace(train_config, max_steps=1), data, weights=weights)
    assert torch.equal(trainer.model.transformer.h[0].mlp.c_fc.weight, base["transformer.h.0.mlp.c_fc.weight"])
    with pytest.raises(ValidationError, match="vocabulary of 29"):
        prepare_fine_tune(model_config, base, VOCAB + 7)
    bigger, grown = prepare_fine_tune(model_config, base, VOCAB + 7, resize_vocab=True)
    assert bigger.vocab_size == VOCAB + 7 and grown["transformer.wte.weight"].shape[0] == VOCAB + 7
    assert torch.equal(grown["transformer.wte.weight"][:VOCAB], base["transformer.wte.weight"])
    assert Trainer(bigger, replace(train_config, max_steps=2), data, weights=grown).run().status == "completed"


def test_bf16_autocast_trains_close_to_float32(model_config, data, train_config):
    cfg = replace(train_config, max_steps=3)
    _, fp32 = losses(Trainer(model_config, cfg, data))
    trainer = Trainer(model_config, replace(cfg, precision="bf16"), data)
    assert trainer.bf16
    _, bf16 = losses(trainer)
    assert all(abs(a.train_loss - b.train_loss) < 0.05 for a, b in zip(fp32, bf16, strict=True))
    assert any(a.train_loss != b.train_loss for a, b in zip(fp32, bf16, strict=True))  # autocast was really on
    assert trainer.model.transformer.wte.weight.dtype == torch.float32  # master weights stay float32


@pytest.mark.slow
def test_torch_compile_gives_the_same_losses(model_config, data, train_config):
    cfg = replace(train_config, max_steps=3, eval_every=3)
    plain_cfg = replace(model_config, dropout=0.0)
    _, plain = losses(Trainer(plain_cfg, cfg, data))
    compiled = Trainer(plain_cfg, replace(cfg, compile=True), data)
    assert compiled._forward is not compiled.model
    _, seen = losses(compiled)
    for a, b in zip(plain, seen, strict=True):
        assert abs(a.train_loss - b.train_loss) < 1e-4
    assert compiled.state_bytes()  # the state holds the plain module's names, not _orig_mod.


def test_early_stopping_without_a_validation_split_is_refused(model_config, data, train_config):
    with pytest.raises(ValidationError, match="needs a validation split"):
        Trainer(model_config, replace(train_config, patience=2), TrainData(data.train))
