"""The Training pane end to end over the fake run service: start from the form, watch it live, control it,
reopen the window, compare, generate, delete."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox


def start_from_form(pane, qtbot, name="first", steps=300, **fields):
    pane.open_new_run()
    qtbot.waitUntil(lambda: getattr(pane, "new_run_dialog", None) is not None, timeout=3000)
    dialog = pane.new_run_dialog
    dialog.name.setText(name)
    dialog.set_value("max_steps", steps)
    dialog.set_value("eval_every", 50)
    dialog.set_value("checkpoint_every", 50)
    for key, value in fields.items():
        dialog.set_value(key, value)
    assert dialog.start_button.isEnabled(), dialog.issues
    dialog.start_button.click()
    qtbot.waitUntil(lambda: pane.new_run_dialog is None, timeout=3000)
    qtbot.waitUntil(lambda: [r.name for r in pane._selected] == [name], timeout=3000)
    return pane._selected[0]


def current(pane, run_id):
    return next(r for r in pane._runs if r.id == run_id)


def drawn_steps(pane, run_id):
    x, _ = pane.board.curve(run_id, "train_loss").getData()
    return 0 if x is None or len(x) == 0 else int(x[-1])


def test_start_watch_pause_resume_stop(training, fake, qtbot):
    window, pane = training()
    run = start_from_form(pane, qtbot, steps=100_000, lr=3e-3)
    spec = fake.calls[0][1]
    assert spec.train["lr"] == 3e-3 and spec.train["max_steps"] == 100_000 and spec.model["n_layer"] == 4

    qtbot.waitUntil(lambda: drawn_steps(pane, run.id) > 20, timeout=5000)  # points arrive on the chart
    first = drawn_steps(pane, run.id)
    qtbot.waitUntil(lambda: drawn_steps(pane, run.id) > first + 10, timeout=5000)

    qtbot.waitUntil(lambda: pane.actions.actions["pause"].isEnabled(), timeout=3000)
    from studio.gui.panes.training.runs_model import COLUMN

    eta = pane.runs_table.model.index(0, COLUMN["eta"])
    assert eta.data()  # running: a time left
    pane.actions.actions["pause"].trigger()
    qtbot.waitUntil(lambda: current(pane, run.id).status == "paused", timeout=5000)
    assert pane.actions.actions["resume"].isEnabled() and not pane.actions.actions["pause"].isEnabled()
    paused_at = fake._runs[run.id].step
    # "Pausing…" gives way to what happened, and a paused run has no time left to show
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Paused first at step"), timeout=3000)
    assert pane.runs_table.model.index(0, COLUMN["eta"]).data() == ""
    qtbot.waitUntil(lambda: drawn_steps(pane, run.id) == paused_at, timeout=3000)  # the last points arrive
    held = drawn_steps(pane, run.id)
    qtbot.wait(400)
    assert drawn_steps(pane, run.id) == held  # paused: no new points

    pane.actions.actions["resume"].trigger()
    qtbot.waitUntil(lambda: drawn_steps(pane, run.id) > held + 5, timeout=5000)
    assert current(pane, run.id).status == "running"

    # Zoomed in while it trains: the refreshes (every 0.1 s here) keep the view and the hover.
    pane.board.plots["loss"].vb.setXRange(5, 15, padding=0)
    pane.board.show_values_at(10)
    qtbot.wait(600)
    assert pane.board.plots["loss"].vb.viewRange()[0] == [5, 15]
    assert "step 10" in pane.board.readout.text()

    pane.actions.actions["stop"].trigger()
    qtbot.waitUntil(lambda: current(pane, run.id).status == "stopped", timeout=5000)
    assert pane.actions.actions["resume_from"].isEnabled() and pane.actions.actions["delete"].isEnabled()
    assert [c[0] for c in fake.calls] == ["start", "pause", "resume", "stop"]
    assert "stopped" in pane.runs_table.model.index(0, 1).data()


def test_the_form_says_what_is_wrong_next_to_the_field(training, fake, qtbot):
    window, pane = training()
    pane.open_new_run()
    qtbot.waitUntil(lambda: getattr(pane, "new_run_dialog", None) is not None, timeout=3000)
    dialog = pane.new_run_dialog
    rows = {k: r for r in dialog.rows for k in r.messages}

    def message(key):
        label = rows[key].messages[key]
        return label.text() if label.isVisible() or not label.isHidden() else ""

    dialog.set_value("lr", 0.0)
    assert "learns nothing" in message("lr") and not dialog.start_button.isEnabled()
    dialog.set_value("lr", "abc")
    assert "Not a number" in message("lr")
    dialog.set_value("lr", 1e-3)
    assert message("lr") == "" and dialog.start_button.isEnabled()

    dialog.set_value("seq_len", 512)  # the tiny preset's context is 128
    assert "does not fit the model's context of 128" in message("seq_len")
    assert dialog.advanced_button.isChecked()  # the advanced section opened to show it
    dialog.set_value("seq_len", 0)

    dialog.dataset.setCurrentIndex(1)  # a dataset without a validation split
    assert "no validation split" in message("dataset") and dialog.start_button.isEnabled()  # a warning
    dialog.set_value("patience", 3)
    assert "no validation split" in message("patience") and not dialog.start_button.isEnabled()
    dialog.set_value("patience", 0)

    dialog.set_value("n_head", 3)  # 128 is not divisible by 3
    assert "divisible" in message("n_head")
    assert dialog.preset.currentData() == "custom"
    dialog.preset.setCurrentIndex(dialog.preset.findData("small"))
    assert dialog.value_of("n_head") == 6 and message("n_head") == ""
    assert "Parameters:" in dialog.estimate_label.text()
    qtbot.waitUntil(lambda: "Memory" in dialog.estimate_label.text(), timeout=3000)
    dialog.reject()


def test_reopening_the_window_finds_the_run_with_its_full_curve(training, fake, qtbot):
    window, pane = training()
    run = start_from_form(pane, qtbot, steps=120)
    qtbot.waitUntil(lambda: current(pane, run.id).status == "completed", timeout=10_000)
    window.close()
    qtbot.waitUntil(lambda: not pane.timer.isActive(), timeout=3000)  # the pane shut down with the window

    window2, pane2 = training()
    qtbot.waitUntil(lambda: any(r.id == run.id for r in pane2._runs), timeout=3000)
    pane2.select_run(run.id)
    qtbot.waitUntil(lambda: len(pane2.board.run_data(run.id).series.get("train_loss", ())) == 120, timeout=3000)
    qtbot.waitUntil(lambda: drawn_steps(pane2, run.id) == 120, timeout=3000)
    steps, values = pane2.board.run_data(run.id).arrays("train_loss")
    assert list(steps) == list(range(1, 121))
    assert len(pane2.board.run_data(run.id).series["val_loss"]) == 3  # steps 50, 100, 120


def test_closing_with_live_runs_asks_and_can_stop_them(training, fake, qtbot):
    window, pane = training()
    run = start_from_form(pane, qtbot, steps=100_000)
    qtbot.waitUntil(lambda: current(pane, run.id).status == "running", timeout=3000)
    fake.close_answers.extend(["cancel", "stop"])
    window.close()
    qtbot.waitUntil(lambda: fake.close_answers == ["stop"], timeout=3000)  # asked once the runs were read again
    qtbot.wait(100)
    assert window.isVisible() and pane.timer.isActive()  # cancelled
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=3000)  # once the stop was sent (off the GUI thread)
    assert ("stop", run.id) in fake.calls
    qtbot.waitUntil(lambda: fake._runs[run.id].status == "stopped", timeout=5000)


def test_closing_asks_only_about_runs_that_still_train_and_never_waits_on_the_gui_thread(training, fake, qtbot,
                                                                                      monkeypatch):
    import threading

    from studio.gui.panes.training import pane as pane_module

    window, pane = training()
    ended = start_from_form(pane, qtbot, name="ended", steps=100_000)
    going = start_from_form(pane, qtbot, name="going", steps=100_000)
    qtbot.waitUntil(lambda: {current(pane, r.id).status for r in (ended, going)} == {"running"}, timeout=3000)
    pane.timer.stop()  # the pane's last poll says both train ...
    fake._update(ended.id, control="stop")  # as another window or the CLI would
    qtbot.waitUntil(lambda: fake._runs[ended.id].status == "stopped", timeout=5000)  # ... one ended since
    assert current(pane, ended.id).status == "running"
    asked: list[list[str]] = []
    monkeypatch.setattr(pane_module, "ask_about_live_runs", lambda parent, names: asked.append(names) or "cancel")
    gate, real_runs = threading.Event(), fake.runs
    monkeypatch.setattr(fake, "runs", lambda actor: (gate.wait(10), real_runs(actor))[1])  # a slow database
    window.close()
    qtbot.wait(200)
    assert window.isVisible() and asked == []  # the GUI thread went on while the runs were read
    gate.set()
    qtbot.waitUntil(lambda: asked == [["going"]], timeout=3000)  # not about the run that ended
    assert window.isVisible() and current(pane, ended.id).status == "stopped"  # the table was updated too

    fake._update(going.id, control="stop")
    qtbot.waitUntil(lambda: fake._runs[going.id].status == "stopped", timeout=5000)
    window.close()  # nothing trains now: no question
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=3000)
    assert asked == [["going"]]


def test_compare_two_runs(training, fake, qtbot):
    window, pane = training()
    a = start_from_form(pane, qtbot, name="alpha", steps=80)
    b = start_from_form(pane, qtbot, name="beta", steps=60, lr=3e-3)
    qtbot.waitUntil(lambda: all(current(pane, i).status == "completed" for i in (a.id, b.id)), timeout=10_000)
    pane.runs_table.select([a.id, b.id])
    qtbot.waitUntil(lambda: len(pane._selected) == 2, timeout=3000)
    assert pane.board.comparing
    names = [label.text for _, label in pane.board.legend.items]
    assert "alpha" in names and "beta" in names
    qtbot.waitUntil(lambda: drawn_steps(pane, a.id) == 80 and drawn_steps(pane, b.id) == 60, timeout=5000)
    assert "train.lr" in pane.compare.differing and "train.max_steps" in pane.compare.differing
    assert "model.n_layer" not in pane.compare.differing
    pane.compare.only_diff.setChecked(True)
    assert pane.compare.table.rowCount() == len(pane.compare.differing)


def test_generate_from_a_checkpoint_and_keep_the_sample(training, fake, qtbot):
    window, pane = training()
    run = start_from_form(pane, qtbot, steps=100)
    qtbot.waitUntil(lambda: current(pane, run.id).status == "completed", timeout=10_000)
    pane.tabs.setCurrentWidget(pane.generate)
    qtbot.waitUntil(lambda: pane.generate.source.count() >= 1 and "step 100" in pane.generate.source.itemText(0),
                    timeout=3000)  # the newest checkpoint first
    pane.generate.prompt.setPlainText(">> ")
    pane.generate.max_tokens.setValue(30)
    pane.generate.generate_button.click()
    assert pane.generate.stop_button.isEnabled()
    qtbot.waitUntil(lambda: not pane.generate.busy, timeout=5000)
    assert pane.generate.output.toPlainText() == ">> Once upon a time there was a t"  # 30 tokens
    assert pane.generate.prompt_length() == len(">> ")  # the prompt is marked apart from the model's text
    assert pane.generate.speed.text().startswith("30 tokens · ") and "tokens/s" in pane.generate.speed.text()
    assert pane.generate.samples.topLevelItemCount() == 1
    item = pane.generate.samples.topLevelItem(0)
    label = "first · " + pane.generate.source.itemText(0)  # "first · step 100 (best, val loss …)": names, not ids
    assert item.text(1) == label and float(item.text(2).replace(",", "")) > 0
    key = (run.id, window.ctx.session.user_id)
    qtbot.waitUntil(lambda: len(fake._samples.get(key, [])) == 1, timeout=3000)
    kept = fake._samples[key][0]
    assert kept.step == 100 and kept.tokens == 30 and kept.label == label
    pane.generate.output.clear()
    item = pane.generate.samples.topLevelItem(0)
    pane.generate.samples.itemClicked.emit(item, 0)  # a kept sample shows again, its prompt marked
    assert pane.generate.output.toPlainText() == ">> Once upon a time there was a t"
    assert pane.generate.prompt_length() == 3

    pane.generate.max_tokens.setValue(1000)  # and the stop button
    pane.generate.generate_button.click()
    qtbot.wait(60)
    pane.generate.stop_button.click()
    qtbot.waitUntil(lambda: not pane.generate.busy, timeout=5000)
    assert "Stopped" in pane.generate.status.text()
    assert len(pane.generate.output.toPlainText()) < len(">> Once upon a time there was a tiny model that learned")


def test_details_tail_the_log_and_list_checkpoints(training, fake, qtbot):
    window, pane = training()
    start_from_form(pane, qtbot, steps=150)
    pane.tabs.setCurrentWidget(pane.details)
    pane.details.setCurrentWidget(pane.details.log)
    qtbot.waitUntil(lambda: "completed" in pane.details.log.toPlainText(), timeout=10_000)
    assert "step 100: loss" in pane.details.log.toPlainText()
    pane.details.setCurrentWidget(pane.details.checkpoints)
    qtbot.waitUntil(lambda: pane.details.checkpoints.tree.topLevelItemCount() == 2, timeout=3000)
    assert pane.details.settings.value("Training", "lr") == "0.001"
    from studio.gui.panes.training.details.key_values import fmt

    assert (fmt(("demo", "lr")), fmt([]), fmt([2, 4]), fmt({"a": 1})) == ("demo, lr", "—", "2, 4", '{"a": 1}')
    assert pane.details.system.value("System", "device") == "cpu"
    pane.details.setCurrentWidget(pane.details.audit)
    qtbot.waitUntil(lambda: pane.details.audit.topLevelItemCount() == 1, timeout=3000)


def test_delete_asks_with_what_is_deleted(training, fake, qtbot):
    window, pane = training()
    run = start_from_form(pane, qtbot, steps=60)
    qtbot.waitUntil(lambda: current(pane, run.id).status == "completed", timeout=10_000)
    qtbot.waitUntil(lambda: pane.actions.actions["delete"].isEnabled(), timeout=3000)
    seen = []

    def answer():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, answer)
            return
        seen.append(box.text())
        next(b for b in box.buttons() if b.text() == "Delete").click()

    QTimer.singleShot(50, answer)
    pane.actions.actions["delete"].trigger()
    qtbot.waitUntil(lambda: not pane._runs, timeout=5000)
    # 6 metrics x 60 steps, and validation at steps 50 and 60; the best and the latest checkpoint
    assert "362 metric points" in seen[0] and "2 checkpoints" in seen[0]
    assert ("delete", run.id) in fake.calls


def test_a_run_that_dies_at_start_says_why_above_its_charts_and_can_start_again(training, fake, qtbot):
    window, pane = training()
    fake.crash_at_start.add("broken")
    run = start_from_form(pane, qtbot, name="broken", steps=80)
    qtbot.waitUntil(lambda: current(pane, run.id).status == "failed", timeout=5000)
    notice = pane.run_notice
    qtbot.waitUntil(lambda: notice.isVisible() and notice.tail.isVisible(), timeout=3000)
    assert "broken failed: The worker process ended before its first step: ModuleNotFoundError" in notice.title.text()
    assert "Resume the run" not in notice.title.text()
    assert notice.tail.toPlainText().splitlines()[-1] == "ModuleNotFoundError: No module named 'studio.core.nothing'"
    notice.log_button.click()
    assert pane.tabs.currentWidget() is pane.details and pane.details.currentWidget() is pane.details.log

    # "Resume from checkpoint…" on a run without any: it offers to train it again from the start.
    fake.crash_at_start.clear()
    asked = []

    def answer():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, answer)
            return
        asked.append(box.text())
        box.button(QMessageBox.StandardButton.Yes).click()

    QTimer.singleShot(50, answer)
    pane.actions.actions["resume_from"].trigger()
    qtbot.waitUntil(lambda: current(pane, run.id).status == "completed", timeout=10_000)
    assert "no checkpoint to continue from" in asked[0]
    assert ("resume_from", run.id, None) in fake.calls
    qtbot.waitUntil(lambda: not notice.isVisible(), timeout=3000)  # nothing wrong any more


def test_fine_tuning_a_model_of_another_vocabulary_says_so_once_and_offers_the_resize(training, fake, qtbot):
    window, pane = training()
    pane.open_new_run()
    qtbot.waitUntil(lambda: getattr(pane, "new_run_dialog", None) is not None, timeout=3000)
    dialog = pane.new_run_dialog
    assert not dialog.editor("resize_vocab").isEnabled()  # only for fine-tuning
    dialog.start_from.setCurrentIndex(dialog.start_from.findText("Fine-tune wide v2"))
    assert not dialog.editor("n_layer").isEnabled() and dialog.value_of("n_embd") == 64  # the model's shape
    message = dialog.basic.messages["dataset"]
    qtbot.waitUntil(lambda: "resize the vocabulary" in message.text(), timeout=3000)
    assert not dialog.start_button.isEnabled()
    assert "vocabulary" not in dialog.estimate_label.text()  # said once, next to the dataset
    dialog.set_value("resize_vocab", True)
    assert dialog.start_button.isEnabled() and message.isHidden()
    qtbot.waitUntil(lambda: "Memory" in dialog.estimate_label.text(), timeout=3000)
    assert dialog.spec().options["resize_vocab"] is True and dialog.spec().source == (7, 2)
    dialog.start_from.setCurrentIndex(0)  # back to random weights: the shape is free again
    assert dialog.editor("n_layer").isEnabled() and not dialog.editor("resize_vocab").isEnabled()
    assert "resize_vocab" not in dialog.spec().options
    dialog.reject()


def test_clone_keeps_the_checkpoint_policy_and_fine_tune_names_the_checkpoint(training, fake, qtbot):
    window, pane = training()
    run = start_from_form(pane, qtbot, name="base", steps=100, checkpoint_every=25, keep_last=4)
    qtbot.waitUntil(lambda: current(pane, run.id).status == "completed", timeout=10_000)
    pane.actions.actions["clone"].trigger()
    qtbot.waitUntil(lambda: getattr(pane, "new_run_dialog", None) is not None, timeout=3000)
    dialog = pane.new_run_dialog
    assert dialog.value_of("checkpoint_every") == 25 and dialog.value_of("keep_last") == 4
    assert dialog.start_from.currentIndex() == 0 and dialog.windowTitle() == "New run with the settings of base"
    dialog.reject()
    qtbot.waitUntil(lambda: pane.new_run_dialog is None, timeout=3000)
    checkpoint = max(fake._checkpoints[run.id], key=lambda c: c.step)
    pane.actions.checkpoint_action(current(pane, run.id), "fine_tune", checkpoint)
    qtbot.waitUntil(lambda: getattr(pane, "new_run_dialog", None) is not None, timeout=3000)
    dialog = pane.new_run_dialog
    assert dialog.windowTitle() == "Fine-tune from a checkpoint of base"
    assert "checkpoint of step 100" in dialog.start_from.currentText()
    assert dialog.spec().from_checkpoint == (run.id, checkpoint.id)
    dialog.reject()
