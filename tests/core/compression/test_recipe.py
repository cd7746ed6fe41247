"""Recipes are checked before any work: clear messages naming the setting at fault."""

import pytest

from studio.core.compression.recipe import Recipe, kept_neurons
from studio.core.errors import ValidationError
from studio.core.models.config import GPTConfig

CONFIG = GPTConfig(vocab_size=50, block_size=32, n_layer=2, n_head=4, n_embd=96)


@pytest.mark.parametrize("recipe, field, text", [
    (Recipe(sparsity=0.96), "sparsity", "between 0 and 0.95"),
    (Recipe(sparsity=-0.1), "sparsity", "between 0 and 0.95"),
    (Recipe(sparsity=float("nan")), "sparsity", "number between 0 and 0.95"),
    (Recipe(quant="int3"), "quant", "Unknown quantization 'int3'"),
    (Recipe(quant="int4", group_size=48), "group_size", "one of 32, 64, 128"),
    (Recipe(), "sparsity", "does nothing"),
    (Recipe(recover_steps=10, quant="int8"), "recover_steps", "follows pruning"),
    (Recipe(sparsity=0.2, structured=True, scope="global"), "scope", "unstructured pruning only"),
    (Recipe(quant="int8", kernel="int4pack"), "kernel", "int4 models only"),
    (Recipe(sparsity=0.2, kernel="dynamic"), "kernel", "quantized models only"),
])
def test_bad_settings_get_a_clear_message(recipe, field, text):
    with pytest.raises(ValidationError, match=text) as info:
        recipe.validate()
    assert info.value.field == field


def test_a_group_size_that_does_not_divide_a_width_is_refused_with_a_hint():
    with pytest.raises(ValidationError, match=r"does not divide the embedding width, 96. Choose group size 32") as info:
        Recipe(quant="int4", group_size=64).check_model(CONFIG)
    assert info.value.field == "group_size"
    Recipe(quant="int4", group_size=32).check_model(CONFIG)


def test_the_check_sees_widths_after_structured_pruning():
    config = GPTConfig(vocab_size=50, block_size=32, n_layer=2, n_head=4, n_embd=128)  # heads of 32
    # 25% of 4 heads leaves 3 heads = 96 wide, which groups of 64 do not divide
    with pytest.raises(ValidationError, match=r"layer 0's attention width \(3 heads of 32\), 96"):
        Recipe(sparsity=0.25, structured=True, quant="int4", group_size=64).check_model(config)
    heads, mlp = Recipe(sparsity=0.25, structured=True, quant="int4", group_size=32).pruned_widths(config)
    assert heads == [3, 3] and mlp == [384, 384]


def test_structured_pruning_of_a_minimal_layer_is_refused():
    tiny = GPTConfig(vocab_size=50, block_size=8, n_layer=1, n_head=1, n_embd=8, n_inner=8)
    with pytest.raises(ValidationError, match="nothing left to remove"):
        Recipe(sparsity=0.5, structured=True).check_model(tiny)


def test_kept_neurons_round_up_to_the_multiple_and_never_exceed_the_width():
    assert kept_neurons(512, 0.25) == 384
    assert kept_neurons(100, 0.33) == 72  # 67 rounded up to a multiple of 8
    assert kept_neurons(6, 0.5) == 3  # narrower than the multiple: plain count
    assert kept_neurons(256, 0.95, 64) == 64


def test_labels_steps_and_dict_round_trip():
    r = Recipe(sparsity=0.3, quant="int8", recover_steps=50)
    assert r.label() == "prune 30% + recover 50 + int8"
    assert Recipe(quant="int4", group_size=64).label() == "int4-g64"
    assert Recipe(sparsity=0.25, structured=True).label() == "structured 25%"
    assert len(r.steps()) == 3 and r.steps()[0].startswith("Zero the 30% smallest")
    assert Recipe.from_dict(r.to_dict()) == r
    with pytest.raises(ValidationError, match="Unknown recipe settings: bogus"):
        Recipe.from_dict({"bogus": 1})
