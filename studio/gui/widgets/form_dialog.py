"""A form dialog that does its own checking: OK runs the local checks and then the action (a service call, on
a worker thread); a refusal keeps the dialog open with what was typed, and the message appears under the
field it is about (a ValidationError's `field`), else under the form. Only success closes it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from studio.gui.concurrent import Task
from studio.gui.i18n import error_text

ERROR_STYLE = "color: #d04040;"


def _call(fn: Callable[[dict[str, Any]], Any], values: dict[str, Any], *, state) -> Any:
    return fn(values)


class FieldErrors:
    """Error lines under form rows, found by the field names errors use (ValidationError.field); a message
    about no known field goes to `general`."""

    def __init__(self, general: QLabel):
        self.general = general
        self._labels: dict[str, tuple[QFormLayout, QLabel]] = {}

    def add(self, form: QFormLayout, *fields: str) -> QLabel:
        """A hidden error line as the next row of `form`, for `fields`."""
        message = QLabel()
        message.setWordWrap(True)
        message.setStyleSheet(ERROR_STYLE)
        form.addRow("", message)
        form.setRowVisible(message, False)
        for name in fields:
            self._labels[name] = (form, message)
        return message

    def clear(self) -> None:
        self.general.clear()
        self.general.hide()
        for form, label in self._labels.values():
            label.clear()
            form.setRowVisible(label, False)

    def show(self, field: str | None, text: str) -> None:
        found = self._labels.get(field or "")
        if found is None:
            self.general.setText(text)
            self.general.show()
            return
        form, label = found
        label.setText(text)
        form.setRowVisible(label, True)

    def text(self, field: str) -> str:
        found = self._labels.get(field)
        return found[1].text() if found is not None else ""


def error_label() -> QLabel:
    label = QLabel()
    label.setObjectName("formError")
    label.setWordWrap(True)
    label.setStyleSheet(ERROR_STYLE)
    label.hide()
    return label


class FormDialog(QDialog):
    """Subclasses add rows with `add_field`, give `values()` and, if they can, `problem()`; the opener gives
    `submit(values)` (runs off the GUI thread; its result is `self.result_value` after acceptance)."""

    def __init__(self, title: str, parent: QWidget | None = None,
                 submit: Callable[[dict[str, Any]], Any] | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.submit = submit
        self.result_value: Any = None
        self.task: Task | None = None
        self.form = QFormLayout()
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.hide()
        self.error = error_label()
        self.errors = FieldErrors(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._ok)
        self.buttons.rejected.connect(self.reject)
        self.layout_ = QVBoxLayout(self)
        self.layout_.addLayout(self.form)
        self.layout_.addWidget(self.note)
        self.layout_.addWidget(self.error)
        self.layout_.addWidget(self.buttons)

    # -- building ------------------------------------------------------------------------------------------
    def add_field(self, label: str, widget: QWidget, *fields: str) -> QLabel:
        """A row, and under it a (hidden) line for the errors about `fields` (names a ValidationError uses)."""
        self.form.addRow(label, widget)
        return self.errors.add(self.form, *fields)

    def set_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def ok_button(self):
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    # -- what subclasses give --------------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        return {}

    def problem(self) -> tuple[str | None, str] | None:
        """(field, message) when the form alone shows something is wrong, else None."""
        return None

    def error_for(self, field: str) -> str:
        return self.errors.text(field)

    # -- OK --------------------------------------------------------------------------------------------------
    def _ok(self) -> None:
        if self.task is not None and self.task.running:
            return
        self.errors.clear()
        problem = self.problem()
        if problem is not None:
            self.errors.show(*problem)
            return
        if self.submit is None:
            self.accept()
            return
        self.buttons.setEnabled(False)
        self.task = Task(_call, self.submit, self.values(), parent=self)
        self.task.sig_task_finished.connect(self._succeeded)
        self.task.sig_task_failed.connect(self._failed)
        self.task.start()

    def _succeeded(self, result: Any) -> None:
        self.result_value = result
        self.buttons.setEnabled(True)
        self.accept()

    def _failed(self, error: Exception) -> None:
        self.buttons.setEnabled(True)
        self.errors.show(getattr(error, "field", None), error_text(error))
