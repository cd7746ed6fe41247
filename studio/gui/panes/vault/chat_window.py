"""Chat with a vault model: the Generate view (chat mode first, raw mode a click away) in a window of its own,
over the selected model's versions. Opened from the Vault pane (Chat…); it loads the model on a worker thread
at the first message, and stops its reply when it closes."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget

from studio.core.stores.vault import ModelDetails
from studio.gui.panes.training.backend import GenerationSource
from studio.gui.panes.training.generate_view import CHAT, GenerateView
from studio.gui.panes.training.service_backend import ServiceBackend


class ChatWindow(QDialog):
    def __init__(self, studio: Any, actor: Any, details: ModelDetails, version_label, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Chat with {model}").format(model=details.model.name))
        self.setObjectName("chatWindow")
        backend = ServiceBackend(studio)
        self.view = GenerateView()
        self.view.generate_fn = lambda source, prompt, settings, should_stop, stats=None: backend.generate(
            actor, source, prompt, settings, should_stop, stats)
        self.view.chat_fn = lambda source, messages, settings, should_stop, stats=None, on_prompt=None: backend.chat(
            actor, source, messages, settings, should_stop, stats, on_prompt)
        name = details.model.name
        self.view.set_sources([(version_label(v), GenerationSource(model_id=v.model_id, version=v.number,
                                                                   label=f"{name} · v{v.number}"), None)
                               for v in reversed(details.versions)])
        self.view.set_mode(CHAT)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        self.resize(1100, 700)

    def done(self, result: int) -> None:  # closed in any way: the reply stops before the next token
        self.view.close_generation()
        super().done(result)
