"""The Generate view's chat mode over the real run service: a system prompt and turns rendered with the model's
chat template (what the model reads is shown), the reply streamed off the GUI thread, Stop keeping what came,
a model without a template refused in words; the raw mode stays as it was."""

from __future__ import annotations

import json
import threading

import pytest

from studio.gui.panes.training.backend import GenerationSource
from studio.gui.panes.training.generate_view import CHAT, RAW, GenerateView
from studio.gui.panes.training.service_backend import ServiceBackend
from tests.hf_families import save_folder


@pytest.fixture
def chat(window, qtbot, tmp_path):
    """A GenerateView in chat mode on a tiny Qwen2 (ChatML template) in the vault, over the service backend."""
    studio, user = window.ctx.studio, window.ctx.session
    version = studio.vault.import_path(user, save_folder("qwen2", tmp_path / "qw"), name="qw").version
    backend = ServiceBackend(studio)
    threads = []

    def chat_fn(source, messages, settings, should_stop, stats, on_prompt):
        threads.append(threading.current_thread())
        return backend.chat(user, source, messages, settings, should_stop, stats, on_prompt)

    view = GenerateView()
    qtbot.addWidget(view)
    view.chat_fn = chat_fn
    view.set_sources([("qw v1", GenerationSource(model_id=version.model_id, version=1, label="qw v1"), None)])
    view.set_mode(CHAT)
    view.greedy.setChecked(True)
    view.max_tokens.setValue(8)
    view.threads = threads
    return view, studio, user


def _send(qtbot, view, text):
    view.chat.message.setPlainText(text)
    view.chat.send_button.click()
    assert view.chat.busy and not view.source.isEnabled() and not view.mode.isEnabled()
    qtbot.waitUntil(lambda: not view.chat.busy, timeout=30_000)


def test_turns_in_the_models_template_streamed_off_the_gui_thread(qtbot, chat):
    from studio.core.models.generate import SamplingConfig

    view, studio, user = chat
    assert view.pages.currentWidget() is view.chat and view.raw_controls.isHidden()
    view.chat.system.setPlainText("Be brief.")
    _send(qtbot, view, "hello")
    assert view.threads and all(t is not threading.main_thread() for t in view.threads)
    first = view.chat.messages[-1]["content"]
    # the same reply as the service's own chat gives for this conversation, greedy
    expected = "".join(studio.runs.chat(user, "qw", [{"role": "system", "content": "Be brief."},
                                                     {"role": "user", "content": "hello"}],
                                        SamplingConfig(max_new_tokens=8, greedy=True)))
    assert first == expected
    assert [m["role"] for m in view.chat.messages] == ["user", "assistant"]
    assert view.chat.rendered.toPlainText() == (
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n")
    text = view.chat.transcript_text()
    assert "You" in text and "hello" in text and "Assistant" in text
    assert view.chat.status.text().startswith("Done.") and view.source.isEnabled()

    _send(qtbot, view, "again")  # the second turn carries the first
    assert [m["role"] for m in view.chat.messages] == ["user", "assistant", "user", "assistant"]
    assert f"<|im_start|>assistant\n{first}<|im_end|>\n<|im_start|>user\nagain" in view.chat.rendered.toPlainText()

    view.max_tokens.setValue(100)  # and Stop: the reply keeps what it got
    view.chat.message.setPlainText("tell me more")
    view.chat.send_button.click()
    view.chat.stop()
    qtbot.waitUntil(lambda: not view.chat.busy, timeout=30_000)
    assert view.chat.messages[-1]["role"] == "assistant" and len(view.chat.messages) == 6
    assert view.chat.new_button.isEnabled()
    view.chat.new_button.click()
    assert view.chat.messages == [] and "hello" not in view.chat.transcript_text()

    view.set_mode(RAW)  # the raw mode is still there
    assert view.pages.currentWidget() is not view.chat and not view.raw_controls.isHidden()


def test_a_model_without_a_chat_template_is_refused_in_words(qtbot, window, tmp_path):
    studio, user = window.ctx.studio, window.ctx.session
    folder = save_folder("gpt_neox", tmp_path / "nx")
    config = json.loads((folder / "tokenizer_config.json").read_text())
    del config["chat_template"]
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    version = studio.vault.import_path(user, folder, name="nx").version
    backend = ServiceBackend(studio)
    view = GenerateView()
    qtbot.addWidget(view)
    view.chat_fn = lambda s, m, st, stop, stats, on_prompt: backend.chat(user, s, m, st, stop, stats, on_prompt)
    view.set_sources([("nx v1", GenerationSource(model_id=version.model_id, version=1), None)])
    view.set_mode(CHAT)
    _send(qtbot, view, "hello")
    assert "no chat template" in view.chat.status.text() and "Raw mode" in view.chat.status.text()
    assert view.chat.messages == [] and view.chat.message.toPlainText() == "hello"  # the text comes back
