"""Fine-tuning runs from vault model versions: the weights, shape and tokenizer come from the version."""

import json

import pytest
import torch

from studio.core.errors import ValidationError
from studio.core.models.config import GPTConfig
from studio.core.models.gpt import GPT, model_tensors
from tests.core.training.conftest import VOCAB


def _store(studio, user, name, vocab=VOCAB, tokenizer=None):
    config = GPTConfig(vocab_size=vocab, block_size=16, n_layer=2, n_head=2, n_embd=16)
    torch.manual_seed(3)
    model = GPT(config)
    studio.vault.add_version(user, None, model_tensors(model), name=name, config=config.to_dict(), tokenizer=tokenizer)
    return model


def _final_weights(studio, user, run_id):
    from studio.core.training.checkpoints import store_named

    run = studio.runs.get(user, run_id)
    last = max((c for c in studio.runs.checkpoints(user, run_id) if not c.is_best), key=lambda c: c.step)
    return store_named("vault").read(studio, user, run, last).section("model")


def _frozen(settings, **changes):
    """Settings whose training barely moves the weights (to see where it started)."""
    train = {"lr": 1e-9, "weight_decay": 0.0, "warmup_steps": 0, "max_steps": 2, "eval_every": 2}
    return settings(checkpoint_store="vault", model={}, train=train, **changes)


def test_fine_tuning_starts_from_the_version_with_its_shape(studio, make_user, settings, token_folder, in_thread):
    user = make_user("trainer")
    tokenizer = json.loads((token_folder / "tokenizer.json").read_text())
    base = _store(studio, user, "base", tokenizer=tokenizer)
    plan = studio.runs.plan(user, _frozen(settings, source="base"), estimate=False)
    assert plan.source_label == "base:1" and plan.model_config.n_embd == 16
    run = studio.runs.start(user, _frozen(settings, source="base"))
    done = studio.runs.wait(user, run.id, timeout_s=60, poll_s=0.05)
    assert done.status == "completed", done.message
    assert done.source_name == "base:1" and done.source_model_id is not None
    weights = _final_weights(studio, user, run.id)
    for name, tensor in model_tensors(base).items():
        torch.testing.assert_close(weights[name], tensor, atol=1e-6, rtol=0)


def test_a_dataset_with_another_tokenizer_is_refused(studio, make_user, settings, in_thread):
    user = make_user("trainer")
    _store(studio, user, "other-tok", tokenizer={"studio_tokenizer": "something else"})
    with pytest.raises(ValidationError) as info:
        studio.runs.start(user, _frozen(settings, source="other-tok"))
    assert info.value.field == "dataset" and "another tokenizer" in str(info.value)
    assert studio.runs.list(user) == []


def test_a_vocabulary_of_another_size_needs_resize(studio, make_user, settings, in_thread):
    user = make_user("trainer")
    _store(studio, user, "wide", vocab=VOCAB + 11)
    with pytest.raises(ValidationError) as info:
        studio.runs.plan(user, _frozen(settings, source="wide"), estimate=False)
    assert info.value.field == "dataset" and "resize the vocabulary" in str(info.value)
    run = studio.runs.start(user, _frozen(settings, source="wide", resize_vocab=True))
    done = studio.runs.wait(user, run.id, timeout_s=60, poll_s=0.05)
    assert done.status == "completed" and done.model_config["vocab_size"] == VOCAB


def test_only_dropout_may_change_when_fine_tuning(studio, make_user, settings, in_thread):
    user = make_user("trainer")
    _store(studio, user, "fixed")
    with pytest.raises(ValidationError) as info:
        studio.runs.plan(user, settings(checkpoint_store="vault", source="fixed", model={"n_layer": 3}), estimate=False)
    assert info.value.field == "n_layer"


def test_a_hugging_face_gpt2_import_can_be_fine_tuned(studio, make_user, settings, tmp_path, in_thread):
    from studio.core.models.hf import export_hf

    user = make_user("trainer")
    config = GPTConfig(vocab_size=VOCAB, block_size=16, n_layer=2, n_head=2, n_embd=16)
    torch.manual_seed(4)
    model = GPT(config)
    export_hf(model, tmp_path / "hf")
    # stored as the import of a GPT-2 folder stores it (HF config, Conv1D layout); a folder import would also
    # want a real tokenizer, which this test's token files do not have
    from safetensors.torch import load_file

    studio.vault.add_version(user, None, load_file(tmp_path / "hf" / "model.safetensors"), name="hf-base",
                             config=json.loads((tmp_path / "hf" / "config.json").read_text()), kind="import")
    run = studio.runs.start(user, _frozen(settings, source="hf-base"))
    done = studio.runs.wait(user, run.id, timeout_s=60, poll_s=0.05)
    assert done.status == "completed", done.message
    weights = _final_weights(studio, user, run.id)
    for name, tensor in model_tensors(model).items():
        torch.testing.assert_close(weights[name], tensor, atol=1e-6, rtol=0)


def test_start_from_lists_float_versions_and_kept_checkpoints_not_quantized_ones(studio, make_user, settings,
                                                                                 token_folder, in_thread):
    user = make_user("trainer")
    tokenizer = json.loads((token_folder / "tokenizer.json").read_text())
    base = _store(studio, user, "base", tokenizer=tokenizer)
    # a quantized version on top (what a compression leaves as the newest): not something to train further
    studio.vault.add_version(user, "base", model_tensors(base), config=base.config.to_dict(), tokenizer=tokenizer,
                             kind="compressed", metadata={"compression": {"recipe": {"quant": "int8"}}})
    run = studio.runs.start(user, settings(name="ckpt", checkpoint_store="vault"))
    done = studio.runs.wait(user, run.id, timeout_s=60, poll_s=0.05)
    sources = studio.runs.fine_tune_sources(user)
    assert [(s.model_name, s.version) for s in sources if s.model_name == "base"] == [("base", 1)]
    checkpoints = [s for s in sources if s.model_id == done.checkpoint_model_id]
    assert {s.kind for s in checkpoints} == {"checkpoint"} and {s.step for s in checkpoints} == {8, 12}
    assert any(s.slot == "best" and s.val_loss is not None for s in checkpoints)
    # and each one starts a run
    best = next(s for s in checkpoints if s.slot == "best")
    plan = studio.runs.plan(user, settings(checkpoint_store="vault", model={}, source=best.ref), estimate=False)
    assert plan.source_label == f"ckpt (run {run.id}):{best.version}"
    viewer = make_user("viewer")
    with pytest.raises(Exception, match="not allowed|denied|may not"):
        studio.runs.fine_tune_sources(viewer)
