import json
import sqlite3

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from tests.conftest import TEST_PASSWORD


def fill_log(studio, n):
    """n unsealed entries written straight into the table (fast; as if written while nobody was signed in)."""
    conn = sqlite3.connect(studio.paths.db)
    start = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_log").fetchone()[0]
    conn.executemany(
        "INSERT INTO audit_log (seq, ts, actor_id, actor_name, action, obj_type, obj_id, outcome, details, mac) "
        "VALUES (?, ?, NULL, ?, ?, 'model', ?, ?, ?, NULL)",
        [(start + i + 1, f"2026-01-01T00:00:{i % 60:02d}.000000Z", "bulk", "model.read", str(i % 7),
          "denied" if i % 10 == 0 else "allowed", json.dumps({"i": i}, separators=(",", ":"))) for i in range(n)])
    conn.commit()
    conn.close()


def test_audit_pane_pages_on_demand_newest_first(window, qtbot, monkeypatch):
    studio = window.ctx.studio
    fill_log(studio, 20_000)
    calls = []
    real = studio.audit_store.by_seqs
    monkeypatch.setattr(studio.audit_store, "by_seqs", lambda seqs: calls.append(len(seqs)) or real(seqs))
    pane = window.show_pane("audit")
    model = pane.model
    assert model.rowCount() > 20_000
    assert model.index(0, 0).data() == studio.audit_store.max_seq()  # newest first
    pane.table.scrollToBottom()
    qtbot.wait(50)
    assert model.index(model.rowCount() - 1, 0).data() == 1
    assert sum(calls) < 2_000, "the view must fetch only what it shows"
    assert len(model._cache) <= 64


def test_audit_pane_is_live_and_shows_the_json(window, qtbot):
    pane = window.show_pane("audit")
    before = pane.model.rowCount()
    window.ctx.studio.accounts.create_user(window.ctx.actor, "newcomer", "viewer", TEST_PASSWORD)
    qtbot.waitUntil(lambda: pane.model.rowCount() == before + 1, timeout=5000)
    assert pane.model.index(0, 3).data() == "user.create"
    pane.table.selectRow(0)
    shown = json.loads(pane.detail.toPlainText())
    assert shown["action"] == "user.create" and shown["details"]["name"] == "newcomer" and shown["sealed"] is True


def test_audit_pane_filters_search_and_export(window, qtbot, tmp_path):
    studio = window.ctx.studio
    fill_log(studio, 500)
    pane = window.show_pane("audit")
    pane.outcome.setCurrentIndex(pane.outcome.findData("denied"))
    pane.action.setCurrentText("model.")
    pane.apply_filters()
    qtbot.waitUntil(lambda: pane._search_task is None and pane.model.rowCount() == 50, timeout=5000)
    assert {pane.model.index(r, 5).data() for r in range(50)} == {"denied"}
    pane.search.setText('"i":37}')
    pane.outcome.setCurrentIndex(0)
    pane.apply_filters()
    qtbot.waitUntil(lambda: pane._search_task is None and pane.model.rowCount() == 1, timeout=5000)
    # New entries that match the filter arrive live; others do not.
    fill_log(studio, 3)
    pane.poll()
    assert pane.model.rowCount() == 1
    task = pane.export_to(str(tmp_path / "view.jsonl"))
    qtbot.waitUntil(lambda: "Exported 1 entries" in pane.verify_result.text(), timeout=5000)
    lines = (tmp_path / "view.jsonl").read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["details"] == {"i": 37}
    assert task is not None
    pane.clear_filters()
    qtbot.waitUntil(lambda: pane.model.rowCount() > 500, timeout=5000)


def test_verify_button_reports_intact_then_the_first_bad_entry(window, qtbot):
    pane = window.show_pane("audit")
    qtbot.mouseClick(pane.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane.verify_result.text().startswith("Intact"), timeout=10000)
    conn = sqlite3.connect(window.ctx.studio.paths.db)
    conn.execute("UPDATE audit_log SET outcome = 'denied' WHERE seq = 1")
    conn.commit()
    conn.close()
    qtbot.mouseClick(pane.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane.verify_result.text().startswith("Tampered"), timeout=10000)
    assert "entry 1 " in pane.verify_result.text()
    # the administrator has looked at it: acknowledging starts a new chain and the button goes away
    assert pane.reseal_button.isVisibleTo(pane)
    pane.reseal_now()
    qtbot.waitUntil(lambda: pane.verify_result.text().startswith("Intact"), timeout=10000)
    assert "acknowledged a break at entry" in pane.verify_result.text()
    assert not pane.reseal_button.isVisibleTo(pane)


