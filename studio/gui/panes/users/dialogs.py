"""The small dialogs of the Users & Access pane. The pane gives each one the service call to make; the
dialog stays open with what was typed until the call succeeds, and shows a refusal under its field."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from studio.core.actor import ROLES
from studio.core.security.policy import PERMISSIONS
from studio.gui.names import object_text
from studio.gui.widgets.form_dialog import FormDialog

Submit = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class ObjectChoice:
    """A model or dataset offered by name in a picker."""

    obj_type: str
    obj_id: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.obj_type}:{self.obj_id}"


def role_text(role: str) -> str:
    return {"admin": QCoreApplication.translate("UsersPane", "admin"),
            "trainer": QCoreApplication.translate("UsersPane", "trainer"),
            "viewer": QCoreApplication.translate("UsersPane", "viewer")}.get(role, role)


def fill_objects(combo: QComboBox, objects: Sequence[ObjectChoice], selected: str = "") -> None:
    combo.clear()
    for o in objects:
        combo.addItem(object_text(o.obj_type, o.obj_id, o.name), o)
        if o.key == selected:
            combo.setCurrentIndex(combo.count() - 1)


def _password_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class NewUserDialog(FormDialog):
    def __init__(self, parent: QWidget | None = None, submit: Submit | None = None):
        super().__init__(self.tr("New user"), parent, submit)
        self.name = QLineEdit()
        self.role = QComboBox()
        for role in ROLES:
            self.role.addItem(role_text(role), role)
        self.role.setCurrentIndex(self.role.findData("trainer"))
        self.password, self.again = _password_edit(), _password_edit()
        self.add_field(self.tr("User name"), self.name, "name")
        self.add_field(self.tr("Role"), self.role, "role")
        self.add_field(self.tr("Password"), self.password, "password")
        self.add_field(self.tr("Password again"), self.again, "again")
        self.set_note(self.tr("At least 10 characters, not a common password. Tell the user in person; they "
                              "can change it from the Account menu."))

    def values(self) -> dict[str, Any]:
        return {"name": self.name.text().strip(), "role": self.role.currentData(), "password": self.password.text()}

    def problem(self) -> tuple[str | None, str] | None:
        if not self.name.text().strip():
            return "name", self.tr("Enter a user name.")
        if self.password.text() != self.again.text():
            return "again", self.tr("The two passwords differ.")
        return None


class ResetPasswordDialog(FormDialog):
    def __init__(self, user_name: str, parent: QWidget | None = None, submit: Submit | None = None):
        super().__init__(self.tr("Reset the password of {name}").format(name=user_name), parent, submit)
        self.password, self.again = _password_edit(), _password_edit()
        self.add_field(self.tr("New password"), self.password, "password")
        self.add_field(self.tr("New password again"), self.again, "again")
        self.set_note(self.tr(
            "You cannot open {name}'s keys, so the reset gives {name} new ones: what was shared with {name} can no "
            "longer be opened, and {name}'s grants are revoked. Whoever holds those models and datasets must "
            "grant them again. {name} must choose a new password at the next login.").format(name=user_name))

    def values(self) -> dict[str, Any]:
        return {"password": self.password.text()}

    def problem(self) -> tuple[str | None, str] | None:
        if self.password.text() != self.again.text():
            return "again", self.tr("The two passwords differ.")
        return None


class AddGrantDialog(FormDialog):
    """Whom, on which model or dataset (picked by name), and what they may then do."""

    def __init__(self, users: Sequence[tuple[str, str]], objects: Sequence[ObjectChoice], user: str = "",
                 obj: str = "", parent: QWidget | None = None, submit: Submit | None = None):
        super().__init__(self.tr("Add a grant"), parent, submit)
        self.user = QComboBox()
        for name, role in users:
            self.user.addItem(self.tr("{name} ({role})").format(name=name, role=role_text(role)), name)
            if name == user:
                self.user.setCurrentIndex(self.user.count() - 1)
        self.object = QComboBox()
        self.object.setMinimumContentsLength(24)
        fill_objects(self.object, objects, obj)
        self.permission = QComboBox()
        texts = {"use": self.tr("use: load, read, generate, train on"),
                 "export": self.tr("export: also write plaintext weights"),
                 "manage": self.tr("manage: also rename, delete and grant to others")}
        for p in PERMISSIONS:
            self.permission.addItem(texts.get(p, p), p)
        self.add_field(self.tr("User"), self.user, "user")
        self.add_field(self.tr("Model or dataset"), self.object, "object")
        self.add_field(self.tr("Permission"), self.permission, "permission")
        if not objects:
            self.set_note(self.tr("There is no model or dataset you may share."))
        self.ok_button().setText(self.tr("Grant"))

    def values(self) -> dict[str, Any]:
        o: ObjectChoice | None = self.object.currentData()
        return {"user": self.user.currentData(), "obj_type": o.obj_type if o else None,
                "obj_id": o.obj_id if o else None, "permission": self.permission.currentData()}

    def problem(self) -> tuple[str | None, str] | None:
        if self.user.currentData() is None:
            return "user", self.tr("Choose the user.")
        if self.object.currentData() is None:
            return "object", self.tr("Choose the model or dataset.")
        return None
