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

from studio.core.compression.recipe import GROUP_SIZES, MAX_SPARSITY, Recipe
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
        form.addRow(self.tr("Weights"), self.quant)
        self.group_size = QComboBox()
        for g in GROUP_SIZES:
            self.group_size.addItem(str(g), g)
        self.group_size.setCurrentIndex(GROUP_SIZES.index(64))
        form.addRow(self.tr("int4 group size"), self.group_size)
        self.keep_embeddings = QCheckBox(self.tr("Embeddings in float"))
        self.keep_embeddings.setToolTip(self.tr("Keep the token and position embeddings in float32 (a larger file)"))
        form.addRow("", self.keep_embeddings)
        layout.addWidget(quant)

        self.steps_label = QLabel()
        self.steps_label.setWordWrap(True)
        layout.addWidget(self.steps_label)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #d04040;")
        layout.addWidget(self.error_label)
        layout.addStretch(1)

        for w in (self.sparsity, self.recover_steps):
            w.valueChanged.connect(self._changed)
        for c in (self.structured, self.keep_embeddings):
            c.toggled.connect(self._changed)
        for c in (self.scope, self.quant, self.group_size):
            c.currentIndexChanged.connect(self._changed)
            # the form stays narrow; long entries show in full in the open list
            c.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            c.setMinimumContentsLength(10)

        self._changed()

    def recipe(self) -> Recipe:
        """The recipe as set (not validated)."""
        return Recipe(sparsity=round(self.sparsity.value()) / 100.0, structured=self.structured.isChecked(),
                      scope="layer" if self.structured.isChecked() else self.scope.currentData(),
                      recover_steps=self.recover_steps.value() if self.sparsity.value() > 0 else 0,
                      quant=self.quant.currentData(), group_size=self.group_size.currentData(),
                      quantize_embeddings=not self.keep_embeddings.isChecked())

    def set_recipe(self, recipe: Recipe) -> None:
        self.sparsity.setValue(recipe.sparsity * 100)
        self.structured.setChecked(recipe.structured)
        self.scope.setCurrentIndex(max(0, self.scope.findData(recipe.scope)))
        self.recover_steps.setValue(recipe.recover_steps)
        self.quant.setCurrentIndex(max(0, self.quant.findData(recipe.quant)))
        self.group_size.setCurrentIndex(max(0, self.group_size.findData(recipe.group_size)))
        self.keep_embeddings.setChecked(not recipe.quantize_embeddings)

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
        return out

    def _changed(self) -> None:
        recipe = self.recipe()
        self.scope.setEnabled(not recipe.structured)
        self.group_size.setEnabled(recipe.quant == "int4")
        self.keep_embeddings.setEnabled(recipe.quant in ("int8", "int4"))
        self.recover_steps.setEnabled(recipe.sparsity > 0)
        error = self.error()
        self.error_label.setText(error)
        self.error_label.setVisible(bool(error))
        steps = self.steps(recipe) if not error else []
        self.steps_label.setText("\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1)))
        self.sig_recipe_changed.emit()
