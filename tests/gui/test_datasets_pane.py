"""The Datasets pane: import (sample, dialog, drop), statistics, histogram, preview, cancel, changes."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QInputDialog, QMessageBox, QTableView

from studio.core.datasets.options import ImportOptions
from studio.core.datasets.preview import DocumentRow, TokenSpan
from studio.gui.panes.datasets.import_dialog import ImportDialog
from studio.gui.panes.datasets.preview import DocumentTableModel, TokenView


@pytest.fixture
def pane(window):
    window.show_pane("datasets")
    return window.pane("datasets")


def wait_import(qtbot, pane):
    qtbot.waitUntil(lambda: pane.task is None, timeout=60_000)


def accept(qtbot, dialog) -> bool:
    """Press Import: the dialog checks with the service first and closes only if the check passed. Returns
    whether it closed (it deletes itself then)."""
    closed = []
    dialog.accepted.connect(lambda: closed.append(True))
    dialog.accept()
    qtbot.waitUntil(lambda: bool(closed) or dialog.buttons.isEnabled(), timeout=10_000)
    return bool(closed)


def test_import_the_sample_through_the_pane_and_see_its_statistics(pane, qtbot):
    assert pane.detail.currentIndex() == 0 and "No datasets yet" in pane.empty_label.text()
    qtbot.mouseClick(pane.sample_button, Qt.MouseButton.LeftButton)
    assert pane.progress.isVisible() and not pane.import_button.isEnabled()
    wait_import(qtbot, pane)
    assert len(pane.model.infos) == 1
    info = pane.current
    assert info is not None and info.name == "Sample stories" and info.documents > 8000
    # statistics
    assert pane.detail.currentIndex() == 1
    assert pane.stats_view.title.text() == "Sample stories"
    assert pane.stats_view.cards["documents"].text() == f"{info.documents:,}"
    assert pane.stats_view.cards["tokens"].text() == f"{info.tokens:,}"
    splits = pane.stats_view.splits_table
    assert [splits.item(r, 0).text() for r in range(3)] == ["train", "validation", "test"]
    assert int(splits.item(0, 1).text().replace(",", "")) == info.stats.split("train").documents
    assert pane.stats_view.top_table.item(0, 1).text() == "' '"
    # token-length histogram with the context length marked
    pane.tabs.setCurrentIndex(1)
    histogram = pane.histogram
    assert histogram is not None and len(histogram.lengths) == info.documents
    histogram.context_spin.setValue(128)
    assert histogram.line.value() == 128
    longer, share, _ = histogram.truncation(128)
    assert longer == int((pane.reader.token_lengths() > 128).sum()) and 0 < share < 1
    assert f"{longer:,} of {info.documents:,} documents" in histogram.summary.text()
    assert pane.ctx.settings.value("datasets/context_length") == 128
    # preview: rows on demand, the first document with coloured tokens
    pane.tabs.setCurrentIndex(2)
    assert pane.doc_model.rowCount() == info.documents
    assert pane.token_view.segments == len(pane.reader.text(0))  # character tokenizer: one token per char
    assert "token" in pane.token_view.tooltip_at(0)
    pane.split_combo.setCurrentIndex(2)  # validation only
    assert pane.doc_model.rowCount() == info.stats.split("val").documents
    assert {pane.doc_model.data(pane.doc_model.index(r, 1)) for r in range(20)} == {"validation"}


def test_import_through_the_dialog(pane, qtbot, tmp_path):
    src = tmp_path / "pairs.jsonl"
    src.write_text("".join(f'{{"q": "question {i}?", "a": "answer {i}."}}\n' for i in range(200)))
    dialog = pane.open_import_dialog(str(src))
    assert dialog.name_edit.text() == "pairs"
    dialog.mode_combo.setCurrentIndex(dialog.mode_combo.findData("pairs"))
    dialog.prompt_edit.setText("q")
    dialog.response_edit.setText("a")
    dialog.tokenizer_combo.setCurrentIndex(dialog.tokenizer_combo.findData("byte"))
    dialog.tags_edit.setText("qa, small")
    accept(qtbot, dialog)
    wait_import(qtbot, pane)
    info = pane.current
    assert (info.name, info.kind, info.tokenizer, info.tags) == ("pairs", "sft", "byte", ("qa", "small"))
    pane.tabs.setCurrentIndex(2)
    assert "Grey tokens are prompt tokens" in pane.token_note.text()


def test_the_dialog_refuses_bad_settings_and_says_why(qtbot, tmp_path):
    dialog = ImportDialog(str(tmp_path / "missing.txt"))
    qtbot.addWidget(dialog)
    dialog.accept()
    assert dialog.result() == 0 and "does not exist" in dialog.errors.text("path")  # beside the path
    (tmp_path / "a.txt").write_text("x")
    dialog.path_edit.setText(str(tmp_path / "a.txt"))
    dialog.split_spins[0].setValue(0.5)
    dialog.accept()
    assert "add up to" in dialog.error_label.text() and dialog.errors.text("path") == ""  # the old one went
    dialog.split_spins[0].setValue(0.9)
    dialog.tokenizer_combo.setCurrentIndex(dialog.tokenizer_combo.findData("file"))
    assert dialog.tokenizer_path.isVisibleTo(dialog) and not dialog.vocab_spin.isVisibleTo(dialog)
    dialog.accept()
    assert "tokenizer.json" in dialog.errors.text("tokenizer")


def test_the_dialog_stays_open_for_an_unknown_extension_or_a_taken_name(pane, qtbot, tmp_path):
    src = tmp_path / "notes.log"
    src.write_text("some notes\n\nmore notes")
    dialog = pane.open_import_dialog(str(src))
    dialog.tokenizer_combo.setCurrentIndex(dialog.tokenizer_combo.findData("byte"))
    dialog.name_edit.setText("my notes")
    assert not accept(qtbot, dialog)
    assert dialog.isVisible() and pane.task is None  # nothing started
    assert "extension the studio does not know" in dialog.errors.text("path")
    assert dialog.name_edit.text() == "my notes"  # what was typed is still there
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("text"))
    assert accept(qtbot, dialog)
    wait_import(qtbot, pane)
    assert pane.current.name == "my notes"
    again = pane.open_import_dialog(str(src))
    again.format_combo.setCurrentIndex(again.format_combo.findData("text"))
    again.name_edit.setText("my notes")
    assert not accept(qtbot, again)
    assert again.isVisible() and "exists already" in again.errors.text("name")
    again.name_edit.setText("my notes 2")
    assert accept(qtbot, again)
    wait_import(qtbot, pane)
    assert sorted(i.name for i in pane.model.infos) == ["my notes", "my notes 2"]


def test_cancel_from_the_progress_bar_leaves_nothing(pane, qtbot, tmp_path, data_dir):
    from studio.devtools.make_sample import stories_text

    src = tmp_path / "big.txt"
    src.write_text(stories_text(4_000_000, seed=5))
    dialog = pane.open_import_dialog(str(src))
    accept(qtbot, dialog)
    qtbot.mouseClick(pane.progress.cancel_button, Qt.MouseButton.LeftButton)
    wait_import(qtbot, pane)
    assert pane.model.infos == []
    assert list((data_dir / "datasets").iterdir()) == []
    assert pane.import_button.isEnabled()


def test_a_dropped_file_opens_the_import_dialog(pane, tmp_path, qtbot):
    src = tmp_path / "dropped.md"
    src.write_text("# hello")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(src))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    pane.dropEvent(event)
    dialog = pane.findChild(ImportDialog)
    assert dialog is not None and dialog.path_edit.text() == str(src) and dialog.name_edit.text() == "dropped"
    dialog.reject()


def test_rename_tag_and_delete(pane, qtbot, monkeypatch, tmp_path):
    src = tmp_path / "notes.txt"
    src.write_text("one\n\ntwo\n\nthree")
    pane.start_import(ImportOptions(path=str(src), name="notes", tokenizer="byte"))
    wait_import(qtbot, pane)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("renamed", True))
    pane.rename_selected()
    assert pane.current.name == "renamed"
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("x, y", True))
    pane.tag_selected()
    assert pane.current.tags == ("x", "y")
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: warnings.append(text))
    pane.ctx.studio.datasets.add_dependents_finder(lambda session, dataset_id: ["run 3 (tiny)"])
    pane.delete_selected()
    assert warnings and "run 3 (tiny)" in warnings[0] and len(pane.model.infos) == 1
    pane.ctx.studio.datasets._finders.clear()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    pane.delete_selected()
    assert pane.model.infos == [] and pane.detail.currentIndex() == 0


class FakeReader:
    """Five million documents, made up on request."""

    def __init__(self, n=5_000_000):
        self.n = n
        self.asked = 0

    def __len__(self):
        return self.n

    def row(self, i):
        self.asked += 1
        return DocumentRow(i, "train", 10, 3, f"big.txt:{i + 1}", f"document {i}")


def test_the_preview_table_fetches_only_what_is_shown(qtbot):
    reader = FakeReader()
    model = DocumentTableModel()
    model.set_reader(reader)
    view = QTableView()
    view.verticalHeader().setSectionResizeMode(view.verticalHeader().ResizeMode.Fixed)
    view.setModel(model)
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    qtbot.waitExposed(view)
    assert model.rowCount() == 5_000_000
    view.scrollToBottom()
    qtbot.wait(50)
    view.scrollTo(model.index(2_500_000, 0))
    qtbot.wait(50)
    assert model.data(model.index(4_999_999, 5)) == "document 4999999"
    assert model.pages_fetched <= 8 and reader.asked <= 8 * DocumentTableModel.PAGE


def test_token_view_maps_hover_positions_past_wide_characters(qtbot):
    view = TokenView()
    qtbot.addWidget(view)
    text = "a😀b"
    spans = [TokenSpan(1, 0, 1, True), TokenSpan(240, 1, 2, True), TokenSpan(159, 1, 2, True), TokenSpan(2, 2, 3, False)]
    view.show_document(text, spans, lambda i: f"t{i}")
    assert view.segments == 3
    assert view.toPlainText() == text
    assert "240, 159" in view.tooltip_at(1) and "240, 159" in view.tooltip_at(2)  # the emoji is 2 UTF-16 units
    assert "token 2" in view.tooltip_at(3) and "not learned" in view.tooltip_at(3)
    assert view.tooltip_at(4) is None


def test_histogram_truncation_numbers(qtbot):
    from studio.gui.panes.datasets.histogram import LengthHistogram

    h = LengthHistogram(context=10)
    qtbot.addWidget(h)
    h.set_lengths(np.array([5, 10, 11, 20, 30]))
    assert h.truncation(10) == (3, 0.6, (1 + 10 + 20) / 76)
    assert "3 of 5 documents (60.0%)" in h.summary.text()
    h.line.setValue(25)
    assert h.context_spin.value() == 25


def test_the_dialog_encrypts_by_default_and_can_remove_the_source(pane, qtbot, tmp_path, data_dir):
    src = tmp_path / "secret.txt"
    src.write_text("\n\n".join(f"private line {i}" for i in range(40)))
    dialog = pane.open_import_dialog(str(src))
    assert dialog.encrypt_check.isChecked() and not dialog.remove_source_check.isChecked()
    dialog.tokenizer_combo.setCurrentIndex(dialog.tokenizer_combo.findData("byte"))
    dialog.remove_source_check.setChecked(True)
    accept(qtbot, dialog)
    wait_import(qtbot, pane)
    info = pane.current
    assert info.encrypted and info.options["remove_source"] and not src.exists()
    assert "Encrypted at rest. Keys held by root" in pane.stats_view.access_label.text()
    assert "Not shared with anyone" in pane.stats_view.access_label.text()
    storage = pane.model.COLUMNS.index("storage")
    assert pane.model.data(pane.model.index(0, storage)) == "encrypted"
    pane.tabs.setCurrentIndex(2)  # the preview decrypts what it shows
    assert pane.reader.text(0) == "private line 0" and pane.token_view.toPlainText() == "private line 0"
    # and a plaintext one, by choice
    other = tmp_path / "open.txt"
    other.write_text("public\n\ntext")
    dialog = pane.open_import_dialog(str(other))
    dialog.tokenizer_combo.setCurrentIndex(dialog.tokenizer_combo.findData("byte"))
    dialog.encrypt_check.setChecked(False)
    accept(qtbot, dialog)
    wait_import(qtbot, pane)
    assert not pane.current.encrypted and other.exists()
    assert pane.stats_view.access_label.text().startswith("Stored in plaintext")


def test_a_viewer_sees_a_shared_dataset_and_may_not_change_it(make_window, data_dir, qtbot, tmp_path):
    from tests.conftest import TEST_PASSWORD

    window = make_window(data_dir, theme_mode="light", language="en")
    studio = window.ctx.studio
    root = window.ctx.session
    studio.accounts.create_user(root, "vic", "viewer", TEST_PASSWORD)
    src = tmp_path / "shared.txt"
    src.write_text("one\n\ntwo")
    info = studio.datasets.import_dataset(root, ImportOptions(path=str(src), name="shared", tokenizer="byte"))
    studio.grants.add(root, "vic", "dataset", info.id, "use")
    window.show_pane("datasets")
    pane = window.pane("datasets")
    pane.refresh()  # imported behind the pane's back
    qtbot.waitUntil(lambda: pane.current is not None)
    assert "Shared with: vic (use)." in pane.stats_view.access_label.text()
    window.ctx.set_session(studio.accounts.login("vic", TEST_PASSWORD))
    pane = window.pane("datasets")
    pane.refresh()
    qtbot.waitUntil(lambda: pane.current is not None)
    assert [i.name for i in pane.model.infos] == ["shared"] and pane.reader.text(1) == "two"
    assert "Keys held by root, vic" in pane.stats_view.access_label.text()
    assert "Shared with" not in pane.stats_view.access_label.text()  # only its owner and managers list grants
    assert not any(b.isEnabled() for b in (pane.import_button, pane.sample_button, pane.rename_button,
                                           pane.tags_button, pane.delete_button))


def test_signing_out_empties_the_pane_without_an_error(pane, qtbot, tmp_path, monkeypatch):
    src = tmp_path / "a.txt"
    src.write_text("alpha\n\nbeta")
    pane.start_import(ImportOptions(path=str(src), name="a", tokenizer="byte"))
    wait_import(qtbot, pane)
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a))
    pane.ctx.set_session(None)
    assert warnings == [] and pane.model.infos == [] and pane.reader is None and pane.current is None


def test_a_statistics_table_too_narrow_for_its_columns_keeps_its_last_row_visible(qtbot):
    from PySide6.QtWidgets import QHeaderView

    from studio.gui.panes.datasets.stats_view import PERCENTILE_KEYS, _fill, _table

    table = _table(["Per document", *PERCENTILE_KEYS])
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)  # as StatsView does
    qtbot.addWidget(table)
    _fill(table, [["characters", *["1,234,567"] * 7], ["tokens", *["1,234,567"] * 7]])
    table.resize(900, table.height())
    table.show()
    qtbot.waitExposed(table)
    wide = table.height()
    table.resize(200, table.height())  # a 1280x800 window's half pane: the columns scroll sideways
    qtbot.waitUntil(lambda: table.horizontalScrollBar().isVisible())
    rows = table.rowHeight(0) + table.rowHeight(1)
    assert table.height() > wide and table.viewport().height() >= rows
