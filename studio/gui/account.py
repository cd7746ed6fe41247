"""The Account menu (change password, lock now, switch user, log out, auto-lock) and the idle lock.

Locking drops the session's keys from memory and shows the login screen with the user's name filled in;
logging out does the same and forgets the name. The idle lock watches input events application-wide and
locks after the idle time (default 15 minutes, 0 = never), kept in the GUI settings."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QVBoxLayout,
    QWidget,
)

from studio.gui.concurrent import Task
from studio.gui.context import AppContext
from studio.gui.i18n import error_text
from studio.gui.texts import Texts

IDLE_SETTING = "security/idle_lock_minutes"
IDLE_DEFAULT_MIN = 15
IDLE_CHOICES = (5, 15, 30, 60, 0)
_ACTIVITY = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel,
             QEvent.Type.TouchBegin}


class IdleWatcher(QObject):
    """Emits sig_idle_timeout once the application saw no input for `minutes`."""

    sig_idle_timeout = Signal()

    def __init__(self, minutes: float, parent: QObject | None = None, check_ms: int = 5000):
        super().__init__(parent)
        self.minutes = minutes
        self.last_activity = time.monotonic()
        self.timer = QTimer(self)
        self.timer.setInterval(check_ms)
        self.timer.timeout.connect(self.check)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if event.type() in _ACTIVITY:
            self.last_activity = time.monotonic()
        return False

    def start(self) -> None:
        self.last_activity = time.monotonic()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def check(self) -> None:
        if self.minutes > 0 and time.monotonic() - self.last_activity >= self.minutes * 60:
            self.timer.stop()
            self.sig_idle_timeout.emit()


def _change_password(accounts, session, old: str, new: str, *, state):
    accounts.change_password(session, old, new)


class ChangePasswordDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("Change password"))
        self.current, self.new, self.again = QLineEdit(), QLineEdit(), QLineEdit()
        for edit in (self.current, self.new, self.again):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow(self.tr("Current password"), self.current)
        form.addRow(self.tr("New password"), self.new)
        form.addRow(self.tr("New password again"), self.again)
        note = QLabel(self.tr("Only the wrapping of your key changes: everything shared with you stays readable."))
        note.setWordWrap(True)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d04040;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self._task: Task | None = None

    def submit(self) -> None:
        if self.new.text() != self.again.text():
            self.error.setText(self.tr("The two new passwords differ."))
            return
        self.buttons.setEnabled(False)
        self._task = Task(_change_password, self.ctx.studio.accounts, self.ctx.actor, self.current.text(),
                          self.new.text(), parent=self)
        self._task.sig_task_finished.connect(lambda _: self._done())
        self._task.sig_task_failed.connect(self._failed)
        self._task.start()

    def _done(self) -> None:
        for edit in (self.current, self.new, self.again):
            edit.clear()
        self.ctx.sig_status_message.emit(self.tr("Password changed."))
        self.accept()

    def _failed(self, error: Exception) -> None:
        self.buttons.setEnabled(True)
        self.error.setText(error_text(error))


class AccountController(QObject):
    """Builds the Account menu into a menu bar and drives locking; the window shows the login screen when
    the session becomes None."""

    sig_lock_requested = Signal(str)  # the user name to pre-fill on the login screen ("" after logout)

    def __init__(self, ctx: AppContext, menu: QMenu, parent: QObject | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.menu = menu
        self.idle = IdleWatcher(self.idle_minutes(), self)
        self.idle.sig_idle_timeout.connect(self.lock_now)

        self.texts = Texts()
        t = self.texts.set
        self.change_password = QAction(self)
        t(self.change_password.setText, lambda: self.tr("Change password…"))
        self.change_password.triggered.connect(self.show_change_password)
        self.lock = QAction(self)
        t(self.lock.setText, lambda: self.tr("Lock now"))
        self.lock.setShortcut(QKeySequence("Ctrl+L"))
        self.lock.triggered.connect(self.lock_now)
        self.switch = QAction(self)
        t(self.switch.setText, lambda: self.tr("Switch user…"))
        self.switch.triggered.connect(self.log_out)
        self.logout = QAction(self)
        t(self.logout.setText, lambda: self.tr("Log out"))
        self.logout.triggered.connect(self.log_out)
        menu.addAction(self.change_password)
        menu.addSeparator()
        menu.addAction(self.lock)
        menu.addAction(self.switch)
        menu.addAction(self.logout)
        menu.addSeparator()
        auto = menu.addMenu("")
        t(auto.setTitle, lambda: self.tr("Lock when idle"))
        group = QActionGroup(self)
        current = self.idle_minutes()
        for minutes in IDLE_CHOICES:
            action = QAction(self, checkable=True)
            t(action.setText, lambda m=minutes: self.tr("Never") if m == 0 else self.tr("After {n} minutes").format(n=m))
            action.setChecked(minutes == current)
            action.triggered.connect(lambda _=False, m=minutes: self.set_idle_minutes(m))
            group.addAction(action)
            auto.addAction(action)
        self.auto_menu = auto
        ctx.sig_session_changed.connect(self._session_changed)
        self._session_changed(ctx.session)

    def retranslate(self) -> None:
        self.texts.refresh()

    def idle_minutes(self) -> int:
        try:
            return int(self.ctx.settings.value(IDLE_SETTING, IDLE_DEFAULT_MIN))
        except (TypeError, ValueError):
            return IDLE_DEFAULT_MIN

    def set_idle_minutes(self, minutes: int) -> None:
        self.ctx.settings.setValue(IDLE_SETTING, minutes)
        self.idle.minutes = minutes

    def _session_changed(self, session) -> None:
        signed_in = session is not None
        for action in (self.change_password, self.lock, self.switch, self.logout):
            action.setEnabled(signed_in)
        if signed_in:
            self.idle.start()
        else:
            self.idle.stop()

    def lock_now(self) -> None:
        session = self.ctx.session
        if session is None:
            return
        name = session.user_name
        self.ctx.end_session(lock_only=True)
        self.sig_lock_requested.emit(name)

    def log_out(self) -> None:
        if self.ctx.session is None:
            return
        self.ctx.end_session()
        self.sig_lock_requested.emit("")

    def show_change_password(self) -> None:
        if self.ctx.session is None:
            return
        dialog = ChangePasswordDialog(self.ctx, self.menu.window())
        dialog.open()
        self.dialog = dialog
