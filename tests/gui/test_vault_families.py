"""The Vault pane on Hugging Face models: each model's family, context length, tokenizer and chat template;
LoRA adapters listed under their base, merged (confirmed, on a worker thread, with progress) into a new model."""

from __future__ import annotations

import threading

import pytest

from tests.finetune_fixtures import chat_dataset, finetune_settings, vault_family


@pytest.fixture
def adapted(window, tmp_path, in_thread):
    """A tiny Llama "tl" in the vault and a 2-step LoRA run on it: (pane, the run's adapter model id)."""
    studio, user = window.ctx.studio, window.ctx.session
    vault_family(studio, user, "llama", tmp_path, name="tl")
    chat_dataset(studio, user, "tl", tmp_path, n=20)
    run = studio.runs.start(user, finetune_settings("chat-tl", "tl", name="tl-lora", lora=True, lora_rank=4,
                                                    train={"max_steps": 2, "eval_every": 2}, checkpoint_every=2))
    done = studio.runs.wait(user, run.id, timeout_s=120, poll_s=0.05)
    assert done.status == "completed", done.message
    pane = window.show_pane("vault")
    pane.refresh()
    return pane, done.checkpoint_model_id


def _column(pane, name, header):
    model = pane.models
    col = next(c for c in range(model.columnCount()) if model.header_text(c) == header)
    row = next(r for r in range(model.rowCount()) if model.row_at(r).name == name)
    return model.data(model.index(row, col))


def test_family_context_tokenizer_and_chat_template_of_an_imported_model(window, tmp_path):
    pane = window.show_pane("vault")
    vault_family(window.ctx.studio, window.ctx.session, "qwen2", tmp_path, name="qw")
    pane.refresh()
    assert pane.select_model("qw")
    fields = pane.details.fields
    assert fields["family"].text() == "qwen2 (Hugging Face transformers)"
    assert fields["context"].text() == "128 tokens"
    assert "Hugging Face tokenizer" in fields["tokenizer"].text()
    assert fields["chat"].text().startswith("yes")
    assert _column(pane, "qw", "Family") == "qwen2" and _column(pane, "qw", "Context") == "128"
    assert not pane.merge_action.isVisible()  # not an adapter: nothing to merge
    assert pane.details.adapters.adapters.rowCount() == 0


def test_chat_with_a_vault_model_in_a_window_of_its_own(qtbot, window, tmp_path):
    pane = window.show_pane("vault")
    vault_family(window.ctx.studio, window.ctx.session, "qwen2", tmp_path, name="qw")
    pane.refresh()
    assert pane.select_model("qw") and pane.chat_action.isEnabled()
    chat = pane.open_chat()
    view = chat.view
    assert view.mode.currentData() == "chat" and view.source.currentText().startswith("v1")
    view.greedy.setChecked(True)
    view.max_tokens.setValue(5)
    view.chat.message.setPlainText("hello")
    view.chat.send_button.click()
    qtbot.waitUntil(lambda: not view.chat.busy, timeout=30_000)
    assert [m["role"] for m in view.chat.messages] == ["user", "assistant"], view.chat.status.text()
    assert view.chat.rendered.toPlainText().endswith("<|im_start|>assistant\n")
    window.ctx.end_session(lock_only=True)  # locked: the window with the decrypted model goes
    assert not chat.isVisible()


def test_lora_adapters_show_under_their_base_and_merge_off_the_gui_thread(qtbot, adapted):
    pane, adapter_model = adapted
    assert pane.select_model("tl")
    tab = pane.details.adapters
    assert tab.adapters.rowCount() >= 1
    first = tab.adapters.row_at(0)
    assert first.model_id == adapter_model and tab.adapters.display(first, 1) == "4"  # rank 4
    assert tab.merge_button.isEnabled()
    # the adapter's own row says what it is
    name = first.model_name
    assert _column(pane, name, "Family") == "LoRA r4 on tl:1"

    threads = []
    real = pane.vault.merge_adapter
    pane.vault.merge_adapter = lambda *a, **k: (threads.append(threading.current_thread()), real(*a, **k))[1]
    progress = []
    dialog = pane.merge_dialog(first.model_id, first.number)
    assert dialog is not None and dialog.name.text() == f"{name} merged"
    dialog.name.setText("tl-merged")
    dialog.accept()  # confirmed: the merge starts on a worker thread, the progress bar bound to it
    assert pane.busy and not tab.merge_button.isEnabled() and not pane.import_action.isEnabled()
    pane._task.sig_task_progress.connect(progress.append)
    qtbot.waitUntil(lambda: not pane.busy, timeout=60000)
    assert threads and threads[0] is not threading.main_thread()
    assert progress
    assert "Merged into tl-merged version 1" in pane.notice.text(), pane.notice.text()
    d = pane.details.details
    assert d.model.name == "tl-merged" and d.versions[-1].kind == "merged"  # the new model is selected
    assert pane.details.fields["family"].text().startswith("llama")
    assert pane.details.fields["tokenizer"].text().startswith("Hugging Face")


def test_merge_of_an_adapter_is_offered_on_the_adapter_itself(adapted):
    pane, adapter_model = adapted
    assert pane.select_model(adapter_model)
    assert pane.merge_action.isVisible() and pane.merge_action.isEnabled()
    assert pane.details.fields["family"].text().startswith("LoRA adapter (rank 4) of tl:1")
    assert pane.details.fields["context"].text() == "128 tokens"  # the run's checkpoints say what model they hold
