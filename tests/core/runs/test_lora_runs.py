"""LoRA and full fine-tuning of Hugging Face families through the run service (workers in threads): exact
resume of a LoRA run from its adapter-only checkpoint, the adapter as a small vault version that runs on its
base, and its merge into a full version."""

import numpy as np
import pytest
import torch

from studio.core.errors import ValidationError
from tests.finetune_fixtures import chat_dataset, finetune_settings, vault_family


def _curve(studio, user, run_id):
    return studio.runs.metrics(user, run_id, ["train_loss"])["train_loss"]


def test_a_lora_run_resumes_exactly_and_its_adapter_runs_on_the_base_and_merges(studio, make_user, tmp_path,
                                                                                in_thread):
    user = make_user("trainer")
    vault_family(studio, user, "llama", tmp_path, name="tl")
    chat_dataset(studio, user, "tl", tmp_path)
    lora = dict(lora=True, lora_rank=4, lora_alpha=8.0, lora_dropout=0.1)
    plan = studio.runs.plan(user, finetune_settings("chat-tl", "tl", **lora), estimate="flops")
    assert plan.estimate.trainable_parameters > 0 and plan.estimate.gradients_bytes == 4 * plan.estimate.trainable_parameters
    straight = studio.runs.start(user, finetune_settings("chat-tl", "tl", name="straight", **lora))
    done = studio.runs.wait(user, straight.id, timeout_s=120, poll_s=0.05)
    assert done.status == "completed", done.message

    def stop_at_7(worker, step):
        if step == 7:
            studio.runs.stop(user, worker.run_id)

    in_thread.before_step = stop_at_7
    split = studio.runs.start(user, finetune_settings("chat-tl", "tl", name="split", **lora))
    assert studio.runs.wait(user, split.id, timeout_s=120, poll_s=0.05).step == 7
    in_thread.before_step = None
    studio.runs.resume(user, split.id)
    resumed = studio.runs.wait(user, split.id, timeout_s=120, poll_s=0.05)
    assert resumed.status == "completed" and resumed.attempt == 2, resumed.message
    a, b = _curve(studio, user, straight.id), _curve(studio, user, split.id)
    np.testing.assert_array_equal(b.steps, np.arange(1, 21))
    np.testing.assert_allclose(b.values, a.values, rtol=0, atol=1e-6)
    assert a.values[-1] < a.values[0]  # it learns

    # the checkpoints are adapter versions: small, naming their base, no base weights inside
    versions = studio.vault.versions(user, done.checkpoint_model_id)
    last = max((v for v in versions if v.metadata.get("slot", "").startswith("last")), key=lambda v: v.number)
    names = {art.name for art in last.artifacts}
    assert {"adapter_config.json", "model.safetensors", "training-state.safetensors"} <= names
    loaded = studio.vault.load(user, done.checkpoint_model_id, last.number)
    assert loaded.tensors and all(".lora_" in k for k in loaded.tensors)
    base = studio.vault.load(user, "tl")
    assert sum(t.numel() for t in loaded.tensors.values()) < 0.2 * sum(t.numel() for t in base.tensors.values())
    assert last.metadata["base"]["label"] == "tl:1" and "LoRA r4" in last.architecture

    # it runs on its base: sampling and the merged version give the same logits
    adapted = studio.runs.load_model(user, f"model:{done.checkpoint_model_id}:{last.number}")
    merged_info = studio.vault.merge_adapter(user, done.checkpoint_model_id, last.number, name="tl-tuned")
    assert merged_info.kind == "merged" and merged_info.model_name == "tl-tuned"
    merged = studio.runs.load_model(user, "model:tl-tuned")
    plain = studio.runs.load_model(user, "model:tl")
    ids = torch.randint(0, 256, (1, 12), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        la = adapted.family.forward(adapted.model, ids)[0]
        lm = merged.family.forward(merged.model, ids)[0]
        lb = plain.family.forward(plain.model, ids)[0]
    torch.testing.assert_close(lm, la, atol=1e-5, rtol=0)
    assert (la - lb).abs().max() > 1e-4  # the adapter changed something
    assert "chat_template" in studio.vault.load(user, "tl-tuned").files["tokenizer_config.json"].decode()
    text = "".join(studio.runs.sample(user, "model:tl-tuned", "Tell me", _greedy()))
    assert isinstance(text, str)


def _greedy():
    from studio.core.models.generate import SamplingConfig

    return SamplingConfig(max_new_tokens=5, greedy=True)


def test_full_fine_tuning_of_a_family_model_trains_every_weight(studio, make_user, tmp_path, in_thread):
    user = make_user("trainer")
    vault_family(studio, user, "qwen2", tmp_path, name="q")
    chat_dataset(studio, user, "q", tmp_path)
    run = studio.runs.start(user, finetune_settings("chat-q", "q", train={"max_steps": 6}))
    done = studio.runs.wait(user, run.id, timeout_s=120, poll_s=0.05)
    assert done.status == "completed", done.message
    assert done.model_config["model_type"] == "qwen2"
    last = max(studio.runs.checkpoints(user, run.id), key=lambda c: c.step)
    tuned = studio.vault.load(user, done.checkpoint_model_id, last.ref["version"]).tensors
    base = studio.vault.load(user, "q").tensors
    changed = [n for n in base if n in tuned and not torch.equal(base[n].float(), tuned[n].float())]
    assert len(changed) > 0.8 * len(base)
    # its checkpoints chat with the source's template and end-of-turn ids (they keep only tokenizer.json)
    chat = studio.runs.open_chat(user, f"run:{run.id}")
    assert chat.loaded.tokenizer.has_chat_template
    reply = "".join(chat.reply("Tell me thing 1.", _greedy()))
    assert chat.messages[-1] == {"role": "assistant", "content": reply}


def test_lora_settings_are_checked_with_their_field(studio, make_user, tmp_path):
    user = make_user("trainer")
    vault_family(studio, user, "llama", tmp_path, name="tl")
    chat_dataset(studio, user, "tl", tmp_path)
    for changes, field in ((dict(lora_rank=0), "lora_rank"), (dict(lora_alpha=-1.0), "lora_alpha"),
                           (dict(lora_dropout=1.5), "lora_dropout"), (dict(lora_targets=("nope",)), "lora_targets")):
        with pytest.raises(ValidationError) as info:
            studio.runs.plan(user, finetune_settings("chat-tl", "tl", lora=True, **changes), estimate=False)
        assert info.value.field == field, (changes, str(info.value))
    with pytest.raises(ValidationError) as info:
        studio.runs.plan(user, finetune_settings("chat-tl", None, lora=True), estimate=False)
    assert info.value.field == "lora"
    with pytest.raises(ValidationError) as info:
        studio.runs.plan(user, finetune_settings("chat-tl", "tl", fsdp=True), estimate=False)
    assert info.value.field == "fsdp"


def test_lora_recover_trains_adapters_and_returns_merged_weights():
    from studio.core.models.family import family_of
    from studio.core.training.config import LoraConfig
    from studio.core.training.data import TokenSplit, TrainData
    from studio.core.training.recover import lora_recover
    from tests.hf_families import hf_model

    model = hf_model("qwen3")
    family = family_of(model)
    tensors = {k: v.clone() for k, v in family.tensors(model).items()}
    data = TrainData(TokenSplit(np.tile(np.arange(5, 60, dtype=np.uint16), 60)))
    seen = []
    out = lora_recover(family.config(model), tensors, data, steps=8, lr=3e-3, lora=LoraConfig(rank=2),
                       seq_len=16, on_step=seen.append)
    assert [m.step for m in seen] == list(range(1, 9)) and seen[-1].train_loss < seen[0].train_loss
    assert set(out) == set(tensors)
    changed = {n for n in out if not torch.equal(out[n], tensors[n].float())}
    assert changed and all(n.endswith("proj.weight") for n in changed)  # only the adapted layers moved
