"""The Vault pane: locked until a session unlocks it; import by button and by drag and drop with progress
and cancel off the GUI thread; details with lineage; export, verify, share, revoke, rotate, delete."""

from __future__ import annotations

import threading
import time

import pytest
import torch
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox
from safetensors.torch import save_file

from studio.core.stores.vault import LineageEdge
from tests.conftest import TEST_PASSWORD


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "tiny.safetensors"
    save_file({"w": torch.randn(8, 8), "b": torch.zeros(8)}, str(path))
    return path


def _user(window, name, role):
    studio = window.ctx.studio
    if studio.accounts.user(name) is None:
        studio.accounts.create_user(studio.accounts.login("root", TEST_PASSWORD), name, role, TEST_PASSWORD)
    return studio.accounts.login(name, TEST_PASSWORD)


def _sign_in(window, session):
    """Sign `session` in (the panes are built afresh for another user) and show the Vault pane."""
    window.ctx.set_session(session)
    pane = window.show_pane("vault")
    pane.vault.chunk_size = 256
    return pane


@pytest.fixture
def setup(window):
    """The main window on the Vault pane, with the trainer alice signed in (bob is another trainer)."""
    alice, bob = _user(window, "alice", "trainer"), _user(window, "bob", "trainer")
    return _sign_in(window, alice), alice, bob


def _finish(qtbot, pane, task):
    assert task is not None
    qtbot.waitUntil(lambda: not pane.busy, timeout=30000)


def test_locked_pane_shows_nothing_and_offers_no_action(window, model_file):
    pane = window.show_pane("vault")
    pane.vault.import_path(window.ctx.session, model_file, name="tiny")
    pane.refresh()
    assert not pane.is_locked() and pane.locked_label.isHidden() and pane.models.rowCount() == 1
    window.ctx.end_session(lock_only=True)  # Account > Lock: the login screen shows, the keys are dropped
    assert pane.is_locked() and not pane.locked_label.isHidden()
    assert pane.models.rowCount() == 0
    for action in (pane.import_action, pane.export_action, pane.verify_action, pane.share_action,
                   pane.rotate_action, pane.delete_action):
        assert not action.isEnabled()


def test_import_runs_off_the_gui_thread_and_shows_the_model(qtbot, setup, model_file):
    pane, alice, _ = setup
    assert not pane.locked_label.isVisible() and pane.import_action.isEnabled()
    threads = []
    real = pane.vault.import_path
    pane.vault.import_path = lambda *a, **k: (threads.append(threading.current_thread()), real(*a, **k))[1]
    _finish(qtbot, pane, pane.start_import(model_file, name="tiny", tags=["demo"]))
    assert threads and threads[0] is not threading.main_thread()
    assert [pane.models.row_at(r).name for r in range(pane.models.rowCount())] == ["tiny"]
    assert pane.current_model_id() is not None  # the new model is selected
    assert pane.details.fields["name"].text() == "tiny" and pane.details.fields["tags"].text() == "demo"
    assert pane.details.fields["owner"].text() == "alice"
    assert pane.details.versions.rowCount() == 1
    assert "Imported tiny version 1" in pane.notice.text()
    assert all(a.isEnabled() for a in (pane.export_action, pane.share_action, pane.rotate_action, pane.delete_action))


def test_drag_and_drop_imports_every_dropped_model(qtbot, setup, model_file, tmp_path):
    pane, _, _ = setup
    second = tmp_path / "second.safetensors"
    save_file({"x": torch.ones(3)}, str(second))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(model_file)), QUrl.fromLocalFile(str(second)),
                  QUrl.fromLocalFile(str(tmp_path / "notes.txt"))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    pane.dropEvent(event)
    qtbot.waitUntil(lambda: pane.models.rowCount() == 2 and not pane.busy, timeout=30000)
    assert sorted(pane.models.row_at(r).name for r in range(2)) == ["second", "tiny"]


