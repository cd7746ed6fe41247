"""The runs table at 1280x800 (issue 15: Duration and the columns after it scrolled sideways): the columns shown by
default fit without a horizontal scroll bar in English and Chinese; the others are ticked on from the header's
context menu (a popup) and remembered in the GUI settings."""

from __future__ import annotations

import pytest

from studio.gui.panes.training.runs_table import DEFAULT_COLUMNS


def _pane(qtbot, make_window, data_dir, language="en"):
    window = make_window(data_dir, theme_mode="light", language=language)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    pane = window.show_pane("training")
    qtbot.waitUntil(lambda: pane.runs_table.view.viewport().width() > 0)
    return window, pane


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_the_default_runs_columns_fit_at_1280x800(qtbot, make_window, data_dir, language):
    _, pane = _pane(qtbot, make_window, data_dir, language)
    table = pane.runs_table
    view = table.view
    assert table.columns.shown_keys() == DEFAULT_COLUMNS
    qtbot.wait(50)
    header = view.horizontalHeader()
    assert header.length() <= view.viewport().width(), (header.length(), view.viewport().width())
    assert view.horizontalScrollBar().maximum() == 0
    for i in range(header.count()):  # no shown header is cut short
        if not header.isSectionHidden(i):
            assert header.sectionSize(i) >= header.sectionSizeFromContents(i).width() - 2, i


def test_more_runs_columns_from_the_header_menu_remembered(qtbot, make_window, data_dir):
    _, pane = _pane(qtbot, make_window, data_dir)
    table = pane.runs_table
    keys = table.columns.keys
    assert table.view.isColumnHidden(keys.index("duration"))
    header = table.view.horizontalHeader()
    header.customContextMenuRequested.emit(header.rect().center())
    menu = table.columns.menu()
    qtbot.waitUntil(menu.isVisible)  # popped up, never a blocking exec
    actions = {a.data(): a for a in menu.actions() if a.data()}
    assert "name" not in actions and actions["duration"].text() == "Duration" and not actions["duration"].isChecked()
    menu.hide()
    actions["duration"].trigger()
    actions["eta"].trigger()  # hide one shown by default
    assert not table.view.isColumnHidden(keys.index("duration")) and table.view.isColumnHidden(keys.index("eta"))

    later = make_window(data_dir).show_pane("training")
    assert later.runs_table.columns.shown_keys() == table.columns.shown_keys()
    reset = next(a for a in later.runs_table.columns.menu().actions() if a.text() == "Default columns")
    reset.trigger()
    assert later.runs_table.columns.shown_keys() == DEFAULT_COLUMNS
