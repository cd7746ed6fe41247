"""The New-run form's fields: one row per setting (label, editor, the reason next to it when something is
wrong), built from new_run.fields, read back as typed values, filled from a preset or a past run."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from studio.gui.i18n import error_text
from studio.gui.panes.training.new_run.fields import FIELD, FIELDS, SECTIONS, Field
from studio.gui.panes.training.new_run.validation import ERROR, Issue, parse

ERROR_COLOUR, WARNING_COLOUR = "#d64545", "#c88a12"


def tr(text: str) -> str:
    return QCoreApplication.translate("NewRun", text)


def fmt_float(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


class FieldRows(QWidget):
    """The editors of one section of FIELDS, laid out in a grid: label | editor | message."""

    sig_changed = Signal()

    def __init__(self, section: str, parent: QWidget | None = None, *,
                 before: tuple[tuple[str, str, QWidget], ...] = ()):
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setColumnStretch(2, 1)
        self.grid.setColumnMinimumWidth(1, 160)
        self.grid.setColumnMinimumWidth(2, 220)
        self.editors: dict[str, QWidget] = {}
        self.messages: dict[str, QLabel] = {}
        self.row = 0
        for key, label, editor in before:  # rows the dialog makes itself (name, dataset, preset)
            self.add_row(key, label, editor)
        for field in (f for f in FIELDS if f.section == section):
            self.add_row(field.key, tr(field.label), self._editor(field))

    def add_row(self, key: str, label: str, editor: QWidget) -> None:
        message = QLabel()
        message.setWordWrap(True)
        message.setObjectName(f"issue_{key}")
        message.hide()
        caption = QLabel(label)
        caption.setBuddy(editor)
        self.grid.addWidget(caption, self.row, 0)
        self.grid.addWidget(editor, self.row, 1)
        self.grid.addWidget(message, self.row, 2)
        self.editors[key] = editor
        self.messages[key] = message
        self.row += 1

    def _editor(self, field: Field) -> QWidget:
        if field.kind == "int":
            editor = QSpinBox()
            editor.setRange(field.minimum, min(field.maximum, 2**31 - 1))
            editor.setValue(int(field.default))
            editor.setGroupSeparatorShown(True)
            editor.valueChanged.connect(self.sig_changed)
        elif field.kind in ("float", "optfloat"):
            editor = QLineEdit(fmt_float(field.default))
            if field.kind == "optfloat":
                editor.setPlaceholderText(QCoreApplication.translate("NewRun", "default"))
            editor.textChanged.connect(self.sig_changed)
        elif field.kind == "choice":
            editor = QComboBox()
            editor.setEditable(field.editable)
            editor.addItems(list(field.choices))
            editor.setCurrentText(str(field.default))
            editor.currentTextChanged.connect(self.sig_changed)
        elif field.kind == "bool":
            editor = QCheckBox()
            editor.setChecked(bool(field.default))
            editor.toggled.connect(self.sig_changed)
        else:
            editor = QLineEdit(str(field.default or ""))
            editor.textChanged.connect(self.sig_changed)
        editor.setObjectName(f"field_{field.key}")
        if field.help:
            editor.setToolTip(tr(field.help))
        return editor

    # -- values -------------------------------------------------------------------------------------------
    def values(self, errors: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, editor in self.editors.items():
            field = FIELD.get(key)
            if field is None:
                continue
            if isinstance(editor, QSpinBox):
                out[key] = editor.value()
            elif isinstance(editor, QCheckBox):
                out[key] = editor.isChecked()
            elif isinstance(editor, QComboBox):
                out[key] = editor.currentText().strip()
            elif field.kind in ("float", "optfloat"):
                try:
                    out[key] = parse(key, editor.text())
                except ValueError as exc:
                    errors[key] = error_text(exc)
            else:
                out[key] = editor.text()
        return out

    def set_value(self, key: str, value: Any) -> None:
        editor = self.editors.get(key)
        if editor is None:
            return
        if isinstance(editor, QSpinBox):
            editor.setValue(int(value or 0))
        elif isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, QComboBox):
            editor.setCurrentText(str(value))
        elif FIELD.get(key) is not None and FIELD[key].kind in ("float", "optfloat") and not isinstance(value, str):
            editor.setText(fmt_float(value))
        else:
            editor.setText("" if value is None else str(value))

    def show_issues(self, issues: dict[str, Issue]) -> None:
        for key, label in self.messages.items():
            issue = issues.get(key)
            if issue is None:
                label.hide()
                label.clear()
                continue
            colour = ERROR_COLOUR if issue.level == ERROR else WARNING_COLOUR
            label.setStyleSheet(f"color: {colour};")
            label.setText(issue.message)
            label.show()


def section_box(section: str, rows: FieldRows) -> QGroupBox:
    box = QGroupBox(tr(SECTIONS[section]))
    box.setObjectName(f"section_{section}")
    layout = QGridLayout(box)
    layout.setContentsMargins(6, 6, 6, 6)
    layout.addWidget(rows, 0, 0)
    return box
