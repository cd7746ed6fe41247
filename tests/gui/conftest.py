"""GUI tests: offscreen Qt (set in tests/conftest.py before any QApplication exists), Qt's test mode for
standard paths, and a main window over a fresh data folder for each test."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QStandardPaths

QStandardPaths.setTestModeEnabled(True)


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
