"""The login screen: what the window shows while nobody is signed in. On a new data folder it creates the
first administrator instead. The key derivation (Argon2id, a fraction of a second) runs on a worker thread."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.resources import resource_path
from studio.gui.concurrent import Task
from studio.gui.context import AppContext
from studio.gui.i18n import error_text
from studio.gui.texts import Texts


def _login(accounts, name: str, password: str, *, state):
    return accounts.login(name, password)


def _create_admin(accounts, name: str, password: str, *, state):
    return accounts.create_first_admin(name, password)


class LoginScreen(QWidget):
    sig_signed_in = Signal(object)  # the UserSession

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self._task: Task | None = None
        self.setObjectName("loginScreen")

        card = QFrame()
        card.setObjectName("loginCard")
        card.setFrameShape(QFrame.Shape.StyledPanel)
        card.setMaximumWidth(420)
        icon = QLabel()
        icon.setPixmap(QIcon(str(resource_path("icons", "studio.svg"))).pixmap(48, 48))
        self.title = QLabel()
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.title.setFont(font)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.name = QLineEdit()
        self.name.setObjectName("loginName")
        self.password = QLineEdit()
        self.password.setObjectName("loginPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.texts = Texts()
        self.confirm_label = QLabel()
        self.texts.set(self.confirm_label.setText, lambda: self.tr("Confirm password"))
        self.name_label, self.password_label = QLabel(), QLabel()
        self.texts.set(self.name_label.setText, lambda: self.tr("User name"))
        self.texts.set(self.password_label.setText, lambda: self.tr("Password"))
        self.button = QPushButton()
        self.button.setObjectName("loginButton")
        self.button.setDefault(True)
        self.error = QLabel()
        self.error.setObjectName("loginError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d04040;")

        form = QFormLayout()
        form.addRow(self.name_label, self.name)
        form.addRow(self.password_label, self.password)
        form.addRow(self.confirm_label, self.confirm)
        head = QHBoxLayout()
        head.addWidget(icon)
        head.addWidget(self.title, 1)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(28, 24, 28, 24)
        inner.setSpacing(12)
        inner.addLayout(head)
        inner.addWidget(self.intro)
        inner.addLayout(form)
        inner.addWidget(self.button)
        inner.addWidget(self.error)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card, 2)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

        self.button.clicked.connect(self.submit)
        for edit in (self.name, self.password, self.confirm):
            edit.returnPressed.connect(self.submit)
        self.refresh()

    def retranslate(self) -> None:
        """The texts in the new language; what was typed stays (the error line is cleared)."""
        self.texts.refresh()
        self._texts(self.first_start)
        if self._task is None or not self._task.running:
            self.error.clear()

    @property
    def first_start(self) -> bool:
        return not self.ctx.studio.accounts.has_users()

    def refresh(self, user_name: str = "") -> None:
        """Show the right form; `user_name` pre-fills the name (after "lock now")."""
        first = self.first_start
        self._texts(first)
        self.confirm.setVisible(first)
        self.confirm_label.setVisible(first)
        self.name.setText(user_name)
        self.password.clear()
        self.confirm.clear()
        self.error.clear()
        self._set_busy(False)
        (self.password if user_name else self.name).setFocus()

    def _texts(self, first: bool) -> None:
        self.title.setText(self.tr("Create the first administrator") if first else self.tr("Sign in"))
        self.intro.setText(
            self.tr("This data folder has no users yet. The first account administers the others. "
                    "The password needs at least 10 characters and must not be a common one.")
            if first else self.tr("Sign in to open your models, datasets and runs. Their keys stay locked until then.")
        )
        self.button.setText(self.tr("Create administrator") if first else self.tr("Sign in"))

    def _set_busy(self, busy: bool) -> None:
        for w in (self.name, self.password, self.confirm, self.button):
            w.setEnabled(not busy)
        if busy:
            self.error.setText(self.tr("Checking…"))
            self.error.setStyleSheet("")
        else:
            self.error.setStyleSheet("color: #d04040;")

    def submit(self) -> None:
        if self._task is not None and self._task.running:
            return
        name, password = self.name.text().strip(), self.password.text()
        if not name or not password:
            self.error.setText(self.tr("Enter a user name and a password."))
            return
        first = self.first_start
        if first and password != self.confirm.text():
            self.error.setText(self.tr("The two passwords differ."))
            return
        fn = _create_admin if first else _login
        self._set_busy(True)
        self._task = Task(fn, self.ctx.studio.accounts, name, password, parent=self)
        self._task.sig_task_finished.connect(self._succeeded)
        self._task.sig_task_failed.connect(self._failed)
        self._task.start()

    def _succeeded(self, session) -> None:
        self.password.clear()
        self.confirm.clear()
        self._set_busy(False)
        self.error.clear()
        self.sig_signed_in.emit(session)

    def _failed(self, error: Exception) -> None:
        self.password.clear()
        self._set_busy(False)
        self.error.setText(error_text(error))
        self.password.setFocus()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape:
            self.password.clear()
        super().keyPressEvent(event)
