import json
import sqlite3

from PySide6.QtCore import Qt

from studio.core.security import policy
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


def test_users_pane_manages_accounts_and_grants(window, qtbot, monkeypatch):
    from studio.gui.panes.users import pane as users_module

    studio = window.ctx.studio
    monkeypatch.setitem(policy._REGISTRY, "model", policy.ObjectType("model", lambda s, oid: 1, None, None))
    pane = window.show_pane("users")
    assert [u.name for u in pane.users_model.rows] == ["root"]
    assert not pane.disable_button.isEnabled() and not pane.reset_button.isEnabled()  # not on oneself

    def accept_with(cls, setup):
        def exec_(dialog):
            setup(dialog)
            return cls.DialogCode.Accepted
        monkeypatch.setattr(cls, "exec", exec_)

    def fill_new(d):
        d.name.setText("alice")
        d.role.setCurrentText("viewer")
        d.password.setText(TEST_PASSWORD)
        d.again.setText(TEST_PASSWORD)

    accept_with(users_module.NewUserDialog, fill_new)
    pane.new_user()
    qtbot.waitUntil(lambda: [u.name for u in pane.users_model.rows] == ["alice", "root"], timeout=5000)
    pane.users.selectRow(0)
    assert pane.disable_button.isEnabled() and pane.reset_button.isEnabled()

    def fill_grant(d):
        d.user.setCurrentText("alice")
        d.obj_type.setCurrentText("model")
        d.obj_id.setText("4")
        d.permission.setCurrentText("use")

    accept_with(users_module.AddGrantDialog, fill_grant)
    pane.add_grant()
    qtbot.waitUntil(lambda: len(pane.user_grants_model.rows) == 1, timeout=5000)
    assert pane.user_grants.model().index(0, 1).data() == "model:4"
    pane.object_edit.setText("model:4")
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