def test_cancel_stops_an_import_and_leaves_nothing(qtbot, setup, tmp_path, monkeypatch):
    pane, _, _ = setup
    big = tmp_path / "big.safetensors"
    save_file({"w": torch.randn(64, 1024)}, str(big))  # 1024 chunks of 256 bytes
    from studio.core.vault import stream

    real = stream.encrypt_stream

    def slow(src, dst, key, ref, chunk_size, progress):  # a slow disk: 2 ms per chunk
        return real(src, dst, key, ref, chunk_size, lambda n: (time.sleep(0.002), progress(n)))

    monkeypatch.setattr(stream, "encrypt_stream", slow)
    task = pane.start_import(big, name="big")
    qtbot.waitUntil(lambda: pane.progress.isVisible(), timeout=5000)
    qtbot.mouseClick(pane.progress.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not pane.busy, timeout=30000)
    assert task.state.cancelled
    assert pane.models.rowCount() == 0 and "Cancelled" in pane.notice.text()
    assert list((pane.ctx.studio.paths.vault / "blobs").iterdir()) == []


def test_lineage_graph_and_versions(qtbot, setup, model_file):
    pane, alice, _ = setup
    vault = pane.vault
    v1 = vault.import_path(alice, model_file, name="tiny").version
    v2 = vault.add_version(alice, "tiny", {"w": torch.ones(2)}, kind="checkpoint",
                           lineage=[LineageEdge("dataset", "1", "shakespeare"), LineageEdge("run", "4", "run 4"),
                                    LineageEdge("source_version", str(v1.id))])
    vault.add_version(alice, None, {"w": torch.ones(1)}, name="tiny-int8", kind="compressed",
                      lineage=[LineageEdge("source_version", str(v2.id))])
    pane.refresh()
    assert pane.select_model("tiny")
    graph = pane.details.lineage.graph
    labels = {n.stage: n.label for n in graph.nodes}
    assert labels["dataset"] == "shakespeare" and labels["run"] == "run 4"
    assert labels["derived"].startswith("tiny-int8 v1 · compressed")
    keys = {n.label: n.key for n in graph.nodes}
    assert (keys["shakespeare"], keys["run 4"]) in graph.edges
    assert (keys["run 4"], keys["v2 · checkpoint"]) in graph.edges
    assert (keys["v1 · imported"], keys["v2 · checkpoint"]) in graph.edges
    assert (keys["v2 · checkpoint"], keys[labels["derived"]]) in graph.edges
    pane.details.setCurrentIndex(1)
    pane.details.lineage.repaint()  # paints without error
    # laid out as a DAG: every edge points down, no box overlaps another, the widget holds them all
    boxes = pane.details.lineage.boxes()
    assert all(boxes[a].bottom() < boxes[b].top() for a, b in graph.edges)
    rects = list(boxes.values())
    assert not any(r.intersects(o) for i, r in enumerate(rects) for o in rects[i + 1:])
    hint = pane.details.lineage.sizeHint()
    assert all(r.right() < hint.width() and r.bottom() < hint.height() for r in rects)
    assert boxes[keys["v1 · imported"]].top() < boxes[keys["v2 · checkpoint"]].top()  # v1 -> v2 goes down
    assert pane.details.versions.rowCount() == 2
    pane.search.setText("int8")
    qtbot.waitUntil(lambda: pane.models.rowCount() == 1, timeout=3000)


def test_verify_reports_damage_by_name(qtbot, setup, model_file):
    pane, alice, _ = setup
    pane.vault.import_path(alice, model_file, name="tiny")
    pane.refresh()
    pane.select_model("tiny")
    _finish(qtbot, pane, pane.verify(selected=False))
    assert "all intact" in pane.notice.text()
    blob = next((pane.ctx.studio.paths.vault / "blobs").iterdir())
    data = bytearray(blob.read_bytes())
    data[-1] ^= 1
    blob.write_bytes(data)
    _finish(qtbot, pane, pane.verify(selected=True))
    assert "tiny v1 — tiny.safetensors" in pane.notice.text() and pane.notice.property("error")


