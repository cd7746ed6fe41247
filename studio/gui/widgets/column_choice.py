"""Which of a table's columns are shown: a few by default, so the table fits without scrolling sideways, the
others ticked on from the header's context menu (popped up, never a blocking exec) and remembered in the GUI
settings. Shared by the compression report and the runs table."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from PySide6.QtCore import QCoreApplication, QSettings, Qt
from PySide6.QtWidgets import QMenu, QTableView

# (key, full name, what it means) for each column that may be hidden, in the table's order
Entries = Callable[[], Sequence[tuple[str, str, str]]]


class ColumnChoice:
    def __init__(self, view: QTableView, keys: Sequence[str], entries: Entries, defaults: Sequence[str],
                 settings: QSettings | None, settings_key: str, always: Iterable[str] = (),
                 on_change: Callable[[], None] | None = None):
        self.view = view
        self.keys = list(keys)
        self.entries = entries
        self.defaults = tuple(defaults)
        self.settings = settings
        self.settings_key = settings_key
        self.always = set(always)
        self.on_change = on_change
        self._menu: QMenu | None = None
        header = view.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(
            lambda pos: self.menu().popup(header.mapToGlobal(pos)))  # popup, not exec: never blocks

    def shown_keys(self) -> tuple[str, ...]:
        return tuple(k for i, k in enumerate(self.keys) if not self.view.isColumnHidden(i))

    def set_shown(self, keys: Iterable[str], remember: bool = True) -> None:
        """Show these columns (and those always shown), hide the others."""
        wanted = set(keys) | self.always
        for i, key in enumerate(self.keys):
            self.view.setColumnHidden(i, key not in wanted)
        if remember and self.settings is not None:
            self.settings.setValue(self.settings_key, ",".join(self.shown_keys()))
        if self.on_change is not None:
            self.on_change()

    def stored_keys(self) -> tuple[str, ...]:
        raw = self.settings.value(self.settings_key) if self.settings is not None else None
        if isinstance(raw, list):  # QSettings reads "a,b" back from an INI file as a list
            raw = ",".join(raw)
        keys = tuple(k for k in str(raw or "").split(",") if k in self.keys)
        return keys or self.defaults

    def fill_menu(self, menu: QMenu) -> QMenu:
        """One checkable entry per column, by its full name, and a way back to the default set."""
        menu.clear()
        shown = set(self.shown_keys())
        for key, name, tip in self.entries():
            if key in self.always:
                continue
            action = menu.addAction(name)
            action.setCheckable(True)
            action.setChecked(key in shown)
            action.setToolTip(tip)
            action.setData(key)
            action.toggled.connect(lambda on, key=key: self._toggle(key, on))
        menu.setToolTipsVisible(True)
        menu.addSeparator()
        menu.addAction(QCoreApplication.translate("ColumnChoice", "Default columns")).triggered.connect(
            lambda: self.set_shown(self.defaults))
        return menu

    def menu(self) -> QMenu:
        if self._menu is None:
            self._menu = QMenu(self.view)
        return self.fill_menu(self._menu)

    def _toggle(self, key: str, on: bool) -> None:
        shown = set(self.shown_keys()) - {key} | ({key} if on else set())
        self.set_shown([k for k in self.keys if k in shown])
