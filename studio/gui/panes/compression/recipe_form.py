"""The recipe builder: pruning, recovery, quantization and evaluation settings, with the steps spelled out
and the recipe's own check shown as the user edits (checks against the model's shapes come at run)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.core.compression.recipe import DEFAULT_CALIB_SAMPLES, GROUP_SIZES, MAX_SPARSITY, SPLITS, Recipe
from studio.core.errors import ValidationError
from studio.gui.i18n import error_text


class RecipeForm(QWidget):
    sig_recipe_changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

        prune = QGroupBox(self.tr("Pruning"))
        form = QFormLayout(prune)
        self.sparsity = QDoubleSpinBox()
        self.sparsity.setRange(0.0, MAX_SPARSITY * 100)
        self.sparsity.setDecimals(0)
        self.sparsity.setSingleStep(5)
        self.sparsity.setSuffix(" %")
        self.sparsity.setToolTip(self.tr("Share of the weights to zero, or of the heads and neurons to remove"))
        form.addRow(self.tr("Remove"), self.sparsity)
        self.structured = QCheckBox(self.tr("Whole heads and neurons"))
        self.structured.setToolTip(self.tr("Remove whole attention heads and MLP neurons: the tensors shrink, so the "
                                           "file is smaller and the model faster"))
        form.addRow("", self.structured)
        self.scope = QComboBox()
        self.scope.addItem(self.tr("in every matrix"), "layer")
        self.scope.addItem(self.tr("across all layers"), "global")
        form.addRow(self.tr("Smallest weights"), self.scope)
        self.method = QComboBox()
        self.method.addItem(self.tr("Magnitude"), "magnitude")
        self.method.addItem(self.tr("Wanda"), "wanda")
        self.method.addItem(self.tr("SparseGPT"), "sparsegpt")
        self.method.addItem(self.tr("ADMM"), "admm")
        form.addRow(self.tr("Method"), self.method)
        self.pattern = QComboBox()
        self.pattern.addItem(self.tr("any weights (unstructured)"), "unstructured")
        self.pattern.addItem(self.tr("2 of every 4 (2:4)"), "2:4")
        self.pattern.addItem(self.tr("4 of every 8 (4:8)"), "4:8")
        form.addRow(self.tr("Pattern"), self.pattern)
        self.method_help = QLabel()
        self.method_help.setWordWrap(True)
        form.addRow("", self.method_help)
        self.recover_steps = QSpinBox()
        self.recover_steps.setRange(0, 100_000)
        self.recover_steps.setSingleStep(50)
        self.recover_steps.setToolTip(self.tr("Fine-tune this many steps on the dataset's training split after pruning"))
        form.addRow(self.tr("Recovery steps"), self.recover_steps)
        layout.addWidget(prune)

        quant = QGroupBox(self.tr("Quantization"))
        form = QFormLayout(quant)
        self.quant = QComboBox()
        for label, value in ((self.tr("none"), "none"), (self.tr("int8 (per output channel)"), "int8"),
                             (self.tr("int4 (groups, two per byte)"), "int4"),
                             (self.tr("dynamic int8 (PyTorch)"), "dynamic-int8")):
            self.quant.addItem(label, value)
        # the form opens on a recipe that does something (int8, the safe first step), not on an error
        self.quant.setCurrentIndex(self.quant.findData("int8"))
        form.addRow(self.tr("Weights"), self.quant)
        self.group_size = QComboBox()
        for g in GROUP_SIZES:
            self.group_size.addItem(str(g), g)
        self.group_size.setCurrentIndex(GROUP_SIZES.index(64))
        form.addRow(self.tr("int4 group size"), self.group_size)
        self.quant_method = QComboBox()
        self.quant_method.addItem(self.tr("Round to nearest (RTN)"), "rtn")
        self.quant_method.addItem(self.tr("GPTQ"), "gptq")
        self.quant_method.addItem(self.tr("AWQ"), "awq")
        form.addRow(self.tr("Method"), self.quant_method)
        self.act_order = QCheckBox(self.tr("Act-order"))
        self.act_order.setToolTip(self.tr("GPTQ: quantize the columns with the largest inputs first"))
        form.addRow("", self.act_order)
        self.quant_help = QLabel()
        self.quant_help.setWordWrap(True)
        form.addRow("", self.quant_help)
        self.keep_embeddings = QCheckBox(self.tr("Embeddings in float"))
        self.keep_embeddings.setToolTip(self.tr("Keep the token and position embeddings in float32 (a larger file)"))
        form.addRow("", self.keep_embeddings)
        layout.addWidget(quant)

        self.calib_box = QGroupBox(self.tr("Calibration"))
        form = QFormLayout(self.calib_box)
        self.calib_samples = QSpinBox()
        self.calib_samples.setRange(1, 100_000)
        self.calib_samples.setValue(DEFAULT_CALIB_SAMPLES)
        self.calib_samples.setToolTip(self.tr("Windows of text the calibrated methods learn from"))
        form.addRow(self.tr("Samples"), self.calib_samples)
        self.calib_length = QSpinBox()
        self.calib_length.setRange(0, 1_000_000)
        self.calib_length.setSpecialValueText(self.tr("the model's context"))
        self.calib_length.setToolTip(self.tr("Tokens per window (at most 512 when left at the model's context)"))
        form.addRow(self.tr("Length"), self.calib_length)
        self.calib_split = QComboBox()
        for split in SPLITS:
            self.calib_split.addItem(split, split)
        form.addRow(self.tr("Split"), self.calib_split)
        note = QLabel(self.tr("From the dataset chosen above; keep it apart from the evaluated split."))
        note.setWordWrap(True)
        form.addRow("", note)
        layout.addWidget(self.calib_box)

        self.steps_label = QLabel()
        self.steps_label.setWordWrap(True)
        layout.addWidget(self.steps_label)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #d04040;")
        layout.addWidget(self.error_label)
        layout.addStretch(1)

        for w in (self.sparsity, self.recover_steps, self.calib_samples, self.calib_length):
            w.valueChanged.connect(self._changed)
        for c in (self.structured, self.keep_embeddings, self.act_order):
            c.toggled.connect(self._changed)
        for c in (self.scope, self.quant, self.group_size, self.method, self.pattern, self.quant_method,
                  self.calib_split):
            c.currentIndexChanged.connect(self._changed)
            # the form stays narrow; long entries show in full in the open list
            c.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            c.setMinimumContentsLength(10)

        self._changed()

    def recipe(self) -> Recipe:
        """The recipe as set (not validated)."""
        structured = self.structured.isChecked()
        quant = self.quant.currentData()
        return Recipe(sparsity=round(self.sparsity.value()) / 100.0, structured=structured,
                      scope="layer" if structured or self.method.currentData() != "magnitude" else self.scope.currentData(),
                      recover_steps=self.recover_steps.value() if self.sparsity.value() > 0 else 0,
                      quant=quant, group_size=self.group_size.currentData(),
                      quantize_embeddings=not self.keep_embeddings.isChecked(),
                      method="magnitude" if structured else self.method.currentData(),
                      pattern="unstructured" if structured else self.pattern.currentData(),
                      quant_method=self.quant_method.currentData() if quant in ("int8", "int4") else "rtn",
                      act_order=self.act_order.isChecked() and self.quant_method.currentData() == "gptq",
                      calib_split=self.calib_split.currentData(), calib_samples=self.calib_samples.value(),
                      calib_seq_len=self.calib_length.value())

    def set_recipe(self, recipe: Recipe) -> None:
        self.sparsity.setValue(recipe.sparsity * 100)
        self.structured.setChecked(recipe.structured)
        self.scope.setCurrentIndex(max(0, self.scope.findData(recipe.scope)))
        self.recover_steps.setValue(recipe.recover_steps)
        self.quant.setCurrentIndex(max(0, self.quant.findData(recipe.quant)))
        self.group_size.setCurrentIndex(max(0, self.group_size.findData(recipe.group_size)))
        self.keep_embeddings.setChecked(not recipe.quantize_embeddings)
        self.method.setCurrentIndex(max(0, self.method.findData(recipe.method)))
        self.pattern.setCurrentIndex(max(0, self.pattern.findData(recipe.pattern)))
        self.quant_method.setCurrentIndex(max(0, self.quant_method.findData(recipe.quant_method)))
        self.act_order.setChecked(recipe.act_order)
        self.calib_split.setCurrentIndex(max(0, self.calib_split.findData(recipe.calib_split)))
        self.calib_samples.setValue(recipe.calib_samples)
        self.calib_length.setValue(recipe.calib_seq_len)

    def error(self) -> str:
        try:
            self.recipe().validate()
        except ValidationError as exc:
            return error_text(exc)
        return ""

    def steps(self, recipe: Recipe) -> list[str]:
        """The recipe's steps in the order they run, in words (Recipe.steps, translated)."""
        out = []
        pct = f"{recipe.sparsity * 100:g}"
        if recipe.prunes:
            if recipe.structured:
                out.append(self.tr("Remove {pct}% of the attention heads and MLP neurons of every layer").format(pct=pct))
            elif recipe.nm is not None:
                out.append(self.tr("Keep {n} of every {m} weights in every weight matrix by {method}").format(
                    n=recipe.nm[0], m=recipe.nm[1], method=self.method.currentText()))
            elif recipe.method != "magnitude":
                out.append(self.tr("Prune {pct}% of every weight matrix by {method}").format(
                    pct=pct, method=self.method.currentText()))
            elif recipe.scope == "global":
                out.append(self.tr("Zero the {pct}% smallest weights across all layers").format(pct=pct))
            else:
                out.append(self.tr("Zero the {pct}% smallest weights in every weight matrix").format(pct=pct))
            if recipe.recover_steps:
                out.append(self.tr("Fine-tune {n} steps to recover").format(n=recipe.recover_steps))
        if recipe.quant == "int8":
            out.append(self.tr("Quantize weights to int8 (per output channel, symmetric)"))
        elif recipe.quant == "int4":
            out.append(self.tr("Quantize weights to int4 (groups of {g}, two per byte)").format(g=recipe.group_size))
        elif recipe.quant == "dynamic-int8":
            out.append(self.tr("Quantize Linear layers with PyTorch's dynamic int8 quantization"))
        if recipe.quant_method != "rtn":
            out[-1] += self.tr(" by {method}").format(method=recipe.quant_method.upper())
        return out

    def method_text(self, method: str) -> str:
        """One line on what a pruning method does and when to pick it."""
        return {
            "magnitude": self.tr("Zeroes the smallest weights. No data needed; the baseline."),
            "wanda": self.tr("Weighs each weight by how large its input is (per output row); needs calibration "
                             "data, costs a few seconds."),
            "sparsegpt": self.tr("Prunes and updates the remaining weights to make up for the removed ones; needs "
                                 "calibration data. Far ahead of magnitude, above all at 2:4."),
            "admm": self.tr("Prunes and solves for the best remaining weights of every layer; needs calibration "
                            "data. The most accurate, at 50% and at 2:4."),
        }[method]

    def quant_text(self, method: str) -> str:
        """One line on what a quantization method does and when to pick it."""
        return {
            "rtn": self.tr("Rounds every weight to the nearest step. No data needed; fine for int8."),
            "gptq": self.tr("Rounds column by column and corrects the rest for the error; needs calibration data. "
                            "The best int4."),
            "awq": self.tr("Scales up the input channels that matter before rounding; needs calibration data."),
        }[method]

    def _changed(self) -> None:
        recipe = self.recipe()
        self.group_size.setEnabled(recipe.quant == "int4")
        self.keep_embeddings.setEnabled(recipe.quant in ("int8", "int4"))
        self.recover_steps.setEnabled(recipe.sparsity > 0)
        self.method.setEnabled(not recipe.structured)
        self.pattern.setEnabled(not recipe.structured)
        if recipe.nm is not None:  # the pattern fixes the share removed
            share = round((1 - recipe.nm[0] / recipe.nm[1]) * 100)
            if self.sparsity.value() != share:
                self.sparsity.setValue(share)  # calls back here
                return
        self.sparsity.setEnabled(recipe.nm is None)
        self.scope.setEnabled(not recipe.structured and recipe.method == "magnitude" and recipe.nm is None)
        self.method_help.setText(self.method_text(recipe.method) if recipe.prunes and not recipe.structured else "")
        self.method_help.setVisible(bool(self.method_help.text()))
        quantizes = recipe.quant in ("int8", "int4")
        self.quant_method.setEnabled(quantizes)
        self.act_order.setEnabled(quantizes and self.quant_method.currentData() == "gptq")
        self.quant_help.setText(self.quant_text(self.quant_method.currentData()) if quantizes else "")
        self.quant_help.setVisible(bool(self.quant_help.text()))
        self.calib_box.setVisible(recipe.needs_calibration)
        error = self.error()
        self.error_label.setText(error)
        self.error_label.setVisible(bool(error))
        steps = self.steps(recipe) if not error else []
        self.steps_label.setText("\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1)))
        self.sig_recipe_changed.emit()
