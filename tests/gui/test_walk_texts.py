"""What the screenshot walk (issue 15) found in Chinese and at 1280x800: the compression report's "original"
row, "prune" labels and "float" kernel stayed English (the core stores them so; the pane translates them where
it shows them), the document-length table's "mean" header too, and its headers overprinted in a narrow window;
the audit log's "system"."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QStyle

from studio.core.compression.results import EvalResult
from studio.gui import theme


def _result(label: str, kernel: str, file_bytes: int) -> EvalResult:
    return EvalResult(label=label, file_bytes=file_bytes, parameters=1000, nonzeros=1000, loss=2.0, perplexity=7.4,
                      tokens_per_s_b1=100.0, tokens_per_s_b8=400.0, ms_per_token=1.0, kernel=kernel)


def _english(qapp):
    """English with the English fonts: removing the catalogues alone leaves the Chinese fallback fonts."""
    from studio.gui.i18n import install_translations, remove_translations

    install_translations(qapp, "en")
    remove_translations(qapp)


@pytest.fixture
def chinese(qapp):
    from studio.gui.i18n import install_translations

    install_translations(qapp, "zh_CN")
    yield
    _english(qapp)


def _cells(table, column):
    return [table.item(r, column).text() for r in range(table.rowCount())]


def test_the_report_names_its_variants_and_kernels_in_the_interface_language(qtbot, qapp):
    from studio.gui.i18n import install_translations
    from studio.gui.panes.compression.tables import ReportTable, SamplesTable
    from studio.gui.recipe_words import shown_label

    results = [_result("original", "float", 4000), _result("prune 50% + int8", "dynamic x9", 1000),
               _result("original (v3)", "float", 4000)]

    def shown():
        report, samples = ReportTable(), SamplesTable()
        qtbot.addWidget(report)
        qtbot.addWidget(samples)
        report.set_results(results)
        samples.set_results(results)
        kernel = report.column("kernel")
        return (_cells(report, 0), _cells(report, kernel),
                [samples.horizontalHeaderItem(i).text() for i in range(samples.columnCount())])

    english = (["original", "prune 50% + int8", "original (v3)"], ["float", "dynamic x9", "float"],
               ["original", "prune 50% + int8", "original (v3)"])
    assert shown() == english
    try:
        install_translations(qapp, "zh_CN")
        assert shown_label("structured 25% + recover 50 + gptq int4-g64 act-order") == \
            "结构化 25% + 恢复 50 + gptq int4-g64 按激活排序"
        assert shown_label("wanda global 50%") == "wanda 全局 50%"
    finally:
        _english(qapp)
    try:
        install_translations(qapp, "zh_CN")
        variants, kernels, headers = shown()
    finally:
        _english(qapp)
    assert variants == ["原模型", "剪枝 50% + int8", "原模型 (v3)"]  # its words; formats and figures stay
    assert kernels == ["浮点", "dynamic x9", "浮点"]
    assert headers == variants
    assert shown() == english


def _lengths_view(qtbot, qapp):
    from studio.gui.panes.datasets.stats_view import StatsView, _fill

    theme.apply_theme(qapp, "light")  # the studio's style, which pads header sections
    view = StatsView()
    qtbot.addWidget(view)
    _fill(view.lengths_table, [["characters", *["231"] * 7], ["tokens", *["1,481"] * 7]])
    return view


def test_the_length_table_never_overprints_its_headers_in_a_narrow_window(qtbot, qapp):
    _english(qapp)  # its Latin headers are the ones that overprinted
    view = _lengths_view(qtbot, qapp)
    table, header = view.lengths_table, view.lengths_table.horizontalHeader()
    view.resize(560, 700)  # the statistics beside the list at 1280x800: the table gets about 260 px
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: table.viewport().width() < 300)
    bold = header.font()
    bold.setBold(True)
    metrics = QFontMetrics(bold)
    margins = 2 * header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
    for i in range(table.columnCount()):
        text = table.horizontalHeaderItem(i).text()
        assert header.sectionSize(i) >= metrics.horizontalAdvance(text) + margins, text  # the label and its margins
    assert header.length() > table.viewport().width()  # it scrolls sideways instead


def test_the_length_table_says_mean_in_chinese(qtbot, qapp, chinese):
    view = _lengths_view(qtbot, qapp)
    table = view.lengths_table
    labels = [table.horizontalHeaderItem(i).text() for i in range(table.columnCount())]
    assert labels == ["每篇文档", "p0", "p10", "p50", "p90", "p99", "p100", "均值"]


def test_the_audit_log_names_the_studio_itself_in_the_interface_language(qapp, chinese):
    from studio.core.stores.audit import AuditEntry
    from studio.gui.panes.audit.model import actor_text

    def entry(actor_id, name):
        return AuditEntry(seq=1, ts="2026-12-03T11:03:32Z", actor_id=actor_id, actor_name=name, action="model.import",
                          obj_type="model", obj_id="6", outcome="allowed", details_json="{}", sealed=True)

    assert actor_text(entry(None, "system")) == "系统"
    assert actor_text(entry(7, "system")) == "system"  # a user who chose that name keeps it
    assert actor_text(entry(1, "mara")) == "mara"
