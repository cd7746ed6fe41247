import pytest


@pytest.mark.slow
def test_help_self_test_runs_and_shows_each_step(window, qtbot):
    from PySide6.QtGui import QGuiApplication

    from studio.core.selftest import STEPS
    from studio.gui.selftest_dialog import SelfTestDialog

    window.show_self_test()
    dialog = window.findChild(SelfTestDialog)
    qtbot.waitUntil(lambda: len(dialog.results) == len(STEPS), timeout=120_000)
    assert all(r.ok for r in dialog.results)
    qtbot.waitUntil(lambda: "passed" in dialog.summary.text())
    assert dialog.output.toPlainText().count("\n") == len(STEPS) - 1
    dialog.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert "Self-test passed" in copied and "verify the audit chain" in copied
    dialog.close()
