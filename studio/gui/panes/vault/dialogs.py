"""Small dialogs of the Vault pane: what to import under which name, how to export, whom to share with."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from studio.gui.widgets.form_dialog import FormDialog


class ImportDialog(QDialog):
    def __init__(self, path: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Import into the vault"))
        layout = QVBoxLayout(self)
        form = QFormLayout()
        source = QLabel(str(path))
        source.setWordWrap(True)
        form.addRow(self.tr("Source"), source)
        self.name = QLineEdit(path.stem if path.is_file() else path.name)
        form.addRow(self.tr("Name"), self.name)
        self.tags = QLineEdit()
        self.tags.setPlaceholderText(self.tr("comma separated"))
        form.addRow(self.tr("Tags"), self.tags)
        self.notes = QLineEdit()
        form.addRow(self.tr("Notes"), self.notes)
        layout.addLayout(form)
        self.remove_original = QCheckBox(self.tr("Delete the plaintext original after the import"))
        layout.addWidget(self.remove_original)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Import"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def values(self) -> dict:
        return {"name": self.name.text().strip() or None,
                "tags": [t.strip() for t in self.tags.text().split(",") if t.strip()],
                "notes": self.notes.text().strip(), "remove_original": self.remove_original.isChecked()}


class ExportDialog(QDialog):
    """Which version, which format (the export formats of studio.exports, the stored files as they are, or an
    encrypted bundle), the format's quantization, signing, the runtime check, and the warning that plaintext
    is about to exist on disk. `formats`: studio.exports.formats() (name, label, folder, suffix, quants)."""

    def __init__(self, model: str, versions: list[int], formats: list[tuple[str, str, bool, str, tuple[str, ...]]],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Export {model}").format(model=model))
        layout = QVBoxLayout(self)
        warning = QLabel(self.tr("Exporting writes the weights in plaintext. The export is recorded in the audit log."))
        warning.setWordWrap(True)
        layout.addWidget(warning)
        form = QFormLayout()
        self.version = QComboBox()
        for n in sorted(versions, reverse=True):
            self.version.addItem(self.tr("Version {n}").format(n=n), n)
        form.addRow(self.tr("Version"), self.version)
        self.format = QComboBox()
        self._formats = {name: (folder, suffix, quants) for name, _, folder, suffix, quants in formats}
        labels = self._labels()
        for name, label, *_ in formats:
            self.format.addItem(labels.get(name, label), name)
        self.format.addItem(self.tr("The stored files as they are (.safetensors)"), "stored")
        self.format.addItem(self.tr("An encrypted bundle for another user"), "bundle")
        form.addRow(self.tr("Format"), self.format)
        self.quant = QComboBox()
        self.quant_label = QLabel(self.tr("Quantization"))
        form.addRow(self.quant_label, self.quant)
        self.recipient = QLineEdit()
        self.recipient.setPlaceholderText(self.tr("user name"))
        self.recipient_label = QLabel(self.tr("For"))
        form.addRow(self.recipient_label, self.recipient)
        layout.addLayout(form)
        self.sign = QCheckBox(self.tr("Sign with my signing key (OpenSSF model signing)"))
        self.check = QCheckBox(self.tr("Check: run the format's runtime on the export and compare its logits"))
        layout.addWidget(self.sign)
        layout.addWidget(self.check)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Choose where…"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.format.currentIndexChanged.connect(self._format_changed)
        self._format_changed()

    def _labels(self) -> dict[str, str]:
        return {"safetensors": self.tr("One .safetensors file (config, tokenizer and lineage inside)"),
                "hf": self.tr("A Hugging Face folder"),
                "gguf": self.tr("GGUF for llama.cpp, Ollama and LM Studio"),
                "onnx": self.tr("ONNX for ONNX Runtime (a folder)")}

    def _quant_labels(self) -> dict[str, str]:
        automatic = self.tr("Automatic (f16; q8_0 or q4_0 for a quantized model)") \
            if self.format.currentData() == "gguf" else self.tr("None (float weights)")
        return {"": automatic, "f32": self.tr("f32 (exact)"),
                "f16": self.tr("f16 (half the size)"), "bf16": self.tr("bf16"), "q8_0": self.tr("q8_0 (8-bit)"),
                "q4_0": self.tr("q4_0 (4-bit)"), "q4_1": self.tr("q4_1 (4-bit, with offsets)"),
                "q5_0": self.tr("q5_0 (5-bit)"), "q5_1": self.tr("q5_1 (5-bit, with offsets)"), "int8": self.tr("int8 (ONNX Runtime's dynamic quantization)")}

    def _format_changed(self) -> None:
        name = self.format.currentData()
        bundle = name == "bundle"
        self.recipient.setVisible(bundle)
        self.recipient_label.setVisible(bundle)
        converted = name in self._formats
        self.sign.setVisible(converted)
        self.check.setVisible(converted)
        quants = self._formats.get(name, (False, "", ()))[2]
        self.quant.clear()
        labels = self._quant_labels()
        for q in ("", *quants):  # "": the format's default (gguf: f16, or q8_0/q4_0 for a studio-quantized model)
            self.quant.addItem(labels.get(q, q), q or None)
        self.quant.setVisible(bool(quants))
        self.quant_label.setVisible(bool(quants))

    def target(self) -> tuple[bool, str]:
        """(the export is a folder, the usual file ending) of the chosen format."""
        name = self.format.currentData()
        if name == "stored":
            return False, ".safetensors"
        if name == "bundle":
            return False, ".msbundle"
        folder, suffix, _ = self._formats[name]
        return folder, suffix

    def values(self) -> dict:
        converted = self.format.currentData() in self._formats
        return {"version": self.version.currentData(), "format": self.format.currentData(),
                "recipient": self.recipient.text().strip(),
                "quant": None if self.quant.isHidden() else self.quant.currentData(),
                "sign": converted and self.sign.isChecked(), "check": converted and self.check.isChecked()}


class ShareDialog(FormDialog):
    """Whom to share with (picked by name), and what they may then do (a grant: use < export < manage). The
    dialog makes the grant itself: a refusal (export for a viewer) shows under its field, the choice kept."""

    def __init__(self, model: str, users: list[tuple[str, str]], parent: QWidget | None = None, submit=None):
        super().__init__(self.tr("Share {model}").format(model=model), parent, submit)
        self.set_note(self.tr("The model's keys are wrapped for this user; every later version is too."))
        self.user = QComboBox()
        for name, role in users:
            self.user.addItem(self.tr("{name} ({role})").format(name=name, role=role), name)
        self.add_field(self.tr("User"), self.user, "user")
        self.permission = QComboBox()
        self.permission.addItem(self.tr("Use: load, generate, verify"), "use")
        self.permission.addItem(self.tr("Export: also write plaintext copies and bundles"), "export")
        self.permission.addItem(self.tr("Manage: also share, rotate, rename and delete"), "manage")
        self.add_field(self.tr("May"), self.permission, "permission")
        self.ok_button().setText(self.tr("Share"))

    def values(self) -> dict:
        return {"user": self.user.currentData(), "permission": self.permission.currentData()}

    def problem(self):
        if self.user.currentData() is None:
            return "user", self.tr("There is nobody else to share with.")
        return None


class MergeDialog(QDialog):
    """The confirmation of a merge: which adapter version, into which base, and the new model's name."""

    def __init__(self, adapter: str, versions: list[int], base: str, default_name: str,
                 parent: QWidget | None = None, chosen: int | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Merge {adapter}").format(adapter=adapter))
        layout = QVBoxLayout(self)
        explain = QLabel(self.tr(
            "The adapter's low-rank weights are folded into a copy of its base {base}, and the result is stored, "
            "encrypted, as a new model: a full version that exports, compresses, chats and fine-tunes like any "
            "other. The adapter and its base stay as they are.").format(base=base))
        explain.setWordWrap(True)
        layout.addWidget(explain)
        form = QFormLayout()
        self.version = QComboBox()
        for n in sorted(versions, reverse=True):
            self.version.addItem(self.tr("Version {n}").format(n=n), n)
        if chosen is not None and self.version.findData(chosen) >= 0:
            self.version.setCurrentIndex(self.version.findData(chosen))
        form.addRow(self.tr("Adapter version"), self.version)
        self.name = QLineEdit(default_name)
        form.addRow(self.tr("New model's name"), self.name)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Merge"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def values(self) -> dict:
        return {"version": self.version.currentData(), "name": self.name.text().strip() or None}
