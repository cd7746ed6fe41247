"""The guard of tests/gui/conftest.py: a modal dialog that a test does not answer ends as a failure of that test
instead of waiting forever offscreen; dialogs a test answers (monkeypatched, or clicked by a timer) still work."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QInputDialog, QMessageBox

from tests.gui import conftest as gui_conftest


def test_static_file_and_input_dialogs_not_monkeypatched_return_cancelled_and_are_reported(
        _no_unanswered_modal_dialogs, qtbot):
    problems = _no_unanswered_modal_dialogs
    assert QFileDialog.getOpenFileName(None, "Open a model") == ("", "")
    assert QInputDialog.getText(None, "Rename", "New name:") == ("", False)
    assert len(problems) == 2
    assert "QFileDialog.getOpenFileName('Open a model',) was called and the test did not monkeypatch it" in problems[0]
    assert "test_modal_guard.py" in problems[0]  # where it was called from
    problems.clear()  # reported as expected: this test passes


def test_a_static_question_nobody_answers_is_rejected_and_reported(_no_unanswered_modal_dialogs, qtbot, monkeypatch):
    monkeypatch.setattr(gui_conftest, "UNANSWERED_EXEC_S", 0.2)
    assert QMessageBox.question(None, "Delete?", "Delete it all?") == QMessageBox.StandardButton.Cancel
    problems = _no_unanswered_modal_dialogs
    assert len(problems) == 1
    assert "QMessageBox '' ('Delete?': 'Delete it all?') was shown with exec() and nobody answered it" in problems[0]
    assert "test_modal_guard.py" in problems[0]
    problems.clear()


def test_a_static_question_a_timer_answers_gives_the_button(_no_unanswered_modal_dialogs, qtbot):
    def answer():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, answer)
            return
        box.button(QMessageBox.StandardButton.No).click()

    QTimer.singleShot(20, answer)
    assert QMessageBox.question(None, "Stop?", "Stop the run?") == QMessageBox.StandardButton.No
    assert _no_unanswered_modal_dialogs == []


def test_an_exec_nobody_answers_is_rejected_and_reported(_no_unanswered_modal_dialogs, qtbot, monkeypatch):
    monkeypatch.setattr(gui_conftest, "UNANSWERED_EXEC_S", 0.2)
    dialog = QDialog()
    dialog.setObjectName("forgotten")
    qtbot.addWidget(dialog)
    assert dialog.exec() == QDialog.DialogCode.Rejected
    problems = _no_unanswered_modal_dialogs
    assert len(problems) == 1 and "QDialog 'forgotten'" in problems[0] and "nobody answered it" in problems[0]
    problems.clear()


def test_an_exec_a_timer_answers_still_works(_no_unanswered_modal_dialogs, qtbot):
    box = QMessageBox(QMessageBox.Icon.Question, "Stop?", "Stop the run?",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    qtbot.addWidget(box)

    def answer():
        modal = QApplication.activeModalWidget()
        if modal is not box:
            QTimer.singleShot(20, answer)
            return
        box.button(QMessageBox.StandardButton.Yes).click()

    QTimer.singleShot(20, answer)
    box.exec()
    assert box.clickedButton() is box.button(QMessageBox.StandardButton.Yes)
    assert _no_unanswered_modal_dialogs == []


def test_a_monkeypatched_static_dialog_is_the_tests_answer(_no_unanswered_modal_dialogs, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    assert QMessageBox.question(None, "Stop?", "Stop the run?") == QMessageBox.StandardButton.Yes
    assert _no_unanswered_modal_dialogs == []
