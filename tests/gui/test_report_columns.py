"""The compression report at 1280x800 (issue 15): the columns shown by default fit the table without a horizontal
scrollbar, in English and in Chinese, with headers that are not cut; the hidden figures are shown from the
header's menu, remembered for the next window, and every figure of a row is in its tooltip."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFontMetrics

from studio.core.compression.results import EvalResult
from studio.gui.panes.compression import report_columns


def _result(label, file_bytes, nonzeros, ppl, seconds=None, speed=None, kernel="float"):
    return EvalResult(label=label, file_bytes=file_bytes, parameters=108_544, nonzeros=nonzeros, loss=2.2,
                      perplexity=ppl, tokens_per_s_b1=15_512.0, tokens_per_s_b8=98_000.0, ms_per_token=1.83,
                      kernel=kernel, kl=None if label == "original" else 0.0158, top1=None if label == "original"
                      else 0.879, compress_seconds=seconds, speed=speed, calibration=None)


# what the screen walk's demo report holds, and the longer labels of calibrated methods
RESULTS = [
    _result("original", 436_812, 108_544, 9.621),
    _result("int8", 118_320, 108_530, 9.624, 0.41, {"b1": 1.04, "b1_spread": 0.03, "repeats": 5}, "dynamic x9"),
    _result("int4-g32", 74_812, 104_210, 9.918, 0.52, {"b1": 0.83, "b1_spread": 0.05, "repeats": 5}),
    _result("prune 50% + int8", 88_650, 59_326, 9.657, 1.20, {"b1": 1.12, "b1_spread": 0.11, "repeats": 5}),
    _result("sparsegpt 2:4 + gptq int4-g64", 80_112, 57_002, 10.31, 12.7, {"b1": 0.97, "b1_spread": 0.02}),
]


@pytest.fixture
def pane(window, qtbot):
    window.resize(1280, 800)
    p = window.show_pane("compression")
    qtbot.waitUntil(lambda: window.width() == 1280)
    p.show_results(RESULTS, None)
    qtbot.wait(50)
    return p


def _shown(table):
    return [i for i in range(table.columnCount()) if not table.isColumnHidden(i)]


def _fits(table):
    """No sideways scrolling, and no header of a figure cut: each as wide as its text."""
    header = table.horizontalHeader()
    bold = header.font()
    bold.setBold(True)
    metrics = QFontMetrics(bold)
    assert not table.horizontalScrollBar().isVisible(), (header.length(), table.viewport().width())
    assert header.length() <= table.viewport().width()
    for i in _shown(table)[1:]:
        text = table.horizontalHeaderItem(i).text()
        assert header.sectionSize(i) >= metrics.horizontalAdvance(text), text
    # the variant labels fit too (the longest one elided at most; its tooltip says it whole)
    variant = [table.item(r, 0).text() for r in range(table.rowCount())]
    cell_metrics = QFontMetrics(table.font())
    fitting = [t for t in variant if cell_metrics.horizontalAdvance(t) + 12 <= header.sectionSize(0)]
    assert len(fitting) >= len(variant) - 1, (variant, header.sectionSize(0))


def test_the_default_columns_fit_at_1280x800_with_units_in_the_headers(pane):
    table = pane.table
    assert [table.keys[i] for i in _shown(table)] == list(report_columns.default_keys())
    assert len(_shown(table)) >= 8 and table.columnCount() > len(_shown(table))
    _fits(table)
    headers = {table.keys[i]: table.horizontalHeaderItem(i).text() for i in range(table.columnCount())}
    assert headers["file_size"] == "Size (KB)" and headers["time"] == "Took (s)" and headers["sparsity"] == "Sparse %"
    assert table.horizontalHeaderItem(table.column("bits")).toolTip().startswith("Bits per weight\n")
    row = {key: table.item(3, table.column(key)).text() for key in table.keys}
    assert row["variant"] == "prune 50% + int8" and row["file_size"] == "88.65" and row["size_ratio"] == "0.203"
    assert row["sparsity"] == "45.3" and row["bits"] == "6.53" and row["ppl_change"] == "+0.37"
    assert row["speed_b1"] == "1.12 ±0.11" and row["time"] == "1.2"
    # the hidden figures are in the row's tooltip, by their full names
    tip = table.item(3, 0).toolTip()
    assert "KL divergence (nats): 0.0158" in tip and "Top-1 agreement (%): 87.9" in tip and "Speed rounds: 5" in tip


def test_the_default_columns_fit_in_chinese(qtbot, qapp, make_window, data_dir):
    window = make_window(data_dir, theme_mode="dark", language="zh_CN")
    window.show()
    window.resize(1280, 800)
    qtbot.waitExposed(window)
    p = window.show_pane("compression")
    p.show_results(RESULTS, None)
    qtbot.wait(50)
    assert p.table.horizontalHeaderItem(p.table.column("perplexity")).text() != "PPL"
    _fits(p.table)


def test_hidden_columns_are_shown_from_the_header_menu_and_remembered(qtbot, pane, make_window, data_dir):
    table = pane.table
    kl = table.column("kl")
    assert table.isColumnHidden(kl)
    actions = {a.data(): a for a in table.column_menu().actions() if a.data()}
    assert "variant" not in actions and actions["kl"].text() == "KL divergence (nats)"
    assert not actions["kl"].isChecked() and actions["perplexity"].isChecked()
    actions["kl"].trigger()
    assert not table.isColumnHidden(kl) and table.item(1, kl).text() == "0.0158"
    actions["speed_b1"].trigger()  # hide one shown by default
    assert table.isColumnHidden(table.column("speed_b1"))
    _fits(table)

    # right-clicking the header pops the same menu up (popup, never a modal exec), ticks as they are now
    header = table.horizontalHeader()
    header.customContextMenuRequested.emit(header.rect().center())
    qtbot.waitUntil(lambda: table.column_menu().isVisible())
    ticked = {a.data() for a in table.column_menu().actions() if a.isChecked()}
    assert "kl" in ticked and "speed_b1" not in ticked
    table.column_menu().hide()

    # the next window remembers the choice; Default columns brings the first set back
    later = make_window(data_dir).show_pane("compression")
    assert later.table.shown_keys() == table.shown_keys() and "kl" in later.table.shown_keys()
    reset = next(a for a in later.table.column_menu().actions() if a.text() == "Default columns")
    reset.trigger()
    assert later.table.shown_keys() == report_columns.default_keys()


def _report(i, label, result_model="tiny", kind="compress"):
    from datetime import UTC, datetime

    from studio.core.stores.compression import CompressionReport

    return CompressionReport(
        id=i, kind=kind, model_id=1, model_name="tiny", source_version=3, result_model_id=1,
        result_model_name=result_model, result_version=3 + i, label=label, recipe={}, dataset="tiny-stories",
        split="val", results=(RESULTS[0].to_dict(), RESULTS[min(i, 4)].to_dict()), log=(), created_by=1,
        created_by_name="li.wei", created_at=datetime(2026, 12, 3, 13, 42, tzinfo=UTC))


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_the_earlier_results_fit_at_1280x800(qtbot, make_window, data_dir, language):
    window = make_window(data_dir, theme_mode="light", language=language)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    p = window.show_pane("compression")
    p.tabs.setCurrentWidget(p.history)
    p.history.set_reports([_report(3, "prune 50% + int8"), _report(2, "int4-g32", result_model="tiny-int4"),
                           _report(1, "int8")])
    qtbot.wait(50)
    table = p.history
    assert not table.horizontalScrollBar().isVisible()
    assert table.horizontalHeader().length() <= table.viewport().width()
    # versions of the chosen model by number, another model's by name; the full names in the tooltips
    assert [table.item(r, 2).text() for r in range(3)] == ["v3"] * 3
    assert [table.item(r, 3).text() for r in range(3)] == ["v6", "tiny-int4 v5", "v4"]
    assert table.item(0, 2).toolTip() == "tiny v3" and table.item(0, 3).toolTip() == "tiny v6"
    assert table.item(0, 4).text() == "0.203" and table.item(0, 5).text() == "+0.37"
