"""The Generate view's chat mode: a system prompt, the conversation so far (each turn under its role), the
user's next message, and the model's reply streaming in, rendered with the model's own chat template (what
the model reads is shown on request). Send, Stop (the reply keeps what it got so far, as in `studio chat`),
New conversation. The reply is made on a worker thread (Generation); the view never waits for it."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.gui.i18n import error_text
from studio.gui.panes.training.generation import Generation

# (source, messages, settings, should_stop, stats, on_prompt(text, dropped)) -> iterator of text pieces
ChatFn = Callable[..., Any]


class ChatView(QWidget):
    sig_prompt_rendered = Signal(str, int)  # the conversation as the template wrote it, turns left out
    sig_chat_busy = Signal(bool)  # a reply is being made (or no longer)

    def __init__(self, settings: Callable[[], dict[str, Any]], parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings
        self.chat_fn: ChatFn | None = None
        self.source: Callable[[], Any] = lambda: None
        self.messages: list[dict[str, str]] = []  # the conversation (the system prompt apart)
        self.generation: Generation | None = None
        self.busy = False
        self._reply = ""

        self.system = QPlainTextEdit()
        self.system.setObjectName("chatSystem")
        self.system.setPlaceholderText(self.tr("System prompt (optional): how the assistant should answer"))
        self.system.setMaximumHeight(60)
        self.transcript = QTextBrowser()
        self.transcript.setObjectName("chatTranscript")
        self.transcript.setOpenLinks(False)
        self.message = QPlainTextEdit()
        self.message.setObjectName("chatMessage")
        self.message.setPlaceholderText(self.tr("Your message (Ctrl+Enter sends it)"))
        self.message.setMaximumHeight(80)
        self.send_button = QPushButton(self.tr("Send"))
        self.send_button.setObjectName("chatSend")
        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.setObjectName("chatStop")
        self.new_button = QPushButton(self.tr("New conversation"))
        self.new_button.setObjectName("chatNew")
        self.send_button.clicked.connect(self.send)
        self.stop_button.clicked.connect(self.stop)
        self.new_button.clicked.connect(self.new_conversation)
        QShortcut(QKeySequence("Ctrl+Return"), self.message, activated=self.send)
        self.status = QLabel()
        self.status.setObjectName("chatStatus")
        self.status.setWordWrap(True)
        self.prompt_button = QToolButton()
        self.prompt_button.setText(self.tr("What the model reads (its chat template)"))
        self.prompt_button.setCheckable(True)
        self.prompt_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.prompt_button.setArrowType(Qt.ArrowType.RightArrow)
        self.rendered = QPlainTextEdit()
        self.rendered.setObjectName("chatRendered")
        self.rendered.setReadOnly(True)
        self.rendered.setVisible(False)
        self.prompt_button.toggled.connect(self._toggle_prompt)
        self.sig_prompt_rendered.connect(self._prompt_rendered)

        buttons = QHBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        buttons.addWidget(self.new_button)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.message)
        bottom_layout.addLayout(buttons)
        bottom_layout.addWidget(self.status)
        bottom_layout.addWidget(self.prompt_button)
        bottom_layout.addWidget(self.rendered)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.transcript)
        split.addWidget(bottom)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(self.tr("System prompt")))
        layout.addWidget(self.system)
        layout.addWidget(split, 1)
        self._render()
        self._update_buttons()

    # -- the conversation ---------------------------------------------------------------------------------
    def conversation(self) -> list[dict[str, str]]:
        """What the model is asked to answer: the system prompt (if any), then the turns."""
        system = self.system.toPlainText().strip()
        return ([{"role": "system", "content": system}] if system else []) + list(self.messages)

    def _role(self, role: str) -> str:
        return {"user": self.tr("You"), "assistant": self.tr("Assistant"), "system": self.tr("System")}.get(role, role)

    def _render(self, streaming: str | None = None) -> None:
        """The transcript: each turn under its role; the reply being written last."""
        parts = []
        for m in self.messages:
            parts.append(self._turn_html(m["role"], m["content"]))
        if streaming is not None:
            parts.append(self._turn_html("assistant", streaming))
        if not parts:
            parts.append("<p style='color:gray'>" + html.escape(self.tr(
                "Write a message below. The conversation is rendered with the model's own chat template; each "
                "reply ends where the model ends its turn.")) + "</p>")
        self.transcript.setHtml("".join(parts))
        self.transcript.moveCursor(QTextCursor.MoveOperation.End)
        self.transcript.verticalScrollBar().setValue(self.transcript.verticalScrollBar().maximum())

    def _turn_html(self, role: str, content: str) -> str:
        return (f"<p><b>{html.escape(self._role(role))}</b><br>"
                f"<span style='white-space:pre-wrap'>{html.escape(content)}</span></p>")

    def transcript_text(self) -> str:
        return self.transcript.toPlainText()

    # -- replying ------------------------------------------------------------------------------------------
    def send(self) -> None:
        text = self.message.toPlainText().strip()
        source = self.source()
        if not text or self.busy or source is None or self.chat_fn is None:
            return
        self.messages.append({"role": "user", "content": text})
        self.message.clear()
        self.busy = True
        self._reply = ""
        self.status.setText(self.tr("The model is answering…"))
        messages, settings, fn = self.conversation(), self.settings(), self.chat_fn
        emit = self.sig_prompt_rendered.emit  # from the worker thread: queued to this view
        generation = Generation(lambda should_stop, stats: fn(source, messages, settings, should_stop, stats, emit),
                                self)
        generation.sig_text_produced.connect(self._piece)
        generation.sig_generation_finished.connect(self._finished)
        generation.sig_generation_failed.connect(self._failed)
        self._render("")
        self.generation = generation.start()
        self._update_buttons()

    def _piece(self, piece: str) -> None:
        self._reply += piece
        self._render(self._reply)

    def _finished(self, text: str, stopped: bool) -> None:
        self.busy = False
        self.messages.append({"role": "assistant", "content": text})  # a stopped reply: as far as it got
        stats = self.generation.stats if self.generation is not None else None
        done = self.tr("Stopped: the reply keeps what it had.") if stopped else self.tr("Done.")
        if stats is not None and stats.tokens:
            done += " " + self.tr("{n} tokens").format(n=f"{stats.tokens:,}")
            if stats.tokens_per_s:
                done += " · " + self.tr("{rate:.1f} tokens/s").format(rate=stats.tokens_per_s)
        self.status.setText(done)
        self._render()
        self._update_buttons()

    def _failed(self, error: BaseException) -> None:
        self.busy = False
        if self.messages and self.messages[-1]["role"] == "user":
            self.message.setPlainText(self.messages.pop()["content"])  # nothing was said: the text comes back
        self.status.setText(self.tr("No reply: {error}").format(error=error_text(error)))
        self._render()
        self._update_buttons()

    def stop(self) -> None:
        if self.generation is not None:
            self.generation.stop()

    def new_conversation(self) -> None:
        if self.busy:
            return
        self.messages = []
        self.rendered.clear()
        self.status.clear()
        self._render()
        self._update_buttons()

    def _prompt_rendered(self, text: str, dropped: int) -> None:
        self.rendered.setPlainText(text)
        if dropped:
            self.status.setText(self.tr("The conversation is longer than the model's context: its {n} oldest "
                                        "turn(s) are left out of what it reads.").format(n=dropped))

    def _toggle_prompt(self, on: bool) -> None:
        self.rendered.setVisible(on)
        self.prompt_button.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)

    def _update_buttons(self) -> None:
        self.send_button.setEnabled(not self.busy and self.source() is not None and self.chat_fn is not None)
        self.stop_button.setEnabled(self.busy)
        self.new_button.setEnabled(not self.busy and bool(self.messages))
        self.system.setReadOnly(self.busy)
        self.sig_chat_busy.emit(self.busy)

    def close_generation(self) -> None:
        if self.generation is not None:
            self.generation.stop()
            self.generation.wait(5)
