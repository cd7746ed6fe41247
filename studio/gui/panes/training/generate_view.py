"""The Generate tab: a prompt, the sampling settings, tokens streaming into the output, a Stop button, and
the samples kept per checkpoint (to see how the generations improved as the run learned)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.gui.panes.training.backend import GenerationSource, Sample
from studio.gui.panes.training.generation import Generation


class GenerateView(QWidget):
    sig_sample_kept = Signal(object)  # Sample

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.generate_fn: Callable[..., Any] | None = None  # (source, prompt, settings, should_stop) -> iterator
        self.generation: Generation | None = None
        self.busy = False  # from Generate until the text is finished, stopped or failed
        self._step_of: dict[str, int | None] = {}

        self.source = QComboBox()
        self.source.setObjectName("generateSource")
        self.prompt = QPlainTextEdit()
        self.prompt.setObjectName("generatePrompt")
        self.prompt.setPlaceholderText(self.tr("Prompt (may be empty)"))
        self.prompt.setMaximumHeight(90)
        self.max_tokens = QSpinBox()
        self.max_tokens.setRange(1, 100_000)
        self.max_tokens.setValue(200)
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 5.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(0.8)
        self.top_k = QSpinBox()
        self.top_k.setRange(0, 1_000_000)
        self.top_k.setValue(40)
        self.top_k.setSpecialValueText(self.tr("off"))
        self.top_p = QDoubleSpinBox()
        self.top_p.setRange(0.01, 1.0)
        self.top_p.setSingleStep(0.05)
        self.top_p.setValue(1.0)
        self.top_p.setToolTip(self.tr("1.0 = off"))
        self.greedy = QCheckBox(self.tr("Greedy (always the likeliest token)"))
        self.greedy.toggled.connect(lambda on: [w.setEnabled(not on) for w in (self.temperature, self.top_k,
                                                                              self.top_p, self.seed)])
        self.seed = QSpinBox()
        self.seed.setRange(-1, 2**31 - 1)
        self.seed.setValue(1337)
        self.seed.setSpecialValueText(self.tr("random"))
        self.generate_button = QPushButton(self.tr("Generate"))
        self.generate_button.setObjectName("generateButton")
        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.setObjectName("stopGenerateButton")
        self.stop_button.setEnabled(False)
        self.generate_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.status = QLabel()
        self.status.setWordWrap(True)

        settings = QFormLayout()
        settings.addRow(self.tr("From"), self.source)
        settings.addRow(self.tr("Max new tokens"), self.max_tokens)
        settings.addRow(self.tr("Temperature"), self.temperature)
        settings.addRow(self.tr("Top-k"), self.top_k)
        settings.addRow(self.tr("Top-p"), self.top_p)
        settings.addRow(self.tr("Seed"), self.seed)
        settings.addRow(self.greedy)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        settings.addRow(buttons)

        self.output = QPlainTextEdit()
        self.output.setObjectName("generateOutput")
        self.output.setReadOnly(True)
        self.output.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.samples = QTreeWidget()
        self.samples.setObjectName("samples")
        self.samples.setRootIsDecorated(False)
        self.samples.setHeaderLabels([self.tr("Step"), self.tr("From"), self.tr("Prompt"), self.tr("Text")])
        self.samples.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.samples.header().setStretchLastSection(True)
        self.samples.itemClicked.connect(self._show_sample)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.prompt)
        left_layout.addLayout(settings)
        left_layout.addWidget(self.status)
        left_layout.addStretch(1)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.output)
        right.addWidget(self.samples)
        right.setStretchFactor(0, 2)
        right.setStretchFactor(1, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)
        self._update_buttons()

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
            self._step_of[source.key] = step
        if current is not None and current.key in keys:
            self.source.setCurrentIndex(keys.index(current.key))
        self._update_buttons()

    def set_samples(self, samples: list[Sample]) -> None:
        self.samples.clear()
        for sample in sorted(samples, key=lambda s: (s.step or 0, s.created_at), reverse=True):
            self._add_sample(sample)

    def _add_sample(self, sample: Sample, top: bool = False) -> None:
        item = QTreeWidgetItem(["" if sample.step is None else f"{sample.step:,}", sample.source,
                                sample.prompt.replace("\n", " ")[:40], sample.text.replace("\n", " ")[:200]])
        item.setData(0, Qt.ItemDataRole.UserRole, sample)
        item.setToolTip(3, sample.text[:2000])
        if top:
            self.samples.insertTopLevelItem(0, item)
        else:
            self.samples.addTopLevelItem(item)

    def _show_sample(self, item: QTreeWidgetItem) -> None:
        if self.busy:
            return
        sample = item.data(0, Qt.ItemDataRole.UserRole)
        self.output.setPlainText(sample.prompt + sample.text)

    # -- generating ---------------------------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        greedy = self.greedy.isChecked()
        return {"max_new_tokens": self.max_tokens.value(), "temperature": self.temperature.value(),
                "top_k": self.top_k.value() or None, "top_p": None if self.top_p.value() >= 1.0 else self.top_p.value(),
                "greedy": greedy, "seed": None if self.seed.value() < 0 else self.seed.value()}

    def start(self) -> None:
        source = self.source.currentData()
        if source is None or self.generate_fn is None or self.busy:
            return
        self.busy = True
        prompt, settings = self.prompt.toPlainText(), self.settings()
        self.output.setPlainText(prompt)
        self.status.setText(self.tr("Generating…"))
        fn = self.generate_fn
        generation = Generation(lambda should_stop: fn(source, prompt, settings, should_stop), self)
        generation.sig_text_produced.connect(self._append)
        generation.sig_generation_finished.connect(
            lambda text, stopped: self._finished(source, prompt, settings, text, stopped))
        generation.sig_generation_failed.connect(self._failed)
        self.generation = generation.start()
        self._update_buttons()

    def stop(self) -> None:
        if self.generation is not None:
            self.generation.stop()

    def _append(self, piece: str) -> None:
        cursor = QTextCursor(self.output.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(piece)
        self.output.verticalScrollBar().setValue(self.output.verticalScrollBar().maximum())

    def _finished(self, source: GenerationSource, prompt: str, settings: dict, text: str, stopped: bool) -> None:
        self.busy = False
        self.status.setText(self.tr("Stopped.") if stopped else self.tr("Done."))
        sample = Sample(source.key, self._step_of.get(source.key), prompt, text, settings,
                        datetime.now(UTC).isoformat(timespec="seconds"))
        self._add_sample(sample, top=True)
        self.sig_sample_kept.emit(sample)
        self._update_buttons()

    def _failed(self, error: BaseException) -> None:
        self.busy = False
        self.status.setText(self.tr("Generation failed: {error}").format(error=error))
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.generate_button.setEnabled(not self.busy and self.source.count() > 0)
        self.stop_button.setEnabled(self.busy)

    def close_generation(self) -> None:
        if self.generation is not None:
            self.generation.stop()
            self.generation.wait(5)
