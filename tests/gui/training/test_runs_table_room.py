"""At 1280x800 the Training pane shows four whole runs above the charts, in English and in Chinese (the
screen walk found three and a half, two and a half in Chinese); a taller window gives its height to the charts."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_four_runs_fit_above_the_charts_at_1280x800(qtbot, make_window, data_dir, language):
    window = make_window(data_dir, theme_mode="light", language=language)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    pane = window.show_pane("training")
    view = pane.runs_table.view
    qtbot.waitUntil(lambda: view.viewport().height() > 0)
    row = view.verticalHeader().defaultSectionSize()
    assert view.viewport().height() >= 4 * row
    charts = pane.board.height()
    window.resize(1280, 1000)
    qtbot.waitUntil(lambda: pane.board.height() > charts + 150)
    assert view.viewport().height() < 6 * row  # the room went to the charts
