"""The Vault's models table at 1280x800 (issue 15: Parameters was cut off and the table scrolled sideways beside
the details): the default columns fit, the name taking the room left (elided, whole in its tooltip); the other
columns are ticked on from the header's context menu (a popup) and remembered in the GUI settings."""

from __future__ import annotations

import pytest
import torch

from studio.gui.panes.vault.tables import ModelsTable

LONG = "a-model-with-a-rather-long-name-that-someone-typed-for-their-experiment"


def _pane(qtbot, make_window, data_dir, language="en"):
    window = make_window(data_dir, theme_mode="light", language=language)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    pane = window.show_pane("vault")
    if not pane.models.rowCount():
        config = {"n_layer": 4, "n_head": 4, "n_embd": 128, "block_size": 256, "vocab_size": 65}
        for name in (LONG, "short"):
            pane.vault.add_version(window.ctx.session, None, {"w": torch.ones(64, 64)}, name=name, config=config,
                                   architecture="GPT 4L/128d prune 30% + int8")
        pane.refresh()
    qtbot.waitUntil(lambda: pane.models.rowCount() == 2 and pane.table.viewport().width() > 0)
    return window, pane


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_the_default_vault_columns_fit_at_1280x800(qtbot, make_window, data_dir, language):
    _, pane = _pane(qtbot, make_window, data_dir, language)
    view = pane.table
    assert pane.columns.shown_keys() == ModelsTable.DEFAULT_COLUMNS
    qtbot.wait(50)
    header = view.horizontalHeader()
    assert header.length() <= view.viewport().width(), (header.length(), view.viewport().width())
    assert view.horizontalScrollBar().maximum() == 0
    for i in range(1, header.count()):  # every figure shown whole; only the name may be elided
        if not header.isSectionHidden(i):
            assert header.sectionSize(i) >= header.sectionSizeFromContents(i).width() - 2, i
    row = next(r for r in range(pane.proxy.rowCount()) if pane.proxy.index(r, 0).data() == LONG)
    assert pane.proxy.index(row, 0).data(0x0003) == LONG  # ToolTipRole: the whole name


def test_more_vault_columns_from_the_header_menu_remembered(qtbot, make_window, data_dir):
    _, pane = _pane(qtbot, make_window, data_dir)
    keys = ModelsTable.KEYS
    assert pane.table.isColumnHidden(keys.index("owner"))
    header = pane.table.horizontalHeader()
    header.customContextMenuRequested.emit(header.rect().center())
    menu = pane.columns.menu()
    qtbot.waitUntil(menu.isVisible)  # popped up, never a blocking exec
    actions = {a.data(): a for a in menu.actions() if a.data()}
    assert "name" not in actions and actions["owner"].text() == "Owner" and not actions["owner"].isChecked()
    menu.hide()
    actions["owner"].trigger()
    assert not pane.table.isColumnHidden(keys.index("owner"))

    later = make_window(data_dir).show_pane("vault")
    assert later.columns.shown_keys() == pane.columns.shown_keys()
    reset = next(a for a in later.columns.menu().actions() if a.text() == "Default columns")
    reset.trigger()
    assert later.columns.shown_keys() == ModelsTable.DEFAULT_COLUMNS