def _submit_dialog(qtbot, dialog):
    """Press OK on a dialog that makes its own service call; wait for the answer (closed, or an error)."""
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: dialog.task is None or not dialog.task.running, timeout=5000)
    qtbot.waitUntil(lambda: dialog.buttons.isEnabled(), timeout=5000)


def test_users_pane_manages_accounts_and_grants(window, qtbot, monkeypatch):
    import torch

    from studio.gui.panes.users import pane as users_module

    studio = window.ctx.studio
    model = studio.vault.add_version(window.ctx.actor, None, {"w": torch.zeros(4, 4)}, name="tiny-gpt")
    pane = window.show_pane("users")
    assert [u.name for u in pane.users_model.rows] == ["root"]
    assert not pane.disable_button.isEnabled() and not pane.reset_button.isEnabled()  # not on oneself

    def answer_with(cls, steps):
        """exec() runs the steps (filling the form, pressing OK) and returns how the dialog ended."""
        def exec_(dialog):
            for step in steps:
                step(dialog)
            return dialog.result()
        monkeypatch.setattr(cls, "exec", exec_)

    def fill_new(d):
        d.name.setText("alice")
        d.role.setCurrentIndex(d.role.findData("viewer"))
        d.password.setText(TEST_PASSWORD)
        d.again.setText("something else")
        _submit_dialog(qtbot, d)
        assert "differ" in d.error_for("again") and d.task is None  # refused before any call
        d.again.setText(TEST_PASSWORD)
        _submit_dialog(qtbot, d)

    answer_with(users_module.NewUserDialog, [fill_new])
    assert pane.new_user()
    assert [u.name for u in pane.users_model.rows] == ["alice", "root"]
    pane.users.selectRow(0)
    assert pane.disable_button.isEnabled() and pane.reset_button.isEnabled()

    def grant_export(d):  # a viewer cannot be given export: the dialog stays, the reason under Permission
        assert d.user.currentData() == "alice" and d.object.currentText() == f"tiny-gpt (model {model.model_id})"
        d.permission.setCurrentIndex(d.permission.findData("export"))
        _submit_dialog(qtbot, d)
        assert d.result() != d.DialogCode.Accepted
        assert "viewer can only be given 'use'" in d.error_for("permission")
        assert d.permission.currentData() == "export"  # what was chosen is still there

    def grant_use(d):
        d.permission.setCurrentIndex(d.permission.findData("use"))
        _submit_dialog(qtbot, d)

    answer_with(users_module.AddGrantDialog, [grant_export, grant_use])
    assert pane.add_grant()
    assert "Granted use on tiny-gpt" in pane.message.text()
    assert len(pane.user_grants_model.rows) == 1
    assert pane.user_grants.model().index(0, 1).data() == f"tiny-gpt (model {model.model_id})"
    pane.object_combo.setCurrentIndex(pane.object_combo.findText(f"tiny-gpt (model {model.model_id})"))
    pane.show_object()
    assert [g.user_name for g in pane.object_grants_model.rows] == ["alice"]
    pane.object_grants.selectRow(0)
    pane.revoke()
    qtbot.waitUntil(lambda: pane._task is None, timeout=5000)
    assert studio.grants.list(window.ctx.actor, user_name="alice") == []

    pane.users.selectRow(0)
    pane.toggle_disabled()
    qtbot.waitUntil(lambda: studio.accounts.user("alice").disabled, timeout=5000)
    qtbot.waitUntil(lambda: pane._task is None, timeout=5000)
    assert pane.users_model.index(0, 2).data() == "disabled"
    pane.users.selectRow(0)
    assert pane.disable_button.text() == "Enable"
    monkeypatch.setattr(users_module.QInputDialog, "getItem", lambda *a, **k: ("trainer", True))
    pane.change_role()
    qtbot.waitUntil(lambda: studio.accounts.user("alice").role == "trainer", timeout=5000)