def test_export_share_revoke_rotate_delete(qtbot, setup, model_file, tmp_path, monkeypatch):
    pane, alice, bob = setup
    pane.vault.import_path(alice, model_file, name="tiny")
    pane.refresh()
    pane.select_model("tiny")
    out = tmp_path / "exported.safetensors"
    _finish(qtbot, pane, pane.export(out, "stored"))
    assert out.read_bytes() == model_file.read_bytes() and "not encrypted" in pane.notice.text()
    pane.share("bob")
    assert pane.details.recipients.count() == 2
    assert pane.details.recipients.item(1).text() == "bob (use)"
    assert pane.vault.load(bob, "tiny").tensors
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    pane.details.recipients.setCurrentRow(1)
    assert pane.details.revoke_button.isEnabled()
    qtbot.mouseClick(pane.details.revoke_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not pane.busy, timeout=30000)
    assert pane.details.recipients.count() == 1 and "revoked" in pane.notice.text()
    _finish(qtbot, pane, pane.rotate())
    assert "re-encrypted" in pane.notice.text()
    pane._delete_clicked()
    assert pane.models.rowCount() == 0 and "keys are destroyed" in pane.notice.text()


def test_errors_show_in_the_pane(qtbot, setup, tmp_path):
    pane, _, _ = setup
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"nonsense")
    _finish(qtbot, pane, pane.start_import(bad, name="bad"))
    assert "not a valid safetensors file" in pane.notice.text() and pane.notice.property("error")


def test_locking_the_session_empties_the_pane(qtbot, setup, model_file):
    pane, alice, _ = setup
    pane.vault.import_path(alice, model_file, name="tiny")
    pane.refresh()
    assert pane.models.rowCount() == 1
    pane.ctx.end_session(lock_only=True)
    assert alice.locked and pane.models.rowCount() == 0 and not pane.locked_label.isHidden()


def test_a_viewer_sees_what_is_shared_and_may_only_use_it(qtbot, window, setup, model_file):
    pane, alice, _ = setup
    pane.vault.import_path(alice, model_file, name="tiny")
    pane.refresh()
    pane.select_model("tiny")
    _user(window, "vic", "viewer")
    pane.share("vic")
    assert pane.details.recipients.item(1).text() == "vic (use)"
    pane = _sign_in(window, window.ctx.studio.accounts.login("vic", TEST_PASSWORD))
    assert [pane.models.row_at(r).name for r in range(pane.models.rowCount())] == ["tiny"]
    assert pane.select_model("tiny") and pane.details.fields["owner"].text() == "alice"
    assert pane.verify_action.isEnabled() and not pane.import_action.isEnabled()
    for action in (pane.export_action, pane.share_action, pane.rotate_action, pane.delete_action):
        assert not action.isEnabled(), action.text()
    pane.details.recipients.setCurrentRow(0)
    assert not pane.details.revoke_button.isEnabled()
    _finish(qtbot, pane, pane.verify(selected=True))
    assert "all intact" in pane.notice.text()
    pane.delete()  # greyed out; called anyway, the service refuses and says why
    assert "vic may not do model.delete" in pane.notice.text() and pane.models.rowCount() == 1


def _submit(qtbot, dialog):
    dialog.ok_button().click()
    qtbot.waitUntil(lambda: dialog.task is None or not dialog.task.running, timeout=5000)
    qtbot.waitUntil(lambda: dialog.buttons.isEnabled(), timeout=5000)


def test_share_dialog_keeps_a_refused_choice_and_says_why_beside_it(qtbot, window, setup, model_file):
    pane, alice, _ = setup
    pane.vault.import_path(alice, model_file, name="tiny")
    _user(window, "vic", "viewer")
    pane.refresh()
    pane.select_model("tiny")
    dialog = pane.share_dialog()
    assert [dialog.user.itemData(i) for i in range(dialog.user.count())] == ["bob", "root", "vic"]  # by name
    dialog.user.setCurrentIndex(dialog.user.findData("vic"))
    dialog.permission.setCurrentIndex(dialog.permission.findData("export"))
    _submit(qtbot, dialog)
    assert dialog.result() != dialog.DialogCode.Accepted
    assert "viewer can only be given 'use'" in dialog.error_for("permission")
    assert (dialog.user.currentData(), dialog.permission.currentData()) == ("vic", "export")
    assert pane.details.recipients.count() == 1  # nothing was shared
    dialog.permission.setCurrentIndex(dialog.permission.findData("use"))
    _submit(qtbot, dialog)
    assert dialog.result() == dialog.DialogCode.Accepted
    assert pane.details.recipients.item(1).text() == "vic (use)" and "Shared: vic" in pane.notice.text()


