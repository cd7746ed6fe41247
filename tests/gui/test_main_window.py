from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

from studio.gui.panes import PANES
from studio.gui.panes.base import Pane


def test_every_pane_opens_with_its_keyboard_shortcut(window, qtbot):
    for n, spec in enumerate(PANES):
        qtbot.keyClick(window, str(n + 1), Qt.KeyboardModifier.ControlModifier)
        assert window.current_pane_id() == spec.id
        pane = window.stack.currentWidget()
        assert isinstance(pane, Pane)
        assert pane.isVisible()
    assert [window.sidebar.item(i).text() for i in range(window.sidebar.count())] == [s.title for s in PANES]


def test_last_pane_and_geometry_survive_a_restart(make_window, data_dir, qtbot):
    first = make_window(data_dir, theme_mode="light", language="en")
    first.show()
    qtbot.waitExposed(first)
    first.show_pane("vault")
    first.resize(700, 500)
    first.close()
    first.ctx.studio.close()

    second = make_window(data_dir, theme_mode="light", language="en")
    second.show()
    qtbot.waitExposed(second)
    assert second.current_pane_id() == "vault"
    assert (second.width(), second.height()) == (700, 500)


def test_status_bar_shows_data_folder_user_and_vault_state(make_window, data_dir):
    window = make_window(data_dir, login=False, theme_mode="light", language="en")
    texts = [w.text() for w in window.statusBar().findChildren(QLabel)]
    assert any(str(data_dir) in t for t in texts)
    assert "Not signed in" in texts
    assert "Vault: locked" in texts
    window.ctx.set_session(window.ctx.studio.accounts.create_first_admin("root", "Quartz-Falcon-7319"))
    texts = [w.text() for w in window.statusBar().findChildren(QLabel)]
    assert "User: root" in texts and "Vault: unlocked" in texts


def test_about_dialog_shows_versions_including_torch(window, qtbot):
    import PySide6
    import torch

    window.show_about()
    from studio.gui.about import AboutDialog

    dialog = window.findChild(AboutDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.torch_label.text() == torch.__version__, timeout=30000)
    labels = " ".join(w.text() for w in dialog.findChildren(QLabel))
    assert PySide6.__version__ in labels
    assert "cpu" in dialog.device_label.text() or "cuda" in dialog.device_label.text()
    dialog.close()


def test_unexpected_exception_shows_a_dialog_naming_the_log(window, qtbot, monkeypatch):
    from studio.gui.errors import CrashReporter

    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append(text))
    reporter = CrashReporter(window.ctx.studio.paths.log_file)
    try:
        raise ValueError("kaboom")
    except ValueError as error:
        reporter._hook(ValueError, error, error.__traceback__)
    qtbot.waitUntil(lambda: bool(shown))
    assert "kaboom" in shown[0] and str(window.ctx.studio.paths.log_file) in shown[0]
    assert window.isVisible()
    assert "kaboom" in window.ctx.studio.paths.log_file.read_text()


def test_dark_theme_gives_a_dark_window(make_window, data_dir, qtbot, qapp):
    from studio.gui import theme

    w = make_window(data_dir, theme_mode="dark", language="en")
    assert theme.is_dark()
    assert w.palette().window().color().lightness() < 80
    theme.apply_theme(qapp, "light")
    qtbot.waitUntil(lambda: w.palette().window().color().lightness() > 200)
    assert not theme.is_dark()
