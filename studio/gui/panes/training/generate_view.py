"""The Generate tab: where from (a checkpoint of the run), a prompt, the sampling settings, tokens streaming into
the output (the prompt marked apart from what the model wrote) with tokens per second as they come, a Stop
button, and the samples the user kept per checkpoint (to see how the writing improved as the run learned).

Built from parts another way of generating can reuse: the source picker, SamplingForm and Generation (the
worker thread). Two modes: Raw (a prompt continued: completion) and Chat (chat_view.ChatView: a system prompt
and turns, rendered with the model's chat template)."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFontDatabase, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.gui.i18n import error_text
from studio.gui.panes.training.backend import GenerationSource, Sample
from studio.gui.panes.training.chat_view import ChatView
from studio.gui.panes.training.generation import Generation
from studio.gui.panes.training.sampling_form import SamplingForm
from studio.gui.units import fmt_step_time

PROMPT_TINT = 70  # alpha of the highlight colour behind the prompt's text
RAW, CHAT = "raw", "chat"


def fmt_rate(tokens_per_s: float | None) -> str:
    return "" if tokens_per_s is None else f"{tokens_per_s:,.1f}" if tokens_per_s < 100 else f"{tokens_per_s:,.0f}"


class GenerateView(QWidget):
    sig_sample_kept = Signal(object)  # Sample

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.generate_fn: Callable[..., Any] | None = None  # (source, prompt, settings, should_stop, stats) -> iterator
        self.generation: Generation | None = None
        self.busy = False  # from Generate until the text is finished, stopped or failed
        self._step_of: dict[str, int | None] = {}

        self.source = QComboBox()
        self.source.setObjectName("generateSource")
        # The labels are long ("step 12,000 (best, val loss 1.2345)"): the combo takes the row's width and
        # shows each whole, instead of clipping to its first characters.
        self.source.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.source.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.source.setMinimumContentsLength(24)
        self.prompt = QPlainTextEdit()
        self.prompt.setObjectName("generatePrompt")
        self.prompt.setPlaceholderText(self.tr("Prompt (may be empty)"))
        self.prompt.setMaximumHeight(90)
        self.mode = QComboBox()
        self.mode.setObjectName("generateMode")
        self.mode.addItem(self.tr("Raw: continue a prompt"), RAW)
        self.mode.addItem(self.tr("Chat: turns in the model's chat template"), CHAT)
        self.form = SamplingForm()
        # the settings' widgets, by their old names (tests and other parts reach them so)
        self.max_tokens, self.temperature, self.top_k = self.form.max_tokens, self.form.temperature, self.form.top_k
        self.top_p, self.seed, self.greedy = self.form.top_p, self.form.seed, self.form.greedy
        self.generate_button = QPushButton(self.tr("Generate"))
        self.generate_button.setObjectName("generateButton")
        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.setObjectName("stopGenerateButton")
        self.stop_button.setEnabled(False)
        self.generate_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.status = QLabel()
        self.status.setObjectName("generateStatus")
        self.status.setWordWrap(True)
        self.speed = QLabel()  # tokens, tokens/s, time to the first token
        self.speed.setObjectName("generateSpeed")
        self.speed.setWordWrap(True)

        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)

        self.output = QPlainTextEdit()
        self.output.setObjectName("generateOutput")
        self.output.setReadOnly(True)
        self.output.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.samples = QTreeWidget()
        self.samples.setObjectName("samples")
        self.samples.setRootIsDecorated(False)
        self.samples.setHeaderLabels([self.tr("Step"), self.tr("From"), self.tr("Tokens/s"), self.tr("Prompt"),
                                      self.tr("Text")])
        self.samples.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.samples.header().setStretchLastSection(True)
        self.samples.itemClicked.connect(self._show_sample)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel(self.tr("From")))
        left_layout.addWidget(self.source)
        left_layout.addWidget(self.mode)
        self.raw_controls = QWidget()  # what only the raw mode has: the prompt, Generate and Stop, its status
        raw_layout = QVBoxLayout(self.raw_controls)
        raw_layout.setContentsMargins(0, 0, 0, 0)
        raw_layout.addWidget(self.prompt)
        left_layout.addWidget(self.raw_controls)
        left_layout.addWidget(self.form)
        raw_below = QWidget()
        below_layout = QVBoxLayout(raw_below)
        below_layout.setContentsMargins(0, 0, 0, 0)
        below_layout.addLayout(buttons)
        below_layout.addWidget(self.status)
        below_layout.addWidget(self.speed)
        self.raw_below = raw_below
        left_layout.addWidget(raw_below)
        left_layout.addStretch(1)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.output)
        right.addWidget(self.samples)
        right.setStretchFactor(0, 2)
        right.setStretchFactor(1, 1)
        self.chat = ChatView(self.form.settings)
        self.chat.source = self.source.currentData
        self.chat.sig_chat_busy.connect(self._lock_inputs)
        self.pages = QStackedWidget()
        self.pages.addWidget(right)
        self.pages.addWidget(self.chat)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.pages)
        split.setStretchFactor(1, 1)
        split.setSizes([340, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self._update_buttons()

    # -- modes ----------------------------------------------------------------------------------------------
    @property
    def chat_fn(self) -> Callable[..., Any] | None:
        return self.chat.chat_fn

    @chat_fn.setter
    def chat_fn(self, fn: Callable[..., Any] | None) -> None:
        self.chat.chat_fn = fn
        self.chat._update_buttons()

    def set_mode(self, mode: str) -> None:
        self.mode.setCurrentIndex(self.mode.findData(mode))

    def _mode_changed(self) -> None:
        chat = self.mode.currentData() == CHAT
        self.raw_controls.setVisible(not chat)
        self.raw_below.setVisible(not chat)
        self.pages.setCurrentWidget(self.chat if chat else self.pages.widget(0))

    # -- sources and samples ------------------------------------------------------------------------------
    def set_sources(self, sources: list[tuple[str, GenerationSource, int | None]]) -> None:
        """(label, source, step) choices: the run's checkpoints, newest first."""
        current = self.source.currentData()
        keys = [s.key for _, s, _ in sources]
        if keys == [self.source.itemData(i).key for i in range(self.source.count())]:
            return
        self.source.clear()
        self._step_of = {}
        for label, source, step in sources:
            self.source.addItem(label, source)
            self.source.setItemData(self.source.count() - 1, label, Qt.ItemDataRole.ToolTipRole)
            self._step_of[source.key] = step
        if current is not None and current.key in keys:
            self.source.setCurrentIndex(keys.index(current.key))
        self._update_buttons()

    def set_samples(self, samples: list[Sample]) -> None:
        self.samples.clear()
        for sample in sorted(samples, key=lambda s: (s.step or 0, s.created_at), reverse=True):
            self._add_sample(sample)

    def _add_sample(self, sample: Sample, top: bool = False) -> None:
        item = QTreeWidgetItem(["" if sample.step is None else f"{sample.step:,}", sample.label or sample.source,
                                fmt_rate(sample.tokens_per_s), sample.prompt.replace("\n", " ")[:40],
                                sample.text.replace("\n", " ")[:200]])
        item.setData(0, Qt.ItemDataRole.UserRole, sample)
        item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        # the prompt in bold, then what the model wrote
        item.setToolTip(4, "<p style='white-space:pre-wrap'><b>" + html.escape(sample.prompt[:500]) + "</b>"
                        + html.escape(sample.text[:2000]) + "</p>")
        if top:
            self.samples.insertTopLevelItem(0, item)
        else:
            self.samples.addTopLevelItem(item)

    def _show_sample(self, item: QTreeWidgetItem) -> None:
        if self.busy:
            return
        sample = item.data(0, Qt.ItemDataRole.UserRole)
        self._show_prompt(sample.prompt)
        self._append(sample.text)
        self.speed.setText(self._speed_text(sample.tokens, sample.tokens_per_s, None))

    # -- the output: the prompt marked, then the model's text ----------------------------------------------
    def prompt_format(self) -> QTextCharFormat:
        fmt = QTextCharFormat()
        tint = QColor(self.palette().highlight().color())
        tint.setAlpha(PROMPT_TINT)
        fmt.setBackground(tint)
        fmt.setFontWeight(700)
        fmt.setToolTip(self.tr("The prompt"))
        return fmt

    def _show_prompt(self, prompt: str) -> None:
        self.output.clear()
        cursor = QTextCursor(self.output.document())
        cursor.insertText(prompt, self.prompt_format())

    def prompt_length(self) -> int:
        """How many characters at the start of the output are the prompt (marked), for tests and copying."""
        block = self.output.document().begin()
        n = 0
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                fragment = it.fragment()
                if fragment.charFormat().fontWeight() != 700:
                    return n
                n += fragment.length()
                it += 1
            block = block.next()
            n += 1 if block.isValid() else 0
        return n

    def _append(self, piece: str) -> None:
        cursor = QTextCursor(self.output.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(piece, QTextCharFormat())
        self.output.verticalScrollBar().setValue(self.output.verticalScrollBar().maximum())
        if self.generation is not None and self.busy:
            stats = self.generation.stats
            self.speed.setText(self._speed_text(stats.tokens, stats.tokens_per_s, stats.first_token_s))

    def _speed_text(self, tokens: int | None, rate: float | None, first_s: float | None) -> str:
        if not tokens:
            return ""
        parts = [self.tr("{n} tokens").format(n=f"{tokens:,}")]
        if rate is not None:
            parts.append(self.tr("{rate} tokens/s").format(rate=fmt_rate(rate)))
        if first_s is not None:
            parts.append(self.tr("first token after {t}").format(t=fmt_step_time(first_s)))
        return " · ".join(parts)

    # -- generating ---------------------------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        return self.form.settings()

    def start(self) -> None:
        source = self.source.currentData()
        if source is None or self.generate_fn is None or self.busy:
            return
        self.busy = True
        prompt, settings = self.prompt.toPlainText(), self.settings()
        self._show_prompt(prompt)
        self.status.setText(self.tr("Generating…"))
        self.speed.clear()
        fn = self.generate_fn
        generation = Generation(lambda should_stop, stats: fn(source, prompt, settings, should_stop, stats), self)
        generation.sig_text_produced.connect(self._append)
        generation.sig_generation_finished.connect(
            lambda text, stopped: self._finished(source, prompt, settings, text, stopped))
        generation.sig_generation_failed.connect(self._failed)
        self.generation = generation.start()
        self._update_buttons()

    def stop(self) -> None:
        if self.generation is not None:
            self.generation.stop()

    def _finished(self, source: GenerationSource, prompt: str, settings: dict, text: str, stopped: bool) -> None:
        self.busy = False
        self.status.setText(self.tr("Stopped.") if stopped else self.tr("Done."))
        stats = self.generation.stats if self.generation is not None else None
        tokens = stats.tokens if stats is not None and stats.tokens else None
        rate = stats.tokens_per_s if stats is not None else None
        self.speed.setText(self._speed_text(tokens, rate, stats.first_token_s if stats is not None else None))
        sample = Sample(source.key, self._step_of.get(source.key), prompt, text, settings,
                        datetime.now(UTC).isoformat(timespec="seconds"), source.label, tokens,
                        None if rate is None else round(rate, 2))
        self._add_sample(sample, top=True)
        self.sig_sample_kept.emit(sample)
        self._update_buttons()

    def _failed(self, error: BaseException) -> None:
        self.busy = False
        self.status.setText(self.tr("Generation failed: {error}").format(error=error_text(error)))
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.generate_button.setEnabled(not self.busy and self.source.count() > 0)
        self.stop_button.setEnabled(self.busy)
        self.chat._update_buttons()  # its sig_chat_busy locks the inputs below

    def _lock_inputs(self, _busy: bool = False) -> None:
        """While text is being made, the model and the mode stay as they were asked."""
        self.source.setEnabled(not self.chat.busy)
        self.mode.setEnabled(not self.busy and not self.chat.busy)

    def close_generation(self) -> None:
        if self.generation is not None:
            self.generation.stop()
            self.generation.wait(5)
        self.chat.close_generation()
