"""The Users & Access pane. Administrators see every account (name, role, status, last login, failed
logins) and create, disable, enable, unlock, reset and change roles; below, the grants of the selected user
or of one object, with add and revoke, and the API keys (keys.py). Others see their own grants and keys. The services decide; buttons are only
greyed out to match."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.core import operations as ops
from studio.core.actor import ROLES
from studio.core.errors import StudioError
from studio.gui.concurrent import Task
from studio.gui.context import AppContext
from studio.gui.i18n import error_text
from studio.gui.names import object_text
from studio.gui.panes.base import Pane
from studio.gui.panes.users.dialogs import (
    AddGrantDialog,
    NewUserDialog,
    ObjectChoice,
    ResetPasswordDialog,
    fill_objects,
    role_text,
)
from studio.gui.panes.users.keys import KeysBox
from studio.gui.widgets.layout import keep_place


class RowsModel(QAbstractTableModel):
    """A read-only table over a list of frozen dataclasses: one function per column."""

    def __init__(self, headers: list[str], columns: list, parent=None):
        super().__init__(parent)
        self.headers, self.columns, self.rows = headers, columns, []

    def set_rows(self, rows: list) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[index.column()](row)
        if role == Qt.ItemDataRole.ForegroundRole and getattr(row, "status", "active") != "active":
            return QColor(215, 70, 60) if row.status == "locked" else QColor(140, 142, 148)
        return None


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


def _table(model: QAbstractTableModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return view


def _call(fn, *args, state):
    return fn(*args)


class UsersPane(Pane):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self._task: Task | None = None
        heading = QLabel(self.tr("Users & Access"))
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        heading.setFont(font)
        self.message = QLabel()
        keep_place(self.message)  # a notice coming and going does not move the pane
        self.message.setObjectName("usersMessage")
        self.message.setWordWrap(True)

        self.users_model = RowsModel(
            [self.tr("Name"), self.tr("Role"), self.tr("Status"), self.tr("Last login (UTC)"),
             self.tr("Failed logins")],
            [lambda u: u.name, lambda u: role_text(u.role), lambda u: self._status_text(u.status),
             lambda u: _when(u.last_login_at), lambda u: str(u.failed_attempts)], self)
        self.users = _table(self.users_model)
        self.users.setObjectName("usersTable")
        self.new_button = QPushButton(self.tr("New user…"))
        self.disable_button = QPushButton(self.tr("Disable"))
        self.unlock_button = QPushButton(self.tr("Unlock"))
        self.reset_button = QPushButton(self.tr("Reset password…"))
        self.role_button = QPushButton(self.tr("Change role…"))
        buttons = QHBoxLayout()
        for b in (self.new_button, self.disable_button, self.unlock_button, self.reset_button, self.role_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.admin_box = QWidget()
        admin = QVBoxLayout(self.admin_box)
        admin.setContentsMargins(0, 0, 0, 0)
        admin.addLayout(buttons)
        admin.addWidget(self.users, 1)

        grant_columns = [lambda g: g.user_name, lambda g: object_text(g.obj_type, g.obj_id, g.obj_name),
                         lambda g: self._permission_text(g.permission), lambda g: _when(g.granted_at)]
        grant_headers = [self.tr("User"), self.tr("Object"), self.tr("Permission"), self.tr("Granted (UTC)")]
        self.user_grants_model = RowsModel(grant_headers, grant_columns, self)
        self.user_grants = _table(self.user_grants_model)
        self.object_grants_model = RowsModel(grant_headers, grant_columns, self)
        self.object_grants = _table(self.object_grants_model)
        self.object_combo = QComboBox()  # models and datasets by name
        self.object_combo.setMinimumContentsLength(24)
        self.object_show = QPushButton(self.tr("Show"))
        by_object = QWidget()
        ob = QVBoxLayout(by_object)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Model or dataset")))
        row.addWidget(self.object_combo, 1)
        row.addWidget(self.object_show)
        ob.addLayout(row)
        ob.addWidget(self.object_grants, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.user_grants, self.tr("Grants of the selected user"))
        self.tabs.addTab(by_object, self.tr("Grants on an object"))
        self.add_grant_button = QPushButton(self.tr("Add grant…"))
        self.revoke_button = QPushButton(self.tr("Revoke"))
        grant_buttons = QHBoxLayout()
        grant_buttons.addWidget(QLabel(self.tr("Grants")))
        grant_buttons.addStretch(1)
        grant_buttons.addWidget(self.add_grant_button)
        grant_buttons.addWidget(self.revoke_button)
        grants_box = QWidget()
        gl = QVBoxLayout(grants_box)
        gl.setContentsMargins(0, 0, 0, 0)
        gl.addLayout(grant_buttons)
        gl.addWidget(self.tabs, 1)

        self.keys_box = KeysBox(ctx, RowsModel, _table, _when, self)
        self.keys_box.sig_message.connect(self.show_message)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.admin_box)
        splitter.addWidget(grants_box)
        splitter.addWidget(self.keys_box)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)
        self.message.hide()

        self.new_button.clicked.connect(self.new_user)
        self.disable_button.clicked.connect(self.toggle_disabled)
        self.unlock_button.clicked.connect(self.unlock)
        self.reset_button.clicked.connect(self.reset_password)
        self.role_button.clicked.connect(self.change_role)
        self.add_grant_button.clicked.connect(self.add_grant)
        self.revoke_button.clicked.connect(self.revoke)
        self.object_show.clicked.connect(self.show_object)
        self.object_combo.activated.connect(lambda _i: self.show_object())
        self.users.selectionModel().currentRowChanged.connect(lambda *_: self._selection_changed())
        self.user_grants.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self.object_grants.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self.tabs.currentChanged.connect(lambda *_: self._update_buttons())
        ctx.sig_session_changed.connect(lambda *_: self.refresh())
        self.refresh()

    def _permission_text(self, permission: str) -> str:
        return {"use": self.tr("use"), "export": self.tr("export"), "manage": self.tr("manage")}.get(permission,
                                                                                                     permission)

    def _status_text(self, status: str) -> str:
        return {"active": self.tr("active"), "disabled": self.tr("disabled"), "locked": self.tr("locked")}[status]

    # -- state --------------------------------------------------------------------------------------------
    def pane_shown(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        session = self.ctx.session
        if session is None:
            return
        admin = self.ctx.is_admin
        self.admin_box.setVisible(admin)
        try:
            if admin:
                selected = self.selected_user()
                self.users_model.set_rows(self.ctx.studio.accounts.list_users(self.ctx.actor))
                names = [u.name for u in self.users_model.rows]
                row = names.index(selected.name) if selected and selected.name in names else 0
                if names:
                    self.users.selectRow(row)
                self.tabs.setTabText(0, self.tr("Grants of the selected user"))
            else:
                self.show_message(self.tr("Only administrators manage users. These are your grants."))
                self.user_grants_model.set_rows(self.ctx.studio.grants.list(self.ctx.actor))
                self.tabs.setTabText(0, self.tr("My grants"))
        except StudioError as error:
            self.show_message(error_text(error), error=True)
        current = self.object_combo.currentData()
        fill_objects(self.object_combo, self.objects(ops.GRANT_LIST), current.key if current else "")
        self.keys_box.refresh()
        self._selection_changed()

    def objects(self, action: str) -> list[ObjectChoice]:
        """The models and datasets the signed-in user sees and may do `action` on, by name."""
        studio, actor = self.ctx.studio, self.ctx.actor
        found: list[ObjectChoice] = []
        try:
            found += [ObjectChoice("model", str(m.id), m.name) for m in studio.vault.list_models(actor)]
        except StudioError:
            pass  # a locked vault offers no model
        try:
            found += [ObjectChoice("dataset", str(d.id), d.name) for d in studio.datasets.list(actor)]
        except StudioError:
            pass
        return [o for o in found if studio.grants.can(actor, action, o.obj_type, o.obj_id)]

    def selected_user(self):
        index = self.users.currentIndex()
        rows = self.users_model.rows
        return rows[index.row()] if index.isValid() and index.row() < len(rows) else None

    def selected_grant(self):
        view, model = ((self.user_grants, self.user_grants_model) if self.tabs.currentIndex() == 0
                       else (self.object_grants, self.object_grants_model))
        index = view.currentIndex()
        return model.rows[index.row()] if index.isValid() and index.row() < len(model.rows) else None

    def _selection_changed(self) -> None:
        user = self.selected_user()
        if self.ctx.is_admin and user is not None:
            try:
                self.user_grants_model.set_rows(self.ctx.studio.grants.list(self.ctx.actor, user_name=user.name))
            except StudioError as error:
                self.show_message(error_text(error), error=True)
        self._update_buttons()

    def _update_buttons(self) -> None:
        admin, user = self.ctx.is_admin, self.selected_user()
        me = self.ctx.session.user_id if self.ctx.session is not None else None
        busy = self._task is not None
        self.new_button.setEnabled(admin and not busy)
        for b in (self.disable_button, self.unlock_button, self.reset_button, self.role_button):
            b.setEnabled(admin and user is not None and not busy)
        if user is not None:
            self.disable_button.setText(self.tr("Enable") if user.disabled else self.tr("Disable"))
            self.disable_button.setEnabled(admin and user.id != me and not busy)
            self.unlock_button.setEnabled(admin and user.failed_attempts > 0 and not busy)
            self.reset_button.setEnabled(admin and user.id != me and not busy)
        self.add_grant_button.setEnabled(self.ctx.session is not None and self.ctx.session.role != "viewer")
        self.revoke_button.setEnabled(self.selected_grant() is not None and self.ctx.session.role != "viewer")

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
        self.message.setStyleSheet("color: #d04040;" if error else "")

    # -- actions ------------------------------------------------------------------------------------------
    def _run(self, fn, *args, done: str) -> Task:
        """A service call on a worker thread (user creation and resets derive keys: a fraction of a second)."""
        task = Task(_call, fn, *args, parent=self)
        task.sig_task_finished.connect(lambda _: self._finished(done))
        task.sig_task_failed.connect(self._failed)
        self._task = task
        task.start()
        self._update_buttons()
        return task

    def _finished(self, text: str) -> None:
        self._task = None
        self.show_message(text)
        self.refresh()

    def _failed(self, error: Exception) -> None:
        self._task = None
        self.show_message(error_text(error), error=True)
        self._update_buttons()

    def _open(self, dialog, done) -> bool:
        """Show a dialog that makes its own service call; after it succeeded, say so and refresh."""
        self.dialog = dialog  # reachable for tests while it runs
        if dialog.exec() != dialog.DialogCode.Accepted:
            return False
        self.show_message(done(dialog))
        self.refresh()
        return True

    def new_user(self) -> bool:
        actor = self.ctx.actor
        return self._open(NewUserDialog(self, submit=lambda v: self.ctx.studio.accounts.create_user(
            actor, v["name"], v["role"], v["password"])),
            lambda d: self.tr("Created {name}.").format(name=d.values()["name"]))

    def toggle_disabled(self) -> Task | None:
        user = self.selected_user()
        if user is None:
            return None
        text = self.tr("Enabled {name}.") if user.disabled else self.tr("Disabled {name}.")
        return self._run(self.ctx.studio.accounts.set_disabled, self.ctx.actor, user.name, not user.disabled,
                         done=text.format(name=user.name))

    def unlock(self) -> Task | None:
        user = self.selected_user()
        if user is None:
            return None
        return self._run(self.ctx.studio.accounts.unlock, self.ctx.actor, user.name,
                         done=self.tr("Unlocked {name}.").format(name=user.name))

    def reset_password(self) -> bool:
        user = self.selected_user()
        if user is None:
            return False
        actor = self.ctx.actor
        return self._open(ResetPasswordDialog(user.name, self, submit=lambda v: self.ctx.studio.accounts.reset_password(
            actor, user.name, v["password"])),
            lambda _d: self.tr("Reset the password of {name}; their grants were revoked.").format(name=user.name))

    def change_role(self) -> Task | None:
        user = self.selected_user()
        if user is None:
            return None
        texts = [role_text(r) for r in ROLES]
        text, ok = QInputDialog.getItem(self, self.tr("Change role"), self.tr("Role of {name}").format(name=user.name),
                                        texts, ROLES.index(user.role), False)
        role = ROLES[texts.index(text)] if ok and text in texts else user.role
        if role == user.role:
            return None
        return self._run(self.ctx.studio.accounts.set_role, self.ctx.actor, user.name, role,
                         done=self.tr("{name} is now {role}.").format(name=user.name, role=role_text(role)))

    def add_grant(self) -> bool:
        accounts = self.users_model.rows if self.ctx.is_admin else self.ctx.studio.accounts_store.list_users()
        me = self.ctx.session.user_id
        users = [(u.name, u.role) for u in accounts if u.id != me]
        selected = self.selected_user()
        current = self.object_combo.currentData()
        actor = self.ctx.actor
        dialog = AddGrantDialog(users, self.objects(ops.GRANT_ADD), selected.name if selected else "",
                                current.key if current else "", self,
                                submit=lambda v: self.ctx.studio.grants.add(actor, v["user"], v["obj_type"], v["obj_id"],
                                                                            v["permission"]))
        return self._open(dialog, lambda d: self.tr("Granted {permission} on {object} to {user}.").format(
            permission=self._permission_text(d.result_value.permission), user=d.result_value.user_name,
            object=object_text(d.result_value.obj_type, d.result_value.obj_id, d.result_value.obj_name)))

    def revoke(self) -> Task | None:
        grant = self.selected_grant()
        if grant is None:
            return None
        return self._run(self.ctx.studio.grants.revoke, self.ctx.actor, grant.user_name, grant.obj_type, grant.obj_id,
                         grant.permission, done=self.tr("Revoked."))

    def show_object(self) -> None:
        choice: ObjectChoice | None = self.object_combo.currentData()
        if choice is None:
            return
        try:
            self.object_grants_model.set_rows(self.ctx.studio.grants.list(self.ctx.actor, obj_type=choice.obj_type,
                                                                          obj_id=choice.obj_id))
            self.show_message("")
        except StudioError as error:
            self.show_message(error_text(error), error=True)
        self.tabs.setCurrentIndex(1)
        self._update_buttons()
