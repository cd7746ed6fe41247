"""The small dialogs of the Users & Access pane. They collect input only; the pane calls the services."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from studio.core.actor import ROLES
from studio.core.security.policy import GRANTABLE_TYPES, PERMISSIONS


class _Form(QDialog):
    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d04040;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._check)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.note)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def _check(self) -> None:
        problem = self.problem()
        if problem:
            self.error.setText(problem)
        else:
            self.accept()

    def problem(self) -> str:
        return ""


def _password_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class NewUserDialog(_Form):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(self.tr("New user"), parent)
        self.name = QLineEdit()
        self.role = QComboBox()
        for role in ROLES:
            self.role.addItem(role)
        self.role.setCurrentText("trainer")
        self.password, self.again = _password_edit(), _password_edit()
        self.form.addRow(self.tr("User name"), self.name)
        self.form.addRow(self.tr("Role"), self.role)
        self.form.addRow(self.tr("Password"), self.password)
        self.form.addRow(self.tr("Password again"), self.again)
        self.note.setText(self.tr("At least 10 characters, not a common password. Tell the user in person; they "
                                  "can change it from the Account menu."))

    def problem(self) -> str:
        if not self.name.text().strip():
            return self.tr("Enter a user name.")
        if self.password.text() != self.again.text():
            return self.tr("The two passwords differ.")
        return ""


class ResetPasswordDialog(_Form):
    def __init__(self, user_name: str, parent: QWidget | None = None):
        super().__init__(self.tr("Reset the password of {name}").format(name=user_name), parent)
        self.password, self.again = _password_edit(), _password_edit()
        self.form.addRow(self.tr("New password"), self.password)
        self.form.addRow(self.tr("New password again"), self.again)
        self.note.setText(self.tr(
            "You cannot open {name}'s keys, so the reset gives {name} new ones: what was shared with {name} can no "
            "longer be opened, and {name}'s grants are revoked. Whoever holds those models and datasets must "
            "grant them again. {name} must choose a new password at the next login.").format(name=user_name))

    def problem(self) -> str:
        if self.password.text() != self.again.text():
            return self.tr("The two passwords differ.")
        return ""


class AddGrantDialog(_Form):
    def __init__(self, users: list[str], user: str = "", obj: str = "", parent: QWidget | None = None):
        super().__init__(self.tr("Add a grant"), parent)
        self.user = QComboBox()
        self.user.addItems(users)
        if user:
            self.user.setCurrentText(user)
        self.obj_type = QComboBox()
        self.obj_type.addItems(list(GRANTABLE_TYPES))
        self.obj_id = QLineEdit()
        if obj:
            t, _, i = obj.partition(":")
            self.obj_type.setCurrentText(t)
            self.obj_id.setText(i)
        self.permission = QComboBox()
        self.permission.addItems(list(PERMISSIONS))
        self.form.addRow(self.tr("User"), self.user)
        self.form.addRow(self.tr("Object type"), self.obj_type)
        self.form.addRow(self.tr("Object id"), self.obj_id)
        self.form.addRow(self.tr("Permission"), self.permission)
        self.note.setText(self.tr("use: load, read, generate, train on; export: also write plaintext weights; "
                                  "manage: also rename, delete and grant to others."))

    def problem(self) -> str:
        if not self.obj_id.text().strip():
            return self.tr("Enter the id of the model or dataset.")
        return ""
