"""API keys in the Users & Access pane: one's own keys (an administrator sees everyone's), New key… (the key
is shown once, in a dialog with a copy button) and Revoke. The same service calls as `studio keys`."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.core.serving.options import DEFAULT_RATE_PER_MIN
from studio.gui.concurrent import Task

DAY = 86400.0


def _create(keys, actor, name, expires_in_s, rate, *, state):
    return keys.create(actor, name, expires_in_s=expires_in_s, rate_per_min=rate)


def _revoke(keys, actor, key_id, *, state):
    return keys.revoke(actor, key_id)


class NewKeyDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("New API key"))
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("what it is for, e.g. laptop"))
        self.name.setMaxLength(64)
        self.expires = QComboBox()
        for text, seconds in ((self.tr("never"), None), (self.tr("in 7 days"), 7 * DAY),
                              (self.tr("in 30 days"), 30 * DAY), (self.tr("in 90 days"), 90 * DAY),
                              (self.tr("in a year"), 365 * DAY)):
            self.expires.addItem(text, seconds)
        self.rate = QSpinBox()
        self.rate.setRange(1, 100_000)
        self.rate.setValue(DEFAULT_RATE_PER_MIN)
        self.rate.setSuffix(self.tr(" requests a minute"))
        form = QFormLayout()
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Expires"), self.expires)
        form.addRow(self.tr("Rate limit"), self.rate)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def expires_in_s(self) -> float | None:
        return self.expires.currentData()


class ShowKeyDialog(QDialog):
    """The new key, this once: selectable, with a button that copies it to the clipboard."""

    def __init__(self, token: str, name: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Your new API key"))
        self.key = QLineEdit(token)
        self.key.setReadOnly(True)
        self.key.setObjectName("newApiKey")
        self.key.setMinimumWidth(self.fontMetrics().horizontalAdvance(token) + 24)
        self.copy_button = QPushButton(self.tr("Copy"))
        self.copy_button.clicked.connect(self.copy)
        note = QLabel(self.tr("This is the only time the key \"{name}\" is shown: copy it now and keep it somewhere "
                              "safe. Clients send it as the API key (Authorization: Bearer …).").format(name=name))
        note.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.key, 1)
        row.addWidget(self.copy_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(row)
        layout.addWidget(buttons)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.key.text())
        self.copy_button.setText(self.tr("Copied"))


class KeysBox(QWidget):
    """The API keys section; the pane hands in its table model class, table factory and date format."""

    sig_message = Signal(str, bool)  # text, is_error

    def __init__(self, ctx, rows_model_cls, table_factory, when, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self._task: Task | None = None
        self.model = rows_model_cls(
            [self.tr("User"), self.tr("Name"), self.tr("Key"), self.tr("Status"), self.tr("Requests/min"),
             self.tr("Created (UTC)"), self.tr("Expires (UTC)")],
            [lambda k: k.user_name, lambda k: k.name, lambda k: k.prefix + "…", lambda k: self.status_text(k.status),
             lambda k: str(k.rate_per_min), lambda k: when(k.created_at),
             lambda k: when(k.expires_at) if k.expires_at else self.tr("never")], self)
        self.table = table_factory(self.model)
        self.table.setObjectName("apiKeysTable")
        self.new_button = QPushButton(self.tr("New key…"))
        self.revoke_button = QPushButton(self.tr("Revoke key"))
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("API keys (for the Serving pane and studio serve)")))
        row.addStretch(1)
        row.addWidget(self.new_button)
        row.addWidget(self.revoke_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        self.new_button.clicked.connect(self.new_key)
        self.revoke_button.clicked.connect(self.revoke)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self.update_buttons())

    def status_text(self, status: str) -> str:
        return {"active": self.tr("active"), "expired": self.tr("expired"), "revoked": self.tr("revoked"),
                "voided": self.tr("void (password reset)"), "tampered": self.tr("TAMPERED"),
                "unverified": self.tr("unverified")}.get(status, status)

    def refresh(self) -> None:
        if self.ctx.session is None:
            return
        try:
            self.model.set_rows(self.ctx.studio.keys.list(self.ctx.actor))
        except Exception as error:  # noqa: BLE001 - shown in the pane
            self.sig_message.emit(str(error), True)
        self.update_buttons()

    def selected(self):
        index = self.table.currentIndex()
        rows = self.model.rows
        return rows[index.row()] if index.isValid() and index.row() < len(rows) else None

    def update_buttons(self) -> None:
        idle = self._task is None and self.ctx.session is not None
        self.new_button.setEnabled(idle)
        key = self.selected()
        self.revoke_button.setEnabled(idle and key is not None and key.status not in ("revoked",))

    def new_key(self) -> Task | None:
        dialog = NewKeyDialog(self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return self._run(_create, self.ctx.studio.keys, self.ctx.actor, dialog.name.text().strip(),
                         dialog.expires_in_s(), dialog.rate.value(), done=self._created)

    def _created(self, made) -> None:
        self.refresh()
        ShowKeyDialog(made.token, made.key.name, self).exec()

    def revoke(self) -> Task | None:
        key = self.selected()
        if key is None:
            return None
        answer = QMessageBox.question(self, self.tr("Revoke the key?"),
                                      self.tr("Requests with the key \"{name}\" ({prefix}…) will be refused from now "
                                              "on.").format(name=key.name, prefix=key.prefix))
        if answer != QMessageBox.StandardButton.Yes:
            return None
        return self._run(_revoke, self.ctx.studio.keys, self.ctx.actor, key.id, done=lambda _: self._revoked(key))

    def _revoked(self, key) -> None:
        self.sig_message.emit(self.tr("Revoked the key \"{name}\".").format(name=key.name), False)
        self.refresh()

    def _run(self, fn, *args, done) -> Task:
        task = Task(fn, *args, parent=self)
        task.sig_task_finished.connect(lambda result: self._finished(done, result))
        task.sig_task_failed.connect(self._failed)
        self._task = task
        task.start()
        self.update_buttons()
        return task

    def _finished(self, done, result) -> None:
        self._task = None
        self.update_buttons()
        done(result)

    def _failed(self, error: Exception) -> None:
        self._task = None
        self.sig_message.emit(str(error), True)
        self.update_buttons()
