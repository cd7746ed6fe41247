"""Signing in and out as different users in one window (issue 15, item 2): panes built for one user are
dropped when another signs in, and nothing of them may still answer the next session change."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt

from studio.gui.panes import PANES
from tests.conftest import TEST_PASSWORD


def _sign_in(qtbot, window, name: str) -> None:
    screen = window.login_screen
    screen.name.setText(name)
    screen.password.setText(TEST_PASSWORD)
    qtbot.mouseClick(screen.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.ctx.session is not None and window.ctx.session.user_name == name, timeout=10_000)
    assert screen.error.text() == ""
    assert window.root.currentWidget() is window.workspace


def _visit_every_pane(qtbot, window) -> None:
    for n, spec in enumerate(PANES):
        qtbot.keyClick(window, str(n + 1), Qt.KeyboardModifier.ControlModifier)
        assert window.current_pane_id() == spec.id
        qtbot.wait(1)  # let singleShot(0) work of the pane run while it is alive


def test_three_roles_sign_in_and_out_in_turn_three_times(window, qtbot, caplog):
    accounts = window.ctx.studio.accounts
    accounts.create_user(window.ctx.actor, "vera", "viewer", TEST_PASSWORD)
    accounts.create_user(window.ctx.actor, "tom", "trainer", TEST_PASSWORD)
    caplog.set_level(logging.ERROR)
    window.account.logout.trigger()  # the fixture signed in as root
    built = []
    for _round in range(3):
        for name, leave in (("vera", "lock"), ("tom", "switch"), ("root", "logout")):
            _sign_in(qtbot, window, name)
            _visit_every_pane(qtbot, window)
            built.append(window.pane("datasets"))
            if leave == "lock":  # lock, sign in again as the same user (their panes stay), then leave
                window.account.lock.trigger()
                assert window.login_screen.name.text() == name
                _sign_in(qtbot, window, name)
                assert window.pane("datasets") is built[-1]
                window.account.switch.trigger()
            elif leave == "switch":
                window.account.switch.trigger()
            else:
                window.account.logout.trigger()
            assert window.ctx.session is None
            qtbot.wait(1)  # deleteLater of dropped panes happens here
    assert len({id(p) for p in built}) == len(built)  # every new user got panes built for them
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_dropped_pane_no_longer_hears_session_changes(window, qtbot):
    ctx = window.ctx
    ctx.studio.accounts.create_user(ctx.actor, "tom", "trainer", TEST_PASSWORD)
    pane = window.show_pane("datasets")
    heard = []
    pane.ctx.sig_session_changed.connect(lambda s: heard.append(s))
    window.account.switch.trigger()  # the pane hears the logout: it still belongs to root
    assert heard == [None]
    _sign_in(qtbot, window, "tom")  # tom signs in: root's panes are dropped before anything reaches them
    assert heard == [None]
    assert window.pane("datasets") is not pane
