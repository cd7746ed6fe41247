"""LoRA on a GPT-2 that the native GPT cannot represent (here: relu), which the transformers family runs with
GPT-2's Conv1D layers (weight stored (in, out)): they are LoRA's targets, the adapter trains, resumes exactly,
merges to the adapted model's logits, the estimate counts it, and FSDP finds the blocks."""

import numpy as np
import pytest
import torch

from studio.core.models.family import family_for_config, family_of
from studio.core.training.config import LoraConfig, TrainConfig
from studio.core.training.data import TokenSplit, TrainData


@pytest.fixture(scope="module")
def relu_gpt2():
    import transformers

    config = transformers.GPT2Config(vocab_size=64, n_embd=16, n_layer=2, n_head=2, n_positions=32,
                                     activation_function="relu")
    torch.manual_seed(3)
    model = transformers.AutoModelForCausalLM.from_config(config).eval()
    family = family_of(model)
    return family.config(model), {k: v.detach().clone() for k, v in family.tensors(model).items()}


def _build(config, tensors):
    family = family_for_config(config)
    return family, family.build(config, {k: v.clone() for k, v in tensors.items()})


def test_gpt2_conv1d_layers_are_lora_targets_and_the_merge_gives_the_adapted_logits(relu_gpt2):
    from transformers.pytorch_utils import Conv1D

    from studio.core.models.lora import apply_lora, fan_in_fan_out, merge_lora, target_choices
    from studio.core.training.sharding import blocks

    config, tensors = relu_gpt2
    family, model = _build(config, tensors)
    assert family.name == "transformers"  # relu: not the native GPT's
    assert not family.linear_layers(model)  # what the compressor quantizes: nn.Linear only
    assert family.lora_targets(model) == ["c_attn", "c_fc", "c_proj"]
    assert target_choices(config)[0] == ["c_attn", "c_fc", "c_proj"]
    assert len(blocks(model)) == 2
    ids = torch.randint(0, 64, (2, 12), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        before = family.forward(model, ids)[0]
    paths = apply_lora(model, LoraConfig(rank=2, alpha=4.0, dropout=0.0))
    assert len(paths) == 8 and all(isinstance(model.get_submodule(p).get_base_layer(), Conv1D) for p in paths)
    assert fan_in_fan_out(model, paths)  # what the adapter's config tells peft
    with torch.no_grad():
        torch.testing.assert_close(family.forward(model, ids)[0], before, atol=0, rtol=0)  # lora_B is zero
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.2)
        adapted = family.forward(model, ids)[0]
    assert (adapted - before).abs().max() > 1e-3
    merged = merge_lora(model.eval())
    with torch.no_grad():
        torch.testing.assert_close(family.forward(merged, ids)[0], adapted, atol=1e-5, rtol=0)
    out = family.tensors(merged)
    changed = sorted(n for n in tensors if not torch.equal(out[n], tensors[n]))
    assert changed and all(n.rsplit(".", 2)[-2] in ("c_attn", "c_fc", "c_proj") for n in changed)


def test_a_gpt2_conv1d_lora_run_resumes_exactly_and_the_estimate_counts_its_adapters(relu_gpt2):
    from studio.core.models.estimate import model_counts
    from studio.core.training.trainer import Trainer

    config, tensors = relu_gpt2
    data = TrainData(TokenSplit(np.tile(np.arange(1, 60, dtype=np.uint16), 30)))
    cfg = TrainConfig(max_steps=6, batch_size=2, seq_len=16, lr=1e-2, warmup_steps=0, schedule="constant",
                      eval_every=100, seed=2, device="cpu", threads=1)
    lora = LoraConfig(rank=2, alpha=4.0, dropout=0.1)
    straight = Trainer(config, cfg, data, weights=tensors, lora=lora)
    losses, blob = [], None
    for m in straight.steps():
        losses.append(m.train_loss)
        if m.step == 3:
            blob = straight.state_bytes()
    assert losses[-1] < losses[0]
    # 8 Conv1D layers of rank 2: 2 x (in + out) each
    adapter = 2 * 2 * ((16 + 48) + (16 + 16) + (16 + 64) + (64 + 16))
    assert straight.trainable_parameters == adapter == model_counts(config, lora).adapter
    resumed = Trainer.from_state(blob, data, base=tensors)
    np.testing.assert_array_equal([m.train_loss for m in resumed.steps()], losses[3:])
