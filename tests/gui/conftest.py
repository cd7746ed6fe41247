"""GUI tests: offscreen Qt (set in tests/conftest.py before any QApplication exists), Qt's test mode for
standard paths, a main window over a fresh data folder for each test, and a guard against modal dialogs that
nobody answers (offscreen, such a dialog waits forever and stalls the whole suite)."""

from __future__ import annotations

import traceback

import pytest
from PySide6.QtCore import QStandardPaths, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QColorDialog, QDialog, QFileDialog, QInputDialog, QMessageBox

QStandardPaths.setTestModeEnabled(True)

# A dialog's exec() that a test answers (a QTimer that clicks a button, as tests/gui/training does) is answered
# within a second; one still open after this long is one nobody will answer.
UNANSWERED_EXEC_S = 10.0

# QMessageBox's static questions, with their default buttons: they are shown as a real box through exec() (so
# a timer may answer them, as one does with the C++ ones) and fall under the same watchdog.
_MESSAGE_BOXES = {
    "information": (QMessageBox.Icon.Information, QMessageBox.StandardButton.Ok),
    "warning": (QMessageBox.Icon.Warning, QMessageBox.StandardButton.Ok),
    "critical": (QMessageBox.Icon.Critical, QMessageBox.StandardButton.Ok),
    "question": (QMessageBox.Icon.Question, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No),
}

# The other static dialogs, with what each returns when the user cancels. Their own event loops run in C++ and
# no test answers them with a timer: a test must monkeypatch the ones its code calls.
_CANCELLED = {
    QMessageBox: {"about": None, "aboutQt": None},
    QFileDialog: {"getOpenFileName": ("", ""), "getOpenFileNames": ([], ""), "getSaveFileName": ("", ""),
                  "getExistingDirectory": ""},
    QInputDialog: {"getText": ("", False), "getMultiLineText": ("", False), "getItem": ("", False),
                   "getInt": (0, False), "getDouble": (0.0, False)},
    QColorDialog: {"getColor": QColor()},
}


@pytest.fixture(autouse=True)
def _no_unanswered_modal_dialogs(monkeypatch):
    """A dialog's exec() (QMessageBox.question & co. included) still open after UNANSWERED_EXEC_S is rejected,
    and a file, input or colour dialog the test did not monkeypatch returns "cancelled" at once; either fails
    the test at teardown, naming the dialog and where it was opened."""
    problems: list[str] = []

    def where() -> str:  # the caller's frames, without pytest's and pluggy's
        frames = [f for f in traceback.extract_stack()[:-2] if "site-packages" not in f.filename]
        return "".join(traceback.format_list(frames[-8:]))

    def static(cls, name, cancelled):
        def refuse(*args, **kwargs):
            texts = [a for a in args if isinstance(a, str)]
            problems.append(f"{cls.__name__}.{name}{tuple(texts)!r} was called and the test did not monkeypatch it "
                            f"(offscreen it would wait forever); it returned {cancelled!r}. Called from:\n{where()}")
            return cancelled
        return refuse

    for cls, names in _CANCELLED.items():
        for name, cancelled in names.items():
            monkeypatch.setattr(cls, name, staticmethod(static(cls, name, cancelled)))

    def message_box(icon, default_buttons):
        def show(parent, title, text, buttons=default_buttons, defaultButton=QMessageBox.StandardButton.NoButton):  # noqa: N803 - Qt's name
            box = QMessageBox(icon, title, text, buttons, parent)
            if defaultButton != QMessageBox.StandardButton.NoButton:
                box.setDefaultButton(defaultButton)
            box.exec()
            clicked = box.clickedButton()
            box.deleteLater()
            return box.standardButton(clicked) if clicked is not None else QMessageBox.StandardButton.Cancel
        return show

    for name, (icon, buttons) in _MESSAGE_BOXES.items():
        monkeypatch.setattr(QMessageBox, name, staticmethod(message_box(icon, buttons)))

    real_exec = QDialog.exec

    def guarded_exec(dialog):
        opened_at = where()

        def unanswered():
            if dialog.isVisible():
                problems.append(f"{type(dialog).__name__} {dialog.objectName()!r} ({dialog.windowTitle()!r}: "
                                f"{getattr(dialog, 'text', str)()!r}) was shown with exec() and nobody answered it "
                                f"within {UNANSWERED_EXEC_S:g} s; it was rejected. Answer it in the test "
                                f"(monkeypatch it, or a QTimer that clicks a button). Opened from:\n{opened_at}")
                dialog.done(QDialog.DialogCode.Rejected)

        watchdog = QTimer()
        watchdog.setSingleShot(True)
        watchdog.timeout.connect(unanswered)
        watchdog.start(int(UNANSWERED_EXEC_S * 1000))
        try:
            return real_exec(dialog)
        finally:
            watchdog.stop()

    monkeypatch.setattr(QDialog, "exec", guarded_exec)
    monkeypatch.setattr(QDialog, "exec_", guarded_exec)
    yield problems
    if problems:
        pytest.fail("a modal dialog nobody answered:\n\n" + "\n\n".join(problems), pytrace=False)


@pytest.fixture
def make_window(qtbot, qapp):
    """`make_window(data_dir, login=True, **build_kwargs)`: a main window over `data_dir`, signed in as the
    administrator "root" (created on first use, password tests.conftest.TEST_PASSWORD) unless login=False."""
    from studio.gui.app import build_window
    from tests.conftest import TEST_PASSWORD

    windows = []

    def make(data_dir, login: bool = True, **kwargs):
        window = build_window(qapp, data_dir, **kwargs)
        qtbot.addWidget(window)
        windows.append(window)
        if login:
            accounts = window.ctx.studio.accounts
            if accounts.has_users():
                session = accounts.login("root", TEST_PASSWORD)
            else:
                session = accounts.create_first_admin("root", TEST_PASSWORD)
            window.ctx.set_session(session)
        return window

    yield make
    for w in windows:
        w.ctx.studio.close()
    from studio.gui.i18n import remove_translations

    remove_translations(qapp)


@pytest.fixture
def window(make_window, data_dir, qtbot):
    w = make_window(data_dir, theme_mode="light", language="en")
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.fixture
def in_thread(monkeypatch, data_dir):
    """Run workers in threads of the test process (as tests/core/runs does), so a tiny fine-tune takes seconds;
    yields their exit codes."""
    import torch

    from studio.core.training import launch, worker
    from tests.core.runs import fakes

    codes: list[int] = []
    monkeypatch.setattr(worker, "CONTROL_EVERY_S", 0.0)
    monkeypatch.setattr(launch, "start_process", lambda *a, **k: fakes.thread_launcher(data_dir, codes, None)(*a, **k))
    threads = torch.get_num_threads()
    yield codes
    torch.set_num_threads(threads)
