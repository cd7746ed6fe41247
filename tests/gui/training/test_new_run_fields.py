"""The New-run form offers every engine setting, and its checks name the field at fault."""

from __future__ import annotations

from dataclasses import fields

from studio.core.models.config import GPTConfig
from studio.core.training.config import TrainConfig
from studio.gui.panes.training.backend import DatasetChoice
from studio.gui.panes.training.new_run.fields import FIELD, FIELDS
from studio.gui.panes.training.new_run.validation import ERROR, WARNING, check

# Set by the dataset's tokenizer, or by pruning (issue 8), never by hand.
NOT_IN_FORM = {"vocab_size", "layer_heads", "layer_mlp"}


def test_every_model_and_training_setting_has_a_field_with_the_engines_default():
    for cls, target in ((GPTConfig, "model"), (TrainConfig, "train")):
        for f in fields(cls):
            if f.name in NOT_IN_FORM:
                continue
            assert f.name in FIELD and FIELD[f.name].target == target, f.name
            default = f.default
            if f.name in ("seq_len", "n_inner"):
                default = 0  # the form's "0 = the model's context / 4 x width"
            assert FIELD[f.name].default == default, f.name
    options = {f.key for f in FIELDS if f.target == "options"}
    assert options == {"checkpoint_every", "keep_last", "keep_best", "nproc", "resize_vocab", "fsdp", "lora_rank",
                       "lora_alpha", "lora_dropout", "lora_targets"}
    from studio.core.services.runs import RunSettings

    settings = {f.name: f.default for f in fields(RunSettings)}
    assert options <= set(settings)  # each is a run setting of that name, with its default
    for key in options - {"lora_targets"}:  # targets: "" in the form, () in the settings (the family's defaults)
        assert FIELD[key].default == settings[key], key


def values(**changes):
    v = {f.key: f.default for f in FIELDS}
    v.update({"name": "r", "max_steps": 2000, **changes})
    return v


DATA = DatasetChoice(1, "d", 65, 100_000, 10_000)


def test_checks():
    assert check(values(), DATA) == {}
    assert check(values(lr=0.0), DATA)["lr"].level == ERROR
    assert check(values(seq_len=256), DATA)["seq_len"].level == ERROR  # context 128
    assert check(values(batch_size=4096), DATA)["batch_size"].level == WARNING
    assert check(values(block_size=200_000), DATA)["seq_len"].level == ERROR  # longer than the split
    no_val = DatasetChoice(2, "d", 65, 100_000, 0)
    assert check(values(), no_val)["dataset"].level == WARNING
    assert check(values(patience=2), no_val)["patience"].level == ERROR
    assert check(values(n_head=3), DATA)["n_head"].level == ERROR
    assert check(values(min_lr=0.1), DATA)["min_lr"].level == ERROR
    assert check(values(optimizer="lion"), DATA)["optimizer"].level == ERROR
    assert check(values(name=" "), DATA)["name"].level == ERROR
    assert check(values(), DATA, name_taken=True)["name"].level == ERROR
    assert check(values(), None)["dataset"].level == ERROR
    assert check(values(fsdp=True), DATA)["fsdp"].level == ERROR  # one process: nothing to shard over
    assert "fsdp" not in check(values(fsdp=True, nproc=2), DATA)
    assert check(values(lora=True, lora_rank=0), DATA)["lora_rank"].level == ERROR
    assert check(values(lora=True, lora_dropout=1.0), DATA)["lora_dropout"].level == ERROR
    assert check(values(lora=True, lora_targets="q_proj, model.v_proj"), DATA)["lora_targets"].level == ERROR
    assert check(values(lora=False, lora_rank=0), DATA) == {}  # a full fine-tune ignores the LoRA settings