def test_export_is_off_for_a_model_without_a_finished_version(qtbot, setup, model_file):
    pane, alice, _ = setup
    pane.vault.reserve_version(alice, None, name="run-in-progress")  # a live run's checkpoints: still pending
    pane.vault.import_path(alice, model_file, name="tiny")
    pane.refresh()
    assert pane.select_model("run-in-progress")
    assert not pane.export_action.isEnabled() and "no finished version" in pane.export_action.toolTip()
    assert pane.select_model("tiny")
    assert pane.export_action.isEnabled()


def test_export_dialog_offers_every_format_and_the_pane_exports_a_signed_gguf(qtbot, setup, tmp_path):
    from studio.gui.panes.vault.dialogs import ExportDialog
    from tests.core.exports.conftest import native_source

    pane, alice, _ = setup
    source = native_source("byte")
    pane.vault.add_version(alice, None, source.tensors, name="gpt", config=source.config,
                           tokenizer=source.files["tokenizer.json"].decode())
    pane.refresh()
    pane.select_model("gpt")
    dialog = ExportDialog("gpt", [1], pane.ctx.studio.exports.formats(), pane)
    qtbot.addWidget(dialog)
    names = [dialog.format.itemData(i) for i in range(dialog.format.count())]
    assert names == ["safetensors", "hf", "gguf", "onnx", "stored", "bundle"]
    dialog.format.setCurrentIndex(names.index("gguf"))
    quants = [dialog.quant.itemData(i) for i in range(dialog.quant.count())]
    assert quants[:5] == [None, "f32", "f16", "bf16", "q8_0"] and not dialog.quant.isHidden()
    dialog.quant.setCurrentIndex(quants.index("q8_0"))
    dialog.sign.setChecked(True)
    assert dialog.values() | {"recipient": ""} == {"version": 1, "format": "gguf", "recipient": "", "quant": "q8_0",
                                                   "sign": True, "check": False}
    assert dialog.target() == (False, ".gguf")
    dialog.format.setCurrentIndex(names.index("onnx"))
    assert dialog.target()[0] and [dialog.quant.itemData(i) for i in range(dialog.quant.count())] == [None, "int8"]
    dialog.format.setCurrentIndex(names.index("stored"))
    assert dialog.quant.isHidden() and dialog.sign.isHidden() and dialog.values()["sign"] is False
    out = tmp_path / "gpt.gguf"
    _finish(qtbot, pane, pane.export(out, "gguf", 1, quant="q8_0", sign=True))
    assert out.is_file() and (tmp_path / "gpt.Modelfile").is_file() and (tmp_path / "gpt.gguf.sig").is_file()
    assert "not encrypted" in pane.notice.text() and "Signed by alice" in pane.notice.text()
    assert pane.ctx.studio.signing.verify(alice, out).verified


def test_an_export_that_cannot_be_written_says_why_and_leaves_nothing(qtbot, setup, model_file, tmp_path):
    pane, alice, _ = setup
    pane.vault.import_path(alice, model_file, name="tiny")  # bare weights: no config.json to convert from
    pane.refresh()
    pane.select_model("tiny")
    _finish(qtbot, pane, pane.export(tmp_path / "t.gguf", "gguf"))
    assert pane.notice.property("error") and "no config.json" in pane.notice.text()
    assert not (tmp_path / "t.gguf").exists()


def test_a_live_runs_model_is_listed_by_the_checkpoint_being_written(qtbot, setup):
    pane, alice, _ = setup
    pane.vault.reserve_version(  # as a live run's worker holds it (training/vault_checkpoints.py)
        alice, None, name="live (run 3)", architecture="GPT 2L/16d", parameter_count=7312,
        metadata={"model": {"family": "gpt", "model_type": "gpt", "context_length": 16}},
        lineage=[LineageEdge("run", "3", "lr-sweep-a"), LineageEdge("dataset", "1", "stories")])
    pane.refresh()
    assert pane.select_model("live (run 3)")
    row = next(r for r in range(pane.models.rowCount()) if pane.models.row_at(r).name == "live (run 3)")
    cells = [pane.models.index(row, c).data() for c in range(pane.models.columnCount())]
    assert cells[1:7] == ["being written", "GPT 2L/16d", "gpt", "16", "7.3K", "—"]
    assert pane.details.fields["version"].text() == "1 (being written by its run)"
    assert pane.details.fields["family"].text() == "gpt (Studio GPT)"
    labels = {n.stage: n.label for n in pane.details.lineage.graph.nodes}
    assert labels["run"] == "lr-sweep-a" and labels["dataset"] == "stories"


