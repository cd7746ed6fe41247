"""The Vault pane: every model and checkpoint, encrypted at rest. A searchable models table, the details
of the selected model (metadata, lineage graph, access, versions), and the actions: import (buttons or
drag and drop), export, verify, share, rotate, delete. Long work runs on a worker thread (Task) with a
progress bar and Cancel; the pane stays usable meanwhile. While the session is locked the pane shows
nothing but how to unlock it. Actions the signed-in user may not do on the selected model (the policy's
answer: role, ownership, grants) are greyed out; the service refuses them anyway."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QSplitter,
    QTableView,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.core import operations as ops
from studio.core.errors import StudioError
from studio.core.security import policy
from studio.core.vault.errors import VaultLockedError
from studio.core.vault.facts import version_facts
from studio.core.vault.keys import private_key_of
from studio.gui.concurrent import Task
from studio.gui.context import AppContext
from studio.gui.i18n import error_text
from studio.gui.panes.base import Pane
from studio.gui.panes.vault.details import DetailsPanel
from studio.gui.panes.vault.dialogs import ExportDialog, ImportDialog, MergeDialog, ShareDialog
from studio.gui.panes.vault.tables import SORT_ROLE, ModelsTable
from studio.gui.widgets.column_choice import ColumnChoice
from studio.gui.widgets.layout import keep_place
from studio.gui.widgets.task_progress import TaskProgress

log = logging.getLogger(__name__)

IMPORTABLE = (".safetensors", ".pt", ".pth", ".bin", ".msbundle")
# what each action on the selected model needs from the policy
MODEL_ACTIONS = {"export": ops.MODEL_EXPORT, "share": ops.GRANT_ADD, "rotate": ops.MODEL_ROTATE,
                 "delete": ops.MODEL_DELETE}


class VaultPane(Pane):
    sig_models_changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.vault = ctx.studio.vault
        self._task: Task | None = None
        self._queue: deque[Path] = deque()
        self._allowed: dict[str, bool] = {}  # the policy's answers for the selected model
        self.setAcceptDrops(True)
        self._build()
        ctx.sig_session_changed.connect(self._session_changed)  # a bound slot: gone with the pane
        self.refresh()

    # --- layout ----------------------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        heading = QLabel(self.tr("Vault"))
        heading.setObjectName("paneHeading")
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        heading.setFont(font)
        top.addWidget(heading)
        top.addStretch(1)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search name, tag, architecture…"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(160)
        top.addWidget(self.search)
        layout.addLayout(top)

        # a tool bar, so that on a narrow window the actions fold into its » menu instead of widening it
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.import_action = self._menu_action(self.tr("Import"), (
            (self.tr("A model file (.safetensors)…"), self._choose_file),
            (self.tr("A Hugging Face folder…"), self._choose_folder),
            (self.tr("An encrypted bundle…"), self._choose_bundle)))
        self.chat_action = self.toolbar.addAction(self.tr("Chat…"), self.open_chat)
        self.chat_action.setToolTip(self.tr("Talk with the selected model, or continue a prompt"))
        self.export_action = self.toolbar.addAction(self.tr("Export…"), self._export_clicked)
        self.verify_action = self._menu_action(self.tr("Verify"), (
            (self.tr("The selected model"), lambda: self.verify(selected=True)),
            (self.tr("The whole vault"), lambda: self.verify(selected=False))))
        self.verify_one_action = self.verify_action.menu().actions()[0]
        self.share_action = self.toolbar.addAction(self.tr("Share…"), self._share_clicked)
        self.merge_action = self.toolbar.addAction(self.tr("Merge…"), self._merge_clicked)
        self.merge_action.setToolTip(self.tr("Merge the selected LoRA adapter into its base, as a new full model"))
        self.rotate_action = self.toolbar.addAction(self.tr("Rotate keys"), self._rotate_clicked)
        self.delete_action = self.toolbar.addAction(self.tr("Delete…"), self._delete_clicked)
        layout.addWidget(self.toolbar)

        self.locked_label = QLabel(self.tr(
            "The vault is locked. Log in (or unlock your session) to see your models: every model is encrypted "
            "with keys that only open with your password."))
        self.locked_label.setWordWrap(True)
        self.locked_label.setObjectName("vaultLocked")
        layout.addWidget(self.locked_label)
        self.notice = QLabel()
        keep_place(self.notice)  # a notice coming and going does not move the pane
        self.notice.setWordWrap(True)
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice.hide()
        layout.addWidget(self.notice)
        self.progress = TaskProgress()
        layout.addWidget(self.progress)

        self.models = ModelsTable(self.vault.user_label, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.models)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(ModelsTable.CREATED, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # the name takes the room the figures leave (elided, whole in its tooltip): no sideways scrolling
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.columns = ColumnChoice(
            self.table, ModelsTable.KEYS,
            lambda: [(key, self.models.header_text(i), "") for i, key in enumerate(ModelsTable.KEYS)],
            ModelsTable.DEFAULT_COLUMNS, self.ctx.settings, "vault/models_columns", always={"name"})
        self.columns.set_shown(self.columns.stored_keys(), remember=False)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.details = DetailsPanel(self.vault.user_label)
        self.details.sig_revoke_requested.connect(self.revoke)
        self.details.adapters.sig_merge_requested.connect(lambda v: self.merge_dialog(v.model_id, v.number))
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([600, 400])
        layout.addWidget(self.splitter, 1)
        self.drop_hint = QLabel(self.tr("Drop .safetensors files, model folders or bundles here to import them."))
        self.drop_hint.setEnabled(False)
        self.drop_hint.setWordWrap(True)
        layout.addWidget(self.drop_hint)

        self._search_timer = QTimer(self, singleShot=True, interval=150)
        self._search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())

    def _menu_action(self, text: str, entries) -> QAction:
        menu = QMenu(self)
        for label, slot in entries:
            menu.addAction(label, slot)
        action = QAction(text, self)
        action.setMenu(menu)
        self.toolbar.addAction(action)
        button = self.toolbar.widgetForAction(action)
        if isinstance(button, QToolButton):
            button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        return action

    # --- state -------------------------------------------------------------------------------------------------

    @property
    def actor(self) -> Any:
        return self.ctx.actor

    def is_locked(self) -> bool:
        try:
            private_key_of(self.ctx.session)  # None while the login screen shows
        except VaultLockedError:
            return True
        return False

    def _can(self, action: str, model_id: int | None = None) -> bool:
        try:
            return self.vault.can(self.actor, action, None if model_id is None else "model", model_id)
        except StudioError:
            return False

    def pane_shown(self) -> None:
        self.refresh()

    def _session_changed(self, _session: Any) -> None:
        self._allowed = {}
        window = getattr(self, "chat_window", None)
        if window is not None:  # its model was decrypted with the keys of the session that just ended
            window.close()
            self.chat_window = None
        self.refresh()

    def refresh(self) -> None:
        locked = self.is_locked()
        self.locked_label.setVisible(locked)
        if locked:
            self.models.set_rows([])
            self.details.show_details(None)
            self._update_actions()
            return
        keep = self.current_model_id()
        try:
            self.models.set_rows(self.vault.list_models(self.actor, self.search.text()))
        except StudioError as error:
            self.show_notice(error_text(error), error=True)
            self.models.set_rows([])
        if keep is not None:
            self.select_model(keep)
        self._selection_changed()

    def current_model_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        model = self.models.row_at(self.proxy.mapToSource(rows[0]).row())
        return None if model is None else model.id

    def select_model(self, model: int | str) -> bool:
        for row in range(self.models.rowCount()):
            m = self.models.row_at(row)
            if model in (m.id, m.name):
                index = self.proxy.mapFromSource(self.models.index(row, 0))
                self.table.selectRow(index.row())
                return True
        return False

    def _selection_changed(self) -> None:
        model_id = self.current_model_id()
        details, permissions, adapters = None, {}, []
        self._allowed = {}
        if model_id is not None and not self.is_locked():
            try:
                details = self.vault.show(self.actor, model_id)
                self._allowed = {name: self._can(op, model_id) for name, op in MODEL_ACTIONS.items()}
                self._allowed["merge"] = self._can(ops.MODEL_MERGE)
                adapters = [v for v in self.vault.list_versions(self.actor) if version_facts(v).is_adapter_of(model_id)]
                if self._can(ops.GRANT_LIST, model_id):
                    for g in self.ctx.studio.grants.list(self.actor, obj_type="model", obj_id=model_id):
                        permissions[g.user_id] = max(permissions.get(g.user_id, g.permission), g.permission,
                                                     key=policy.level)  # the highest grant says it all
            except StudioError as error:
                self.show_notice(error_text(error), error=True)
        self.details.show_details(details, permissions, can_revoke=self._allowed.get("share", False),
                                  adapters=adapters, can_merge=self._allowed.get("merge", False))
        self._update_actions()

    def _update_actions(self) -> None:
        locked, busy, selected = self.is_locked(), self._task is not None, self.current_model_id() is not None
        self.search.setEnabled(not locked)
        self.import_action.setEnabled(not locked and not busy and self._can(ops.MODEL_IMPORT))
        self.verify_action.setEnabled(not locked and not busy)
        self.verify_one_action.setEnabled(selected)
        for name, action in (("export", self.export_action), ("share", self.share_action),
                             ("rotate", self.rotate_action), ("delete", self.delete_action)):
            action.setEnabled(not locked and not busy and selected and self._allowed.get(name, False))
        # a model whose versions are all still being written (a live run's checkpoints) has nothing to export
        empty = selected and self.details.details is not None and not self.details.details.versions
        if empty:
            self.export_action.setEnabled(False)
        self.export_action.setToolTip(self.tr("This model has no finished version yet: there is nothing to export.")
                                      if empty else self.tr("Write a version in plaintext, or as a bundle for "
                                                            "another user"))
        self.details.revoke_button.setEnabled(self.details.revoke_button.isEnabled() and not busy)
        d = self.details.details
        adapter = d is not None and bool(d.versions) and version_facts(d.versions[-1]).adapter
        self.chat_action.setEnabled(not locked and selected and d is not None and bool(d.versions))
        self.merge_action.setVisible(adapter)  # only an adapter merges
        self.merge_action.setEnabled(not locked and not busy and adapter and self._allowed.get("merge", False))
        self.details.adapters.set_busy(busy or locked)

    def show_notice(self, text: str, error: bool = False) -> None:
        self.notice.setText(text)
        self.notice.setProperty("error", error)
        self.notice.setStyleSheet("color: #c62828;" if error else "")
        self.notice.show()
        self.ctx.sig_status_message.emit(text.splitlines()[0] if text else "")

    # --- long work ------------------------------------------------------------------------------------------------

    def run_task(self, fn: Callable[..., Any], *args: Any, done: Callable[[Any], None], **kwargs: Any) -> Task | None:
        """Run a vault call on a worker thread with the progress bar; one at a time."""
        if self._task is not None:
            self.show_notice(self.tr("Wait for the current task to finish (or cancel it)."), error=True)
            return None
        task = Task(fn, *args, parent=self, **kwargs)
        task.sig_task_finished.connect(done)
        task.sig_task_failed.connect(lambda error: self.show_notice(error_text(error) if isinstance(error, StudioError) else
                                                                    self.tr("Failed: {error}").format(error=error), error=True))
        task.sig_task_cancelled.connect(lambda: self.show_notice(self.tr("Cancelled: nothing was changed.")))
        task.sig_task_done.connect(self._task_done)
        self._task = task
        self.progress.bind(task)
        self._update_actions()
        task.start()
        return task

    def _task_done(self) -> None:
        self._task = None
        self.refresh()
        self.sig_models_changed.emit()
        if self._queue:
            self.start_import(self._queue.popleft())

    @property
    def busy(self) -> bool:
        return self._task is not None

    # --- import -----------------------------------------------------------------------------------------------------

    def start_import(self, path: Path, **options: Any) -> Task | None:
        path = Path(path)
        if path.suffix.lower() == ".msbundle":
            return self.run_task(self.vault.unbundle, self.actor, path, name=options.get("name"),
                                 done=lambda v: self.show_notice(self.tr("Imported {name} version {n} from the bundle.")
                                                                 .format(name=v.model_name, n=v.number)))

        def imported(result) -> None:
            v = result.version
            text = self.tr("Imported {name} version {n}: {files} file(s).").format(
                name=v.model_name, n=v.number, files=len(v.artifacts))
            if result.skipped:
                text += " " + self.tr("Not stored: {files}.").format(files=", ".join(result.skipped))
            for warning in result.warnings:  # the core's words, like its error messages
                text += " " + warning
            self.show_notice(text)
            self.refresh()
            self.select_model(v.model_id)

        return self.run_task(self.vault.import_path, self.actor, path, done=imported, **options)

    def _ask_and_import(self, path: Path) -> None:
        if path.suffix.lower() == ".msbundle":
            self.start_import(path)
            return
        dialog = ImportDialog(path, self)
        if dialog.exec():
            self.start_import(path, **dialog.values())

    def _choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, self.tr("Import a model file"), "",
                                              self.tr("Model weights (*.safetensors *.pt *.pth *.bin)"))
        if name:
            self._ask_and_import(Path(name))

    def _choose_folder(self) -> None:
        name = QFileDialog.getExistingDirectory(self, self.tr("Import a Hugging Face folder"))
        if name:
            self._ask_and_import(Path(name))

    def _choose_bundle(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, self.tr("Import an encrypted bundle"), "",
                                              self.tr("Model Studio bundles (*.msbundle)"))
        if name:
            self.start_import(Path(name))

    def dragEnterEvent(self, event) -> None:
        if not self.is_locked() and self._dropped_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        paths = self._dropped_paths(event.mimeData())
        if not paths or self.is_locked():
            event.ignore()
            return
        event.acceptProposedAction()
        self._queue.extend(paths)
        if self._task is None:
            self.start_import(self._queue.popleft())

    @staticmethod
    def _dropped_paths(mime) -> list[Path]:
        if not mime.hasUrls():
            return []
        paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
        return [p for p in paths if p.is_dir() or p.suffix.lower() in IMPORTABLE]

    # --- actions on the selected model ------------------------------------------------------------------------------

    def _selected_name(self) -> str | None:
        return None if self.details.details is None else self.details.details.model.name

    def _export_clicked(self) -> None:
        d = self.details.details
        if d is None or not d.versions:
            return
        dialog = ExportDialog(d.model.name, [v.number for v in d.versions], self.ctx.studio.exports.formats(), self)
        if not dialog.exec():
            return
        values = dialog.values()
        folder, suffix = dialog.target()
        if folder:
            parent = QFileDialog.getExistingDirectory(self, self.tr("Export into which folder?"))
            out = str(Path(parent) / f"{d.model.name}-{values['format']}") if parent else ""
        else:
            out, _ = QFileDialog.getSaveFileName(self, self.tr("Export as"), f"{d.model.name}{suffix}",
                                                 f"*{suffix}")
        if out:
            self.export(Path(out), values["format"], values["version"], values["recipient"], quant=values["quant"],
                        sign=values["sign"], check=values["check"])

    def export(self, out: Path, format: str, version: int | None = None, recipient: str = "", *,
               quant: str | None = None, sign: bool = False, check: bool = False) -> Task | None:
        """`format`: one of studio.exports' formats, "stored" (the version's files as they were stored) or
        "bundle" (encrypted for `recipient`)."""
        model = self.current_model_id()
        if model is None:
            return None
        if format == "bundle":
            return self.run_task(self.vault.bundle, self.actor, model, out, to_user=recipient or None,
                                 version=version, done=lambda info: self.show_notice(
                                     self.tr("Wrote {path}: it opens only with the key {fp}.").format(
                                         path=info.path, fp=info.recipient_fingerprint)))
        if format == "stored":
            return self.run_task(self.vault.export, self.actor, model, out, version=version, format="safetensors",
                                 done=lambda path: self.show_notice(self._exported_text(path)))
        return self.run_task(self.ctx.studio.exports.export, self.actor, model, out, version=version, format=format,
                             quant=quant, sign=sign, check=check, done=self._exported)

    def _exported_text(self, path: Any) -> str:
        return self.tr("Exported to {path}. This copy is not encrypted: keep it safe.").format(path=path)

    def _exported(self, result: Any) -> None:
        lines = [self._exported_text(result.path)]
        if result.signed_by:
            lines.append(self.tr("Signed by {user} (key {fp}…) in {file}.").format(
                user=result.signed_by, fp=result.fingerprint[:16], file=result.signature))
        for report in (result.check or {}).values():
            if isinstance(report, dict) and "max_abs_diff" in report:
                lines.append(self.tr("Checked with {runtime}: largest logit difference {diff}.").format(
                    runtime=report["runtime"], diff=f"{report['max_abs_diff']:.1e}"))
        lines += list(result.notes)
        self.show_notice("\n".join(lines))

    def verify(self, selected: bool) -> Task | None:
        model = self.current_model_id() if selected else None
        if selected and model is None:
            return None

        def report(r) -> None:
            if r.ok:
                self.show_notice(self.tr("Verified {files} file(s) of {models} model(s): all intact.").format(
                    files=r.files, models=r.models))
                return
            lines = [self.tr("{count} damaged file(s):").format(count=len(r.damaged))]
            lines += [f"• {d.model} v{d.version} — {d.artifact}: {d.message}" for d in r.damaged]
            self.show_notice("\n".join(lines), error=True)

        return self.run_task(self.vault.verify, self.actor, model, done=report)

    def share_dialog(self) -> ShareDialog | None:
        """The Share dialog for the selected model: it makes the grant itself (see ShareDialog)."""
        model, name = self.current_model_id(), self._selected_name()
        if model is None or name is None:
            return None
        me = self.ctx.session.user_id
        owner = self.details.details.model.owner_id if self.details.details else None
        users = [(u.name, u.role) for u in self.ctx.studio.accounts_store.list_users()
                 if u.id not in (me, owner) and not u.disabled]
        actor = self.actor
        dialog = ShareDialog(name, users, self, submit=lambda v: (
            v, self.vault.share(actor, model, v["user"], v["permission"])))
        dialog.accepted.connect(lambda: self._shared(*dialog.result_value))
        return dialog

    def _share_clicked(self) -> None:
        dialog = self.share_dialog()
        if dialog is not None:
            dialog.exec()

    def _shared(self, values: dict, count: int) -> None:
        self.show_notice(self.tr("Shared: {user} may {permission} it; {count} key(s) wrapped for them.").format(
            user=values["user"], permission=self.details._permission(values["permission"]), count=count))
        self._selection_changed()

    def share(self, user: str, permission: str = "use") -> None:
        model = self.current_model_id()
        if model is None:
            return
        try:
            count = self.vault.share(self.actor, model, user, permission)
        except StudioError as error:
            self.show_notice(error_text(error), error=True)
            return
        self._shared({"user": user, "permission": permission}, count)

    def revoke(self, user_id: int) -> Task | None:
        model, name = self.current_model_id(), self._selected_name()
        if model is None:
            return None
        answer = QMessageBox.question(self, self.tr("Revoke access"), self.tr(
            "Take {user}'s grants and keys to {model} away? Every file of the model is re-encrypted under new "
            "keys.").format(
                user=self.vault.user_label(user_id), model=name))
        if answer != QMessageBox.StandardButton.Yes:
            return None
        return self.run_task(self.vault.revoke, self.actor, model, user_id, done=lambda n: self.show_notice(
            self.tr("Access revoked; {n} file(s) re-encrypted.").format(n=n)))

    def open_chat(self):
        """A chat window over the selected model's versions (it loads the model when the first message goes)."""
        from studio.gui.panes.vault.chat_window import ChatWindow

        d = self.details.details
        if d is None or not d.versions:
            return None
        window = ChatWindow(self.ctx.studio, self.actor, d, self.details._version_label, self)
        window.show()
        self.chat_window = window
        return window

    def _merge_clicked(self) -> None:
        d = self.details.details
        if d is not None and d.versions:
            self.merge_dialog(d.model.id, d.versions[-1].number)

    def merge_dialog(self, adapter_model: int, version: int) -> MergeDialog | None:
        """Confirm the merge of an adapter version (its model's versions to choose from), then merge it."""
        try:
            details = self.vault.show(self.actor, adapter_model)
        except StudioError as error:
            self.show_notice(error_text(error), error=True)
            return None
        chosen = next((v for v in details.versions if v.number == version), None)
        facts = version_facts(chosen)
        dialog = MergeDialog(details.model.name, [v.number for v in details.versions if version_facts(v).adapter],
                             facts.base_label or self.tr("its base"), f"{details.model.name} merged", self,
                             chosen=version)
        dialog.accepted.connect(lambda: self.merge(adapter_model, **dialog.values()))
        dialog.open()  # window-modal, without a nested event loop: the pane's task signals keep coming
        return dialog

    def merge(self, adapter_model: int, version: int | None = None, name: str | None = None) -> Task | None:
        """Merge on a worker thread with the progress bar; the new model is selected when it is stored."""
        def merged(v) -> None:
            self.show_notice(self.tr("Merged into {name} version {n}: a full model of its own.").format(
                name=v.model_name, n=v.number))
            self.refresh()
            self.select_model(v.model_id)

        return self.run_task(self.vault.merge_adapter, self.actor, adapter_model, version, name=name, done=merged)

    def _rotate_clicked(self) -> None:
        model, name = self.current_model_id(), self._selected_name()
        if model is None:
            return
        answer = QMessageBox.question(self, self.tr("Rotate keys"), self.tr(
            "Re-encrypt every file of {model} under new keys?").format(model=name))
        if answer == QMessageBox.StandardButton.Yes:
            self.rotate()

    def rotate(self) -> Task | None:
        model = self.current_model_id()
        if model is None:
            return None
        return self.run_task(self.vault.rotate, self.actor, model, done=lambda n: self.show_notice(
            self.tr("{n} file(s) re-encrypted under new keys.").format(n=n)))

    def _delete_clicked(self) -> None:
        name = self._selected_name()
        if name is None:
            return
        answer = QMessageBox.question(
            self, self.tr("Delete"),
            self.tr("Delete {model} and every version of it? Its keys are destroyed first: this cannot be undone.")
            .format(model=name), QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        if answer == QMessageBox.StandardButton.Yes:
            self.delete()

    def delete(self) -> None:
        model, name = self.current_model_id(), self._selected_name()
        if model is None:
            return
        try:
            self.vault.delete(self.actor, model)
        except StudioError as error:
            self.show_notice(error_text(error), error=True)
            return
        self.show_notice(self.tr("Deleted {model}: its keys are destroyed.").format(model=name))
        self.refresh()
        self.sig_models_changed.emit()
