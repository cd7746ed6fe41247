"""The sampling settings of a generation (max new tokens, temperature, top-k, top-p, seed, greedy), as one
widget: the Generate tab's completion view uses it, and so can other ways of generating (a chat view)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QFormLayout, QSpinBox, QWidget


class SamplingForm(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
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
        self.seed = QSpinBox()
        self.seed.setRange(-1, 2**31 - 1)
        self.seed.setValue(1337)
        self.seed.setSpecialValueText(self.tr("random"))
        self.greedy = QCheckBox(self.tr("Greedy (always the likeliest token)"))
        self.greedy.toggled.connect(lambda on: [w.setEnabled(not on) for w in (self.temperature, self.top_k,
                                                                              self.top_p, self.seed)])
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.tr("Max new tokens"), self.max_tokens)
        form.addRow(self.tr("Temperature"), self.temperature)
        form.addRow(self.tr("Top-k"), self.top_k)
        form.addRow(self.tr("Top-p"), self.top_p)
        form.addRow(self.tr("Seed"), self.seed)
        form.addRow(self.greedy)

    def settings(self) -> dict[str, Any]:
        greedy = self.greedy.isChecked()
        return {"max_new_tokens": self.max_tokens.value(), "temperature": self.temperature.value(),
                "top_k": self.top_k.value() or None, "top_p": None if self.top_p.value() >= 1.0 else self.top_p.value(),
                "greedy": greedy, "seed": None if self.seed.value() < 0 else self.seed.value()}
