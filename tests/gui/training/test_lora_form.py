"""New run, "Fine-tune a vault model": Full or LoRA with its settings (the target modules' placeholder shows
the model family's defaults), the FSDP setting, and the estimate that knows LoRA; the run it starts is a LoRA
run of the chosen model, and a clone brings the LoRA settings back."""

from __future__ import annotations

from tests.finetune_fixtures import chat_dataset, vault_family

TINY = {"max_steps": 2, "batch_size": 2, "seq_len": 32, "eval_every": 2, "eval_batches": 1, "warmup_steps": 0,
        "checkpoint_every": 2, "device": "cpu", "threads": 1}


def _dialog(window, qtbot):
    pane = window.show_pane("training")
    pane.open_new_run()
    qtbot.waitUntil(lambda: getattr(pane, "new_run_dialog", None) is not None, timeout=10_000)
    return pane, pane.new_run_dialog


def _choose(dialog, name):
    index = next(i for i in range(dialog.start_from.count())
                 if dialog.start_from.itemData(i) is not None and dialog.start_from.itemData(i).name == name)
    dialog.start_from.setCurrentIndex(index)


def test_lora_settings_estimate_and_start(window, qtbot, tmp_path, in_thread):
    studio, user = window.ctx.studio, window.ctx.session
    vault_family(studio, user, "llama", tmp_path, name="tl")
    chat_dataset(studio, user, "tl", tmp_path, n=20)
    pane, dialog = _dialog(window, qtbot)
    assert dialog.finetune.isHidden()  # from scratch: nothing to fine-tune
    _choose(dialog, "tl")
    assert not dialog.finetune.isHidden()
    assert not dialog.editor("lora_rank").isEnabled()  # Full: the LoRA settings do not apply
    for key, value in TINY.items():
        dialog.set_value(key, value)
    dialog.finetune.set_lora(True)
    assert dialog.editor("lora_rank").isEnabled()
    dialog.set_value("lora_rank", 4)
    targets = dialog.editor("lora_targets")
    qtbot.waitUntil(lambda: "adapter parameters" in dialog.estimate_label.text(), timeout=30_000)
    assert targets.placeholderText() == "default: down_proj, gate_proj, k_proj, o_proj, q_proj, up_proj, v_proj"
    assert "frozen" in dialog.estimate_label.text()
    # the estimate's trained share is the adapters: LoRA rank 4 on 7 layers of width 32/64 of a 112K model
    spec = dialog.spec()
    assert spec.options["lora"] is True and spec.options["lora_rank"] == 4 and spec.options["lora_targets"] == ()

    dialog.set_value("lora_targets", "q_proj v_proj")
    dialog.set_value("fsdp", True)
    assert "fsdp" in dialog.issues and not dialog.start_button.isEnabled()  # one process: nothing to shard over
    dialog.set_value("fsdp", False)
    dialog.set_value("lora_targets", "q_proj, v_proj")
    assert dialog.spec().options["lora_targets"] == ("q_proj", "v_proj")
    qtbot.waitUntil(lambda: dialog.start_button.isEnabled(), timeout=5000)
    dialog.start_button.click()
    qtbot.waitUntil(lambda: pane.new_run_dialog is None, timeout=30_000)
    run = next(r for r in studio.runs.list(user) if r.name == dialog.name.text())
    done = studio.runs.wait(user, run.id, timeout_s=120, poll_s=0.05)
    assert done.status == "completed", done.message
    assert done.options["lora"]["rank"] == 4 and done.options["lora"]["targets"] == ["q_proj", "v_proj"]
    assert done.source_name.startswith("tl")
    # The pane hears of the end at its next poll: until then, closing the window asks about a live run.
    qtbot.waitUntil(lambda: not pane.live_runs(), timeout=10_000)

    # a clone of the run comes back as LoRA with the same settings
    pane, clone = _dialog(window, qtbot)
    clone.load_settings(done)
    assert clone.finetune.lora and clone.value_of("lora_rank") == 4
    assert clone.value_of("lora_targets") == "q_proj, v_proj"
    assert not clone.finetune.isHidden()


def test_a_full_fine_tune_sends_no_lora_settings(window, qtbot, tmp_path):
    studio, user = window.ctx.studio, window.ctx.session
    vault_family(studio, user, "qwen2", tmp_path, name="qw")
    chat_dataset(studio, user, "qw", tmp_path, n=20)
    _, dialog = _dialog(window, qtbot)
    _choose(dialog, "qw")
    dialog.set_value("lora_rank", 16)  # set, but the method is Full
    spec = dialog.spec()
    assert "lora" not in spec.options and "lora_rank" not in spec.options
    dialog.reject()