def test_a_runs_model_is_being_written_only_while_its_worker_lives(qtbot, setup):
    """A run whose worker ended any way (stop, kill, kill -9, a crash) no longer shows "being written": the
    listing finds the dead worker and its checkpoint becomes an ordinary version."""
    import json

    from studio.core.db.tables.runs import RunCheckpointRow, RunRow
    from studio.core.stores.runs import utcnow
    from studio.core.training import launch
    from studio.core.vault import worker

    pane, alice, _ = setup
    studio = pane.ctx.studio
    with studio.runs.acting_session(alice) as s:  # a running run, as its worker's row says
        run = RunRow(name="doomed", owner_id=alice.user_id, status="running", created_at=utcnow(), step=6,
                     model_config_json="{}", train_config_json="{}", options_json=json.dumps({"checkpoints": {}}))
        s.add(run)
        s.flush()
        run_id = run.id
    lock = launch.hold_lock(studio.paths.run_dir(run_id))  # the worker lives
    pending = pane.vault.reserve_version(alice, None, name="doomed (run 1)", metadata={"run": run_id})
    worker.save_tensors(pending.tickets[0], {"w": torch.ones(4, 4)}, {"studio.step": "4"})
    studio.runs.store.update(run_id, checkpoint_model_id=pending.model_id)
    with studio.db.session() as s:  # the worker wrote its checkpoint of step 4
        s.add(RunCheckpointRow(run_id=run_id, attempt=1, slot="last-0", state="written", step=4,
                               ref=json.dumps({"model_id": pending.model_id, "version_id": pending.version_id,
                                               "version": pending.number})))

    def version_cell():
        pane.refresh()
        row = next(r for r in range(pane.models.rowCount()) if pane.models.row_at(r).name == "doomed (run 1)")
        return pane.models.index(row, 1).data()

    assert version_cell() == "being written"
    launch.release_lock(lock)  # the worker is killed (-9): nobody tells the Vault
    assert version_cell() == "1"
    assert pane.select_model("doomed (run 1)")
    assert pane.details.fields["version"].text() == "1"
    assert studio.runs.store.get(run_id).status == "interrupted"


def test_the_studios_labels_are_shown_in_the_interface_language_and_a_users_as_typed(make_window, data_dir, qtbot):
    """The compressor writes a version's recipe in a short notation, stored so in every language: the Vault
    translates its words where it shows them (architecture, what the version is); an architecture someone typed
    stays as typed."""
    from studio.core.services.compression.sources import architecture_label

    window = make_window(data_dir, theme_mode="light", language="zh_CN")
    window.show()
    qtbot.waitExposed(window)
    pane = _sign_in(window, window.ctx.session)
    config = {"n_layer": 2, "n_head": 2, "n_embd": 16, "block_size": 16, "vocab_size": 65}
    compressed = {"label": "structured 25% + int8", "recipe": {"sparsity": 0.25, "structured": True, "quant": "int8"}}
    pane.vault.add_version(window.ctx.session, None, {"w": torch.ones(4, 4)}, name="small", kind="compressed",
                           config=config, architecture=architecture_label(config, compressed),
                           metadata={"compression": compressed})
    pane.vault.add_version(window.ctx.session, None, {"w": torch.ones(4, 4)}, name="typed",
                           architecture="GPT (8 layers)")
    pane.refresh()

    def row(name):
        r = next(r for r in range(pane.models.rowCount()) if pane.models.row_at(r).name == name)
        return [pane.models.index(r, c).data() for c in range(3)]

    assert row("small") == ["small", "1", "GPT 2L/16d 结构化 25% + int8"]
    assert row("typed") == ["typed", "1", "GPT (8 layers)"]
    assert pane.select_model("small")
    assert pane.details.fields["architecture"].text() == "GPT 2L/16d 结构化 25% + int8"
    versions = pane.details.versions
    assert versions.index(0, 2).data() == "结构化 25% + int8"  # the "What" column
