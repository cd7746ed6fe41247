"""The import dialog: where the data is, which fields hold the text, tokenizer, split and cleaning."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.core.datasets.options import ImportOptions
from studio.core.errors import ValidationError
from studio.gui.concurrent import Task
from studio.gui.i18n import error_text
from studio.gui.widgets.form_dialog import FieldErrors, error_label


def _check(check: Callable[[ImportOptions], ImportOptions], options: ImportOptions, *, state) -> ImportOptions:
    return check(options)


def _globs(text: str) -> tuple[str, ...]:
    return tuple(g.strip() for g in text.split(",") if g.strip())


class ImportDialog(QDialog):
    """`check(options)` (run on a worker thread when Import is pressed) is the service's own pre-flight check;
    a refusal keeps the dialog open with everything typed, the reason under the field it is about."""

    def __init__(self, path: str = "", parent: QWidget | None = None,
                 check: Callable[[ImportOptions], ImportOptions] | None = None, models: Sequence[str] = ()):
        """`models`: the vault models whose tokenizer the data may be tokenized with (to fine-tune them)."""
        super().__init__(parent)
        self.models = list(models)
        self.setWindowTitle(self.tr("Import a dataset"))
        self.options: ImportOptions | None = None
        self.check = check
        self.task: Task | None = None
        self._name_edited = False
        self.error_label = error_label()
        self.errors = FieldErrors(self.error_label)
        layout = QVBoxLayout(self)
        layout.addWidget(self._source_box())
        layout.addWidget(self._tokenizer_box())
        layout.addWidget(self._split_box())
        layout.addWidget(self._cleaning_box())
        layout.addWidget(self._storage_box())
        layout.addWidget(self.error_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Import"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.buttons = buttons
        self.path_edit.setText(path)
        self._mode_changed()
        self._tokenizer_changed()

    # -- sections ----------------------------------------------------------------------------------------
    def _source_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Source"))
        form = QFormLayout(box)
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText(self.tr("A file or a folder (drop it on the Datasets pane)"))
        self.path_edit.textChanged.connect(self._path_changed)
        file_button = QPushButton(self.tr("File…"))
        file_button.clicked.connect(self._choose_file)
        folder_button = QPushButton(self.tr("Folder…"))
        folder_button.clicked.connect(self._choose_folder)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(file_button)
        row.addWidget(folder_button)
        form.addRow(self.tr("Path"), row)
        self.errors.add(form, "path")
        self.name_edit = QLineEdit()
        self.name_edit.textEdited.connect(lambda _t: setattr(self, "_name_edited", True))
        form.addRow(self.tr("Name"), self.name_edit)
        self.errors.add(form, "name")
        self.format_combo = QComboBox()
        for value, label in (("auto", self.tr("From the file extension")), ("text", self.tr("Plain text")),
                             ("jsonl", self.tr("JSON Lines")), ("csv", self.tr("CSV / TSV")), ("parquet", self.tr("Parquet"))):
            self.format_combo.addItem(label, value)
        form.addRow(self.tr("Format"), self.format_combo)
        self.errors.add(form, "format")
        self.mode_combo = QComboBox()
        for value, label in (("guess", self.tr("Guess from the data")), ("field", self.tr("One field or column")),
                             ("pairs", self.tr("Prompt and response fields")), ("chat", self.tr("Chat messages"))):
            self.mode_combo.addItem(label, value)
        self.mode_combo.currentIndexChanged.connect(self._mode_changed)
        form.addRow(self.tr("Text is in"), self.mode_combo)
        self.field_edit = QLineEdit("text")
        self.prompt_edit = QLineEdit("prompt")
        self.response_edit = QLineEdit("response")
        self.messages_edit = QLineEdit("messages")
        self._field_rows = {"field": self.field_edit, "prompt": self.prompt_edit, "response": self.response_edit,
                            "messages": self.messages_edit}
        form.addRow(self.tr("Field"), self.field_edit)
        form.addRow(self.tr("Prompt field"), self.prompt_edit)
        form.addRow(self.tr("Response field"), self.response_edit)
        form.addRow(self.tr("Messages field"), self.messages_edit)
        self.errors.add(form, "field", "prompt_field", "response_field", "messages_field")
        self._source_form = form
        self.unit_combo = QComboBox()
        for value, label in (("auto", self.tr("Paragraph of a file, whole file of a folder")),
                             ("paragraph", self.tr("Paragraph (blank-line separated)")), ("line", self.tr("Line")),
                             ("file", self.tr("Whole file"))):
            self.unit_combo.addItem(label, value)
        form.addRow(self.tr("Plain text document"), self.unit_combo)
        self.include_edit = QLineEdit()
        self.include_edit.setPlaceholderText(self.tr("e.g. *.md, docs/*.txt (default: every known format)"))
        self.exclude_edit = QLineEdit()
        self.exclude_edit.setPlaceholderText(self.tr("e.g. drafts/*"))
        form.addRow(self.tr("Folder: include"), self.include_edit)
        form.addRow(self.tr("Folder: exclude"), self.exclude_edit)
        return box

    def _tokenizer_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Tokenizer"))
        form = QFormLayout(box)
        self.tokenizer_combo = QComboBox()
        for value, label in (("bpe", self.tr("BPE trained on this data")), ("char", self.tr("Characters")),
                             ("byte", self.tr("Bytes (256 symbols)")), ("file", self.tr("A tokenizer.json file")),
                             ("model", self.tr("A vault model's (to fine-tune it)"))):
            self.tokenizer_combo.addItem(label, value)
        self.tokenizer_combo.currentIndexChanged.connect(self._tokenizer_changed)
        form.addRow(self.tr("Kind"), self.tokenizer_combo)
        self.vocab_spin = QSpinBox()
        self.vocab_spin.setRange(300, 1_000_000)
        self.vocab_spin.setSingleStep(1024)
        self.vocab_spin.setValue(8192)
        form.addRow(self.tr("Vocabulary size"), self.vocab_spin)
        self.tokenizer_path = QLineEdit()
        browse = QPushButton(self.tr("Choose…"))
        browse.clicked.connect(self._choose_tokenizer)
        row = QHBoxLayout()
        row.addWidget(self.tokenizer_path, 1)
        row.addWidget(browse)
        self._tokenizer_file_row = QWidget()
        self._tokenizer_file_row.setLayout(row)
        row.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.tr("tokenizer.json"), self._tokenizer_file_row)
        self.model_combo = QComboBox()
        self.model_combo.setObjectName("tokenizerOf")
        for name in self.models:
            self.model_combo.addItem(name, name)
        form.addRow(self.tr("Model"), self.model_combo)
        self.model_hint = QLabel(self.tr(
            "The text is tokenized as this model reads it; prompt/response pairs and chats are written with its "
            "chat template, and only the replies are learned. Fine-tuning the model needs data imported so."))
        self.model_hint.setWordWrap(True)
        form.addRow("", self.model_hint)
        self.errors.add(form, "tokenizer", "vocab_size", "bpe_sample_mb", "tokenizer_of")
        self._tokenizer_form = form
        return box

    def _split_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Split (whole documents)"))
        row = QHBoxLayout(box)
        self.split_spins = []
        for label, value in ((self.tr("Train"), 0.9), (self.tr("Validation"), 0.05), (self.tr("Test"), 0.05)):
            spin = QDoubleSpinBox()
            spin.setRange(0.0, 1.0)
            spin.setDecimals(3)
            spin.setSingleStep(0.05)
            spin.setValue(value)
            row.addWidget(QLabel(label))
            row.addWidget(spin)
            self.split_spins.append(spin)
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setValue(1337)
        row.addWidget(QLabel(self.tr("Seed")))
        row.addWidget(self.seed_spin)
        return box

    def _cleaning_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Cleaning"))
        form = QFormLayout(box)
        self.nfc_check = QCheckBox(self.tr("Normalise Unicode (NFC)"))
        self.nfc_check.setChecked(True)
        self.control_check = QCheckBox(self.tr("Remove control characters"))
        self.control_check.setChecked(True)
        self.dedup_check = QCheckBox(self.tr("Drop exact duplicates"))
        checks = QHBoxLayout()
        for c in (self.nfc_check, self.control_check, self.dedup_check):
            checks.addWidget(c)
        form.addRow(checks)
        self.min_chars_spin = QSpinBox()
        self.min_chars_spin.setRange(0, 10_000_000)
        self.min_chars_spin.setValue(1)
        form.addRow(self.tr("Drop documents shorter than (characters)"), self.min_chars_spin)
        self.errors.add(form, "min_chars", "max_document_mb")
        self.utf8_combo = QComboBox()
        for value, label in (("fail", self.tr("Stop with an error")), ("replace", self.tr("Replace with �")),
                             ("skip", self.tr("Skip the document"))):
            self.utf8_combo.addItem(label, value)
        form.addRow(self.tr("Invalid UTF-8"), self.utf8_combo)
        self.tags_edit = QLineEdit()
        self.tags_edit.setPlaceholderText(self.tr("comma-separated"))
        form.addRow(self.tr("Tags"), self.tags_edit)
        self.errors.add(form, "tags")
        return box

    def _storage_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Privacy"))
        v = QVBoxLayout(box)
        self.encrypt_check = QCheckBox(self.tr("Encrypt at rest through the vault"))
        self.encrypt_check.setChecked(True)
        self.encrypt_check.setToolTip(self.tr(
            "The text and the token arrays are stored encrypted; training decrypts them into memory. Only you, "
            "the users you share the dataset with and the administrators can open it. Unticked: plaintext files "
            "that anyone who can read the data folder can read (training maps them from disk)."))
        self.remove_source_check = QCheckBox(self.tr("Remove the source files after the import"))
        self.remove_source_check.setToolTip(self.tr(
            "Once the dataset is stored, delete the files it was read from (a plain delete: the disk may keep "
            "their old blocks). Nothing is removed if the import fails or is cancelled."))
        v.addWidget(self.encrypt_check)
        v.addWidget(self.remove_source_check)
        return box

    # -- behaviour ---------------------------------------------------------------------------------------
    def _path_changed(self, text: str) -> None:
        if self._name_edited:
            return
        name = Path(text.strip()).name
        for suffix in (".gz", ".zst", ".zstd"):
            name = name.removesuffix(suffix)
        self.name_edit.setText(Path(name).stem if "." in name else name)

    def _mode_changed(self) -> None:
        mode = self.mode_combo.currentData()
        visible = {"field": mode == "field", "prompt": mode == "pairs", "response": mode == "pairs",
                   "messages": mode == "chat"}
        for key, edit in self._field_rows.items():
            self._source_form.setRowVisible(edit, visible[key])

    def _tokenizer_changed(self) -> None:
        kind = self.tokenizer_combo.currentData()
        self._tokenizer_form.setRowVisible(self.vocab_spin, kind == "bpe")
        self._tokenizer_form.setRowVisible(self._tokenizer_file_row, kind == "file")
        self._tokenizer_form.setRowVisible(self.model_combo, kind == "model")
        self._tokenizer_form.setRowVisible(self.model_hint, kind == "model")

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Choose a file"), self.path_edit.text(),
            self.tr("Text data (*.txt *.md *.jsonl *.json *.csv *.tsv *.parquet *.gz *.zst);;All files (*)"),
        )
        if path:
            self.path_edit.setText(path)

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, self.tr("Choose a folder"), self.path_edit.text())
        if path:
            self.path_edit.setText(path)

    def _choose_tokenizer(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Choose a tokenizer.json"), "",
                                              self.tr("Tokenizer (*.json);;All files (*)"))
        if path:
            self.tokenizer_path.setText(path)

    def choose_model(self, name: str) -> None:
        """Tokenize with the model `name`'s tokenizer."""
        self.tokenizer_combo.setCurrentIndex(self.tokenizer_combo.findData("model"))
        self.model_combo.setCurrentIndex(max(self.model_combo.findData(name), 0))

    def build_options(self) -> ImportOptions:
        """The options as chosen, checked (raises ValidationError)."""
        mode = self.mode_combo.currentData()
        kind = self.tokenizer_combo.currentData()
        path = self.path_edit.text().strip()
        if not path:
            raise ValidationError(self.tr("Choose a file or a folder to import."), "path")
        if kind == "file" and not self.tokenizer_path.text().strip():
            raise ValidationError(self.tr("Choose the tokenizer.json file."), "tokenizer")
        if kind == "model" and self.model_combo.currentData() is None:
            raise ValidationError(self.tr("There is no model in the vault whose tokenizer you may use: import one "
                                          "in the Vault pane first."), "tokenizer_of")
        options = ImportOptions(
            path=path, name=self.name_edit.text(), format=self.format_combo.currentData(),
            field=self.field_edit.text().strip() or None if mode == "field" else None,
            prompt_field=self.prompt_edit.text().strip() or None if mode == "pairs" else None,
            response_field=self.response_edit.text().strip() or None if mode == "pairs" else None,
            messages_field=self.messages_edit.text().strip() or None if mode == "chat" else None,
            text_unit=self.unit_combo.currentData(), include=_globs(self.include_edit.text()),
            exclude=_globs(self.exclude_edit.text()),
            tokenizer=self.tokenizer_path.text().strip() if kind == "file" else ("bpe" if kind == "model" else kind),
            tokenizer_of=self.model_combo.currentData() if kind == "model" else None,
            vocab_size=self.vocab_spin.value(), split=tuple(round(s.value(), 6) for s in self.split_spins),
            seed=self.seed_spin.value(), normalize=self.nfc_check.isChecked(),
            strip_control=self.control_check.isChecked(), min_chars=self.min_chars_spin.value(),
            dedup=self.dedup_check.isChecked(), utf8_errors=self.utf8_combo.currentData(),
            tags=_globs(self.tags_edit.text()), encrypt=self.encrypt_check.isChecked(),
            remove_source=self.remove_source_check.isChecked(),
        )
        checked = options.checked()
        if not Path(path).expanduser().exists():
            raise ValidationError(self.tr("{path} does not exist.").format(path=path), "path")
        return checked

    def accept(self) -> None:
        if self.task is not None and self.task.running:
            return
        self.errors.clear()
        try:
            options = self.build_options()
        except ValidationError as error:
            self.errors.show(error.field, error_text(error))
            return
        if self.check is None:
            self.options = options
            super().accept()
            return
        self.buttons.setEnabled(False)
        self.task = Task(_check, self.check, options, parent=self)
        self.task.sig_task_finished.connect(self._checked)
        self.task.sig_task_failed.connect(self._refused)
        self.task.start()

    def _checked(self, options: ImportOptions) -> None:
        self.buttons.setEnabled(True)
        self.options = options
        super().accept()

    def _refused(self, error: Exception) -> None:
        self.buttons.setEnabled(True)
        self.errors.show(getattr(error, "field", None), error_text(error))
