"""The New-run form's "Fine-tune a vault model" box: Full (every weight trains) or LoRA (small adapters on the
frozen model: rank, alpha, dropout and the target modules, whose placeholder shows the model family's
defaults once the estimate has read the model's shape). Shown while "Start from" names a vault model."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QGroupBox, QLabel, QWidget

from studio.gui.panes.training.new_run.fields import LORA_KEYS
from studio.gui.panes.training.new_run.form import FieldRows

FULL, LORA = "full", "lora"


class FineTuneBox(QGroupBox):
    sig_changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTitle(self.tr("Fine-tune a vault model"))
        self.setObjectName("section_finetune")
        self.method = QComboBox()
        self.method.setObjectName("field_method")
        self.method.addItem(self.tr("Full: every weight trains"), FULL)
        self.method.addItem(self.tr("LoRA: small adapters on the frozen model"), LORA)
        self.rows = FieldRows("finetune", before=(("method", self.tr("Method"), self.method),))
        self.explain = QLabel()
        self.explain.setWordWrap(True)
        self.explain.setObjectName("finetuneExplain")
        layout = QGridLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.rows, 0, 0)
        layout.addWidget(self.explain, 1, 0)
        self._defaults: list[str] = []
        self.method.currentIndexChanged.connect(self._method_changed)
        self.rows.sig_changed.connect(self.sig_changed)
        self._method_changed()

    @property
    def lora(self) -> bool:
        return self.method.currentData() == LORA

    def set_lora(self, on: bool) -> None:
        self.method.setCurrentIndex(self.method.findData(LORA if on else FULL))

    def set_targets(self, defaults: Sequence[str], known: Sequence[str]) -> None:
        """The family's default targets (the placeholder: empty means these) and every name there is."""
        self._defaults = list(defaults)
        editor = self.rows.editors["lora_targets"]
        editor.setPlaceholderText(self.tr("default: {names}").format(names=", ".join(defaults)) if defaults else "")
        if known:
            editor.setToolTip(self.tr("Layers of this model LoRA can adapt: {names}").format(names=", ".join(known)))

    def _method_changed(self) -> None:
        for key in LORA_KEYS:
            self.rows.editors[key].setEnabled(self.lora)
        self.explain.setText(self.tr(
            "LoRA trains small low-rank adapters and keeps the model frozen: far less memory for gradients and "
            "optimizer state. The result is a small adapter version under the model in the Vault; merge it there "
            "into a full model.") if self.lora else self.tr(
            "Every weight of the model trains; each checkpoint is a full copy of the model."))
        self.sig_changed.emit()
