"""Pure UI tests of the Training pane over a fake run service (runs on threads, deterministic curves and
timings: form checks, deletion, details, closing): one fake per test, shared by every window the test opens on
its data folder, as the real service's database would be. The "Done when" tests run over the real run service
and real worker processes: test_real_runs.py."""

from __future__ import annotations

import pytest

from tests.gui.training.fake_backend import FakeBackend


@pytest.fixture
def fake(monkeypatch):
    from studio.gui.panes.training import pane as pane_module

    backend = FakeBackend()
    monkeypatch.setattr(pane_module.TrainingPane, "backend_factory", staticmethod(lambda ctx: backend))
    answers = []
    monkeypatch.setattr(pane_module, "ask_about_live_runs", lambda parent, names: answers.pop(0) if answers else "leave")
    backend.close_answers = answers
    yield backend
    # The GUI thread never called the service (closing reads the runs and stops them off it too).
    assert backend.gui_thread_calls == [], backend.gui_thread_calls
    for run in list(backend._runs.values()):
        if run.status in ("running", "paused", "queued"):
            backend._update(run.id, control="kill")
    backend.wait_idle()


@pytest.fixture
def training(make_window, data_dir, fake, qtbot):
    """A signed-in window showing the Training pane, polling fast."""

    from tests.gui.closing import close_windows

    windows = []

    def open_window():
        window = make_window(data_dir, theme_mode="light", language="en")
        window.resize(1200, 800)
        window.show()
        qtbot.waitExposed(window)
        pane = window.show_pane("training")
        pane.timer.setInterval(100)
        windows.append(window)
        return window, pane

    yield open_window
    close_windows(qtbot, windows)
