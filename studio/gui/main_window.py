"""The main window: the login screen while nobody is signed in, else a sidebar of panes, the pane stack,
menus and the status bar. Panes are built the first time they are shown to a signed-in user, and built
afresh when another user signs in (nothing of one user's view survives into the next one's). This class
wires things together; the panes do the work."""

from __future__ import annotations

import importlib
import logging

from PySide6.QtCore import QCoreApplication, QEvent, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QActionGroup, QDesktopServices, QIcon, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

from studio.core.resources import resource_path
from studio.gui import theme
from studio.gui.account import AccountController
from studio.gui.context import AppContext, PaneContext
from studio.gui.i18n import SUPPORTED, install_translations
from studio.gui.icons import pane_icon
from studio.gui.login import LoginScreen
from studio.gui.panes import PANES, PaneSpec
from studio.gui.panes.base import Pane
from studio.gui.texts import Texts

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    sig_pane_changed = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.texts = Texts()
        self.texts.set(self.setWindowTitle, lambda: self.tr("Model Studio"))
        self.setWindowIcon(QIcon(str(resource_path("icons", "studio.svg"))))
        self._panes: dict[str, Pane] = {}
        self._close_round: object | None = None  # the close being checked, pane by pane (closeEvent)
        self._close_agreed = False
        self._close_inline = False  # inside closeEvent: an answer given at once lets that close go on
        self._panes_user: int | None = None
        self._stale: set[str] = set()  # panes built in a language no longer shown
        self._build_sidebar()
        self._build_menus()
        self._build_status_bar()
        self._restore()
        ctx.sig_session_changed.connect(self._session_changed)
        self._session_changed(ctx.session)
        ctx.sig_status_message.connect(lambda text: self.statusBar().showMessage(text, 5000))

    # -- layout ---------------------------------------------------------------------------------------
    def _build_sidebar(self) -> None:
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setIconSize(QSize(22, 22))
        self.sidebar.setFixedWidth(190)
        self.sidebar.setSpacing(2)
        self.stack = QStackedWidget()
        for spec in PANES:
            item = QListWidgetItem()
            self.texts.set(item.setText, lambda spec=spec: QCoreApplication.translate("Panes", spec.title))
            item.setData(Qt.ItemDataRole.UserRole, spec.id)
            item.setSizeHint(QSize(170, 38))
            self.sidebar.addItem(item)
            self.stack.addWidget(QWidget())  # replaced by the pane on first show
        self._update_icons()
        self.sidebar.currentRowChanged.connect(self.show_pane_at)
        self.workspace = QWidget()
        layout = QHBoxLayout(self.workspace)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.stack, 1)
        self.login_screen = LoginScreen(self.ctx)
        self.login_screen.sig_signed_in.connect(self._signed_in)
        self.root = QStackedWidget()
        self.root.addWidget(self.login_screen)
        self.root.addWidget(self.workspace)
        self.setCentralWidget(self.root)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        t = self.texts.set
        self.menu_file = bar.addMenu("")
        t(self.menu_file.setTitle, lambda: self.tr("&File"))
        open_folder = QAction(self)
        t(open_folder.setText, lambda: self.tr("Show data folder"))
        open_folder.triggered.connect(lambda: self._open_path(self.ctx.studio.paths.root))
        self.menu_file.addAction(open_folder)
        self.menu_file.addSeparator()
        quit_action = QAction(self)
        t(quit_action.setText, lambda: self.tr("&Quit"))
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self.menu_file.addAction(quit_action)

        self.menu_view = bar.addMenu("")
        t(self.menu_view.setTitle, lambda: self.tr("&View"))
        self.pane_actions: list[QAction] = []
        for n, spec in enumerate(PANES):
            # "&" in a menu text marks the mnemonic: "Users & Access" would show as "Users _Access"
            action = QAction(self)
            t(action.setText, lambda spec=spec: QCoreApplication.translate("Panes", spec.title).replace("&", "&&"))
            action.setShortcut(QKeySequence(f"Ctrl+{n + 1}"))
            action.triggered.connect(lambda _=False, row=n: self.sidebar.setCurrentRow(row))
            self.menu_view.addAction(action)
            self.pane_actions.append(action)
        self.menu_view.addSeparator()
        theme_menu = self.menu_view.addMenu("")
        t(theme_menu.setTitle, lambda: self.tr("Theme"))
        group = QActionGroup(self)
        labels = {"system": lambda: self.tr("Follow the system"), "light": lambda: self.tr("Light"),
                  "dark": lambda: self.tr("Dark")}
        current_theme = self.ctx.settings.value("theme", "system")
        for mode in theme.THEMES:
            action = QAction(self, checkable=True)
            t(action.setText, labels[mode])
            action.setChecked(mode == current_theme)
            action.triggered.connect(lambda _=False, m=mode: self._set_theme(m))
            group.addAction(action)
            theme_menu.addAction(action)
        lang_menu = self.menu_view.addMenu("")
        t(lang_menu.setTitle, lambda: self.tr("Language"))
        lang_group = QActionGroup(self)
        current_lang = self.ctx.settings.value("language", "system")
        for code, name in [("system", "")] + list(SUPPORTED.items()):
            action = QAction(name, self, checkable=True)  # each language by its own name, whatever is shown
            if code == "system":
                t(action.setText, lambda: self.tr("Follow the system"))
            action.setChecked(code == current_lang)
            action.triggered.connect(lambda _=False, c=code: self._set_language(c))
            lang_group.addAction(action)
            lang_menu.addAction(action)

        self.menu_account = bar.addMenu("")
        t(self.menu_account.setTitle, lambda: self.tr("&Account"))
        self.account = AccountController(self.ctx, self.menu_account, self)
        self.account.sig_lock_requested.connect(self.login_screen.refresh)

        self.menu_help = bar.addMenu("")
        t(self.menu_help.setTitle, lambda: self.tr("&Help"))
        logs = QAction(self)
        t(logs.setText, lambda: self.tr("Show log folder"))
        logs.triggered.connect(lambda: self._open_path(self.ctx.studio.paths.logs))
        self.menu_help.addAction(logs)
        selftest = QAction(self)
        t(selftest.setText, lambda: self.tr("Self-test…"))
        selftest.triggered.connect(self.show_self_test)
        self.menu_help.addAction(selftest)
        about = QAction(self)
        t(about.setText, lambda: self.tr("&About Model Studio"))
        about.triggered.connect(self.show_about)
        self.menu_help.addAction(about)

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.status_user = QLabel()
        self.status_vault = QLabel()
        self.status_folder = QLabel()
        self.texts.set(self.status_folder.setText,
                       lambda: self.tr("Data: {path}").format(path=self.ctx.studio.paths.root))
        self.status_folder.setToolTip(str(self.ctx.studio.paths.root))
        for w in (self.status_user, self.status_vault, self.status_folder):
            status.addPermanentWidget(w)

    def _update_icons(self) -> None:
        selected = self.sidebar.palette().color(QPalette.ColorRole.HighlightedText)
        for row, spec in enumerate(PANES):
            self.sidebar.item(row).setIcon(pane_icon(spec.icon, selected))

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        # the theme changed (a choice, or the system's)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange) and hasattr(self, "sidebar"):
            self._update_icons()
        super().changeEvent(event)

    # -- panes ------------------------------------------------------------------------------------------
    def pane(self, pane_id: str) -> Pane:
        """The pane with this id, built if it was not yet."""
        if pane_id not in self._panes:
            index, spec = next((i, s) for i, s in enumerate(PANES) if s.id == pane_id)
            widget = self._create(spec)
            old = self.stack.widget(index)
            self.stack.removeWidget(old)
            old.deleteLater()
            self.stack.insertWidget(index, widget)
            self._panes[pane_id] = widget
        return self._panes[pane_id]

    def _create(self, spec: PaneSpec) -> Pane:
        module = importlib.import_module(spec.module)
        ctx = self.ctx.for_pane()
        pane = getattr(module, spec.cls)(ctx)
        ctx.setParent(pane)  # deleted with the pane, and every connection to it
        return pane

    def show_pane_at(self, row: int) -> None:
        if row < 0:
            return
        spec = PANES[row]
        if self.ctx.session is None:  # remember the choice; the pane is built for whoever signs in
            self.stack.setCurrentIndex(row)
            return
        pane = self.pane(spec.id)
        self.stack.setCurrentIndex(row)
        if self.sidebar.currentRow() != row:
            self.sidebar.setCurrentRow(row)
        pane.pane_shown()
        self.ctx.settings.setValue("last_pane", spec.id)
        self.sig_pane_changed.emit(spec.id)

    def show_pane(self, pane_id: str) -> Pane:
        row = next(i for i, s in enumerate(PANES) if s.id == pane_id)
        self.sidebar.setCurrentRow(row)
        return self._panes[pane_id]

    def current_pane_id(self) -> str:
        return PANES[self.stack.currentIndex()].id

    # -- state ------------------------------------------------------------------------------------------
    def _restore(self) -> None:
        settings = self.ctx.settings
        geometry = settings.value("geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 800)
        state = settings.value("window_state")
        if state is not None:
            self.restoreState(state)
        last = settings.value("last_pane", PANES[0].id)
        ids = [s.id for s in PANES]
        self.sidebar.setCurrentRow(ids.index(last) if last in ids else 0)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        # Each pane is asked in turn; one may first read fresh state off the GUI thread (the Training pane asks
        # about runs only if they still run now, not as its last poll saw them). When every pane answers at once
        # the window closes now; else it stays until the last answer, which closes it again (Qt ignores a close()
        # made inside closeEvent).
        if not self._close_agreed:
            self._close_inline = True
            try:
                self._check_close()
            finally:
                self._close_inline = False
            if not self._close_agreed:
                event.ignore()
                return
        self._close_agreed = False
        for pane in self._panes.values():
            pane.shutdown()
        self.ctx.settings.setValue("geometry", self.saveGeometry())
        self.ctx.settings.setValue("window_state", self.saveState())
        self.ctx.settings.sync()
        super().closeEvent(event)

    def _check_close(self) -> None:
        if self._close_round is not None:
            return  # a check is under way (the close clicked again): one question at a time
        round_ = self._close_round = object()
        panes = list(self._panes.values())

        def ask(i: int) -> None:
            if self._close_round is not round_:
                return  # the panes changed meanwhile (another user signed in): the check starts again
            if i == len(panes):
                self._close_round, self._close_agreed = None, True
                if not self._close_inline:
                    self.close()
            else:
                panes[i].close_check(lambda ok: ask(i + 1) if ok else self._close_refused(round_))

        ask(0)

    def _close_refused(self, round_: object) -> None:
        if self._close_round is round_:
            self._close_round = None

    def _signed_in(self, session) -> None:
        self.ctx.set_session(session)
        if getattr(session, "user_id", None) is not None:
            user = self.ctx.studio.accounts_store.get(session.user_id)
            if user.must_change_password:
                self.account.show_change_password()

    def _session_changed(self, session) -> None:
        self._status_texts(session)
        for action in self.pane_actions:
            action.setEnabled(session is not None)
        if session is None:
            self.root.setCurrentWidget(self.login_screen)
            return
        if session.user_id != self._panes_user:
            self._drop_panes()
            self._panes_user = session.user_id
        self.root.setCurrentWidget(self.workspace)
        self.show_pane_at(max(0, self.sidebar.currentRow()))

    def _status_texts(self, session) -> None:
        name = getattr(session, "user_name", None)
        self.status_user.setText(self.tr("User: {name}").format(name=name) if name else self.tr("Not signed in"))
        self.status_vault.setText(self.tr("Vault: unlocked") if session is not None else self.tr("Vault: locked"))

    def _drop_panes(self) -> None:
        """Forget every built pane (another user signs in: they get panes built for them)."""
        for pane_id in list(self._panes):
            self._drop_pane(pane_id)

    def _drop_pane(self, pane_id: str) -> None:
        pane = self._panes.pop(pane_id)
        self._close_round = None  # a close being checked may wait for this pane's answer, which never comes now
        index = self.stack.indexOf(pane)
        self.stack.insertWidget(index, QWidget())  # a placeholder until the pane is built again
        self.stack.removeWidget(pane)
        if isinstance(pane.ctx, PaneContext):
            pane.ctx.detach()  # before anything else: the dropped pane hears no later session change
        pane.shutdown()
        pane.deleteLater()

    def _set_theme(self, mode: str) -> None:
        self.ctx.settings.setValue("theme", mode)
        theme.apply_theme(QApplication.instance(), mode)

    def _set_language(self, code: str) -> None:
        """Switch the interface language now: the window's own texts change in place, panes are built afresh
        (a pane busy with a task is rebuilt when it is done)."""
        self.ctx.settings.setValue("language", code)
        install_translations(QApplication.instance(), code)
        self.texts.refresh()
        self.account.retranslate()
        self.login_screen.retranslate()
        self._status_texts(self.ctx.session)
        self._stale = set(self._panes)
        self._rebuild_stale()
        self.ctx.sig_language_changed.emit(code)

    def _rebuild_stale(self) -> None:
        """Rebuild the panes built in another language, except those running a task (tried again later)."""
        for pane_id in list(self._stale):
            pane = self._panes.get(pane_id)
            if pane is None:
                self._stale.discard(pane_id)
            elif not pane.working():
                self._drop_pane(pane_id)
                self._stale.discard(pane_id)
        if self.ctx.session is not None and self.root.currentWidget() is self.workspace:
            self.show_pane_at(self.sidebar.currentRow())
        if self._stale:
            QTimer.singleShot(500, self, self._rebuild_stale)

    def _open_path(self, path) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    def show_self_test(self) -> None:
        from studio.gui.selftest_dialog import SelfTestDialog

        dialog = SelfTestDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def show_about(self) -> None:
        from studio.gui.about import AboutDialog

        dialog = AboutDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
