from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from tests.conftest import TEST_PASSWORD


def sign_in(qtbot, window, name, password, confirm=None):
    screen = window.login_screen
    screen.name.setText(name)
    screen.password.setText(password)
    if confirm is not None:
        screen.confirm.setText(confirm)
    qtbot.mouseClick(screen.button, Qt.MouseButton.LeftButton)


def test_first_start_creates_the_administrator_from_the_login_screen(make_window, data_dir, qtbot):
    window = make_window(data_dir, login=False, theme_mode="light", language="en")
    window.show()
    assert window.root.currentWidget() is window.login_screen
    assert window.login_screen.confirm.isVisible()
    assert not any(a.isEnabled() for a in window.pane_actions)  # no pane before someone signs in
    sign_in(qtbot, window, "root", TEST_PASSWORD, confirm="something-else-42")
    assert "differ" in window.login_screen.error.text()
    sign_in(qtbot, window, "root", "short", confirm="short")
    qtbot.waitUntil(lambda: "at least 10" in window.login_screen.error.text())
    sign_in(qtbot, window, "root", TEST_PASSWORD, confirm=TEST_PASSWORD)
    qtbot.waitUntil(lambda: window.ctx.session is not None)
    assert window.root.currentWidget() is window.workspace
    assert window.ctx.session.is_admin and window.ctx.session.user_name == "root"
    assert "User: root" in [w.text() for w in window.statusBar().findChildren(QLabel)]
    assert window.login_screen.password.text() == ""  # nothing of the password is left in the widgets


def test_wrong_password_then_sign_in(make_window, data_dir, qtbot):
    make_window(data_dir).close()  # creates root
    window = make_window(data_dir, login=False, theme_mode="light", language="en")
    window.show()
    assert not window.login_screen.confirm.isVisible()
    sign_in(qtbot, window, "root", "Wrong-Password-0")
    qtbot.waitUntil(lambda: window.login_screen.error.text() == "Wrong user name or password, or the account is disabled.")
    assert window.ctx.session is None
    sign_in(qtbot, window, "root", TEST_PASSWORD)
    qtbot.waitUntil(lambda: window.ctx.session is not None)


def test_lock_now_drops_the_keys_and_prefills_the_name(window, qtbot):
    session = window.ctx.session
    window.account.lock.trigger()
    assert session.locked and window.ctx.session is None
    assert window.root.currentWidget() is window.login_screen
    assert window.login_screen.name.text() == "root"
    texts = [w.text() for w in window.statusBar().findChildren(QLabel)]
    assert "Vault: locked" in texts and "Not signed in" in texts
    entry = window.ctx.studio.audit_store.page(limit=1)[0]
    assert entry.action == "auth.logout" and entry.details == {"lock": True, "name": "root"}
    sign_in(qtbot, window, "root", TEST_PASSWORD)
    qtbot.waitUntil(lambda: window.ctx.session is not None)


def test_switch_user_rebuilds_the_panes_for_the_new_user(window, qtbot):
    window.ctx.studio.accounts.create_user(window.ctx.actor, "vera", "viewer", TEST_PASSWORD)
    users_pane = window.show_pane("users")
    assert users_pane.admin_box.isVisibleTo(users_pane)
    window.account.switch.trigger()
    assert window.login_screen.name.text() == ""
    sign_in(qtbot, window, "vera", TEST_PASSWORD)
    qtbot.waitUntil(lambda: window.ctx.session is not None)
    fresh = window.pane("users")
    assert fresh is not users_pane
    assert not fresh.admin_box.isVisibleTo(fresh) and "Only administrators" in fresh.message.text()
    audit = window.show_pane("audit")
    assert not audit.body.isVisibleTo(audit) and "Only administrators" in audit.notice.text()


def test_idle_time_locks_the_session(window, qtbot):
    assert window.account.idle_minutes() == 15  # the default
    window.account.set_idle_minutes(1)
    assert window.ctx.settings.value("security/idle_lock_minutes") in (1, "1")
    watcher = window.account.idle
    watcher.minutes = 0.002  # about 0.1 s, for the test
    watcher.timer.setInterval(20)
    session = window.ctx.session
    qtbot.waitUntil(lambda: window.ctx.session is None, timeout=5000)
    assert session.locked and window.login_screen.name.text() == "root"


def test_change_password_from_the_account_menu(window, qtbot):
    from studio.gui.account import ChangePasswordDialog

    window.account.change_password.trigger()
    dialog = window.findChild(ChangePasswordDialog)
    dialog.current.setText(TEST_PASSWORD)
    dialog.new.setText("Granite-Otter-5521")
    dialog.again.setText("Granite-Otter-5521")
    dialog.submit()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    window.ctx.studio.accounts.login("root", "Granite-Otter-5521")
