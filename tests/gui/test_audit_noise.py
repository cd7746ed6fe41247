"""The audit log records what matters (issue 15, item 11): clicking through the Vault and refreshing the
Datasets pane writes nothing; entries show object names beside ids; the detail clears when a filter hides
its entry."""

from __future__ import annotations

import torch

from tests.conftest import TEST_PASSWORD


def test_browsing_the_vault_and_datasets_writes_no_entries(window, qtbot):
    studio, root = window.ctx.studio, window.ctx.actor
    for name in ("alpha", "beta"):
        studio.vault.add_version(root, None, {"w": torch.zeros(4, 4)}, name=name)
    vault = window.show_pane("vault")
    before = studio.audit_store.max_seq()
    for _ in range(3):
        for name in ("alpha", "beta"):
            assert vault.select_model(name)
            assert vault.details.details.model.name == name
        vault.refresh()
    datasets = window.show_pane("datasets")
    for _ in range(3):
        datasets.refresh()
    assert studio.audit_store.max_seq() == before
    studio.vault.rotate(root, "alpha")
    assert [e.action for e in studio.audit_store.page(limit=1)] == ["model.rotate"]


def test_entries_show_names_and_the_detail_follows_the_filter(window, qtbot):
    studio = window.ctx.studio
    studio.accounts.create_user(window.ctx.actor, "newcomer", "viewer", TEST_PASSWORD)
    studio.vault.add_version(window.ctx.actor, None, {"w": torch.zeros(4, 4)}, name="tiny-gpt")
    pane = window.show_pane("audit")
    qtbot.waitUntil(lambda: pane.model.index(0, 3).data() == "model.import", timeout=5000)
    model_id = studio.vault.list_models(window.ctx.actor)[0].id
    assert pane.model.index(0, 4).data() == f"tiny-gpt (model {model_id})"
    assert pane.model.index(1, 3).data() == "user.create"
    assert pane.model.index(1, 4).data().startswith("newcomer (user ")
    pane.table.selectRow(1)
    assert "newcomer" in pane.detail.toPlainText()
    pane.action.setCurrentText("user.")  # the selected entry still shows: it stays selected
    pane.apply_filters()
    qtbot.waitUntil(lambda: pane._search_task is None, timeout=5000)
    assert pane.model.entry(pane.table.currentIndex().row()).action == "user.create"
    assert "newcomer" in pane.detail.toPlainText()
    pane.action.setCurrentText("model.")  # now it is hidden: no stale detail beside other entries
    pane.apply_filters()
    qtbot.waitUntil(lambda: pane._search_task is None, timeout=5000)
    assert pane.model.rowCount() >= 1 and not pane.table.currentIndex().isValid()
    assert pane.detail.toPlainText() == ""
    pane.action.setCurrentText("")
    pane.apply_filters()
    qtbot.waitUntil(lambda: pane._search_task is None, timeout=5000)
    try:
        studio.accounts.login("newcomer", "not-the-password")
    except Exception:  # noqa: BLE001 - the refusal is what is looked at
        pass
    qtbot.waitUntil(lambda: pane.model.index(0, 3).data() == "auth.login", timeout=5000)
    assert pane.model.index(0, 4).data().startswith("newcomer (user ")  # a refused login too, not "user:3"
