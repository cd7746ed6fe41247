"""The Serving pane over the real server: start from the pane, requests from OpenAI's client appear in the
live table with their tokens and outcome, stop; and API keys in Users & Access (shown once, copied, revoked)."""

from __future__ import annotations

import openai
import torch
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from studio.core.models.gpt import model_tensors
from tests.core.serving.conftest import TOKENIZER, tiny_gpt


def test_serving_pane_starts_serves_and_stops(window, qtbot, monkeypatch):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    studio = window.ctx.studio
    root = window.ctx.session
    model = tiny_gpt()
    studio.vault.add_version(root, None, model_tensors(model), name="tiny", config=model.config.to_dict(),
                             tokenizer=TOKENIZER.to_json())
    studio.accounts.create_user(root, "guest", "viewer", "Quartz-Falcon-7319")
    guest = studio.accounts.login("guest", "Quartz-Falcon-7319")
    key = studio.keys.create(root, "pane test").token
    guest_key = studio.keys.create(guest, "no grant").token

    pane = window.show_pane("serving")
    qtbot.waitUntil(lambda: pane.models_list.count() == 1, timeout=10000)
    assert pane.chosen() == ["tiny:1"]  # the only model is ticked
    pane.host.setText("0.0.0.0")
    assert pane.warning.isVisibleTo(pane) and "plain HTTP" in pane.warning.text()
    pane.host.setText("127.0.0.1")
    assert not pane.warning.isVisibleTo(pane)
    pane.port.setValue(0)
    pane.start_button.click()
    qtbot.waitUntil(lambda: pane.server is not None, timeout=30000)
    assert not pane.start_button.isEnabled() and pane.stop_button.isEnabled()
    assert pane.working()  # a language change waits for the server to stop before it rebuilds the pane
    assert pane.server.url in pane.status.text() and pane.stats["served"].text() == "tiny:1"
    try:
        with openai.OpenAI(base_url=pane.server.url, api_key=key, max_retries=0, timeout=60) as client:
            for _ in range(3):
                client.chat.completions.create(model="tiny", messages=[{"role": "user", "content": "hi"}],
                                               max_tokens=6, temperature=0)
        with openai.OpenAI(base_url=pane.server.url, api_key=guest_key, max_retries=0, timeout=60) as client:
            try:
                client.completions.create(model="tiny", prompt="x", max_tokens=2)
            except openai.PermissionDeniedError:
                pass
        qtbot.waitUntil(lambda: pane.requests.rowCount() == 4, timeout=10000)
        newest, oldest = pane.requests.rows[0], pane.requests.rows[-1]
        assert (newest.user, newest.status) == ("guest", 403)
        assert (oldest.user, oldest.model, oldest.completion_tokens, oldest.status) == ("root", "tiny:1", 6, 200)
        assert pane.requests.index(0, 8).data() == "denied (403)"
        assert pane.stats["requests"].text() == "4" and pane.stats["errors"].text() == "1"
    finally:
        pane.stop_button.click()
        qtbot.waitUntil(lambda: pane.server is None, timeout=30000)
        torch.set_num_threads(threads)
    assert pane.status.text() == "Stopped." and pane.start_button.isEnabled()
    actions = [e.action for e in studio.audit_store.page(limit=15)]
    assert "serve.stop" in actions and "serve.start" in actions
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    assert pane.close_requested()  # nothing running: closing needs no question


def test_api_keys_in_users_and_access(window, qtbot, monkeypatch):
    from studio.gui.panes.users import keys as keys_module

    pane = window.show_pane("users")
    box = pane.keys_box
    assert box.model.rows == []

    def fill(dialog):
        dialog.name.setText("laptop")
        dialog.expires.setCurrentIndex(2)  # 30 days
        dialog.rate.setValue(30)
        return keys_module.NewKeyDialog.DialogCode.Accepted

    shown = {}

    def show(dialog):
        shown["token"] = dialog.key.text()
        dialog.copy()
        return 0

    monkeypatch.setattr(keys_module.NewKeyDialog, "exec", fill)
    monkeypatch.setattr(keys_module.ShowKeyDialog, "exec", show)
    box.new_key()
    qtbot.waitUntil(lambda: "token" in shown, timeout=10000)
    assert shown["token"].startswith("msk_")
    assert QGuiApplication.clipboard().text() == shown["token"]
    [key] = box.model.rows
    assert (key.name, key.rate_per_min, key.status) == ("laptop", 30, "active") and key.expires_at is not None
    assert box.model.index(0, 2).data() == shown["token"][:12] + "…"
    box.table.selectRow(0)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    box.revoke()
    qtbot.waitUntil(lambda: box.model.rows and box.model.rows[0].status == "revoked", timeout=10000)
    assert "Revoked" in pane.message.text()


def test_the_back_end_choice_follows_what_the_ticked_models_allow(window, qtbot, monkeypatch, tmp_path):
    """The pane offers torch and llama.cpp; llama.cpp is disabled, with the reason as its tooltip, when a
    ticked model has no GGUF architecture or llama-cpp-python is missing (serving's own check); Start
    passes the choice on (options())."""
    from studio.core.serving import backends
    from tests.hf_families import save_folder

    studio = window.ctx.studio
    root = window.ctx.session
    model = tiny_gpt()
    studio.vault.add_version(root, None, model_tensors(model), name="tiny", config=model.config.to_dict(),
                             tokenizer=TOKENIZER.to_json())
    studio.vault.import_path(root, save_folder("gpt_neox", tmp_path / "neox"), name="neox")

    pane = window.show_pane("serving")
    qtbot.waitUntil(lambda: pane.models_list.count() == 2 and pane._task is None, timeout=10000)
    llama = pane.backend.findData("llama.cpp")
    item = pane.backend.model().item(llama)
    pane.set_chosen(["tiny:1"])
    assert item.isEnabled() and item.toolTip() == ""
    pane.backend.setCurrentIndex(llama)
    assert pane.options().backend == "llama.cpp"

    pane.set_chosen(["tiny:1", "neox:1"])
    assert not item.isEnabled() and "'gpt_neox'" in item.toolTip()
    assert pane.options().backend == "torch" and "'gpt_neox'" in pane.backend.toolTip()

    pane.set_chosen(["tiny:1"])
    assert item.isEnabled()
    pane.backend.setCurrentIndex(llama)
    assert pane.backend.isEnabled()  # (starting on llama.cpp: tests/core/serving/test_api.py)
    pane.server = object()  # a running server locks the choice
    pane._update_buttons()
    assert not pane.backend.isEnabled()
    pane.server = None
    pane._update_buttons()

    monkeypatch.setattr(backends, "llama_cpp_available", lambda: False)
    pane.load_models()
    qtbot.waitUntil(lambda: pane._task is None and "not installed" in item.toolTip(), timeout=10000)
    assert not item.isEnabled() and pane.options().backend == "torch"
