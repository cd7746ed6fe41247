"""The Training pane over the real run service (`studio.runs`): runs started from the form train in real worker
processes (`studio worker`, checkpoints encrypted in the vault) on the shipped sample dataset; the pane reads
them off the GUI thread. A tiny model (2 layers, width 32, context 32) keeps each run to seconds."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from tests.gui.closing import close_windows

TINY = {"n_layer": 2, "n_head": 2, "n_embd": 32, "block_size": 32, "batch_size": 8, "warmup_steps": 5,
        "eval_batches": 2, "device": "cpu", "precision": "fp32", "threads": 1}

# Service calls the pane must never make on the GUI thread (they read or write the database or a model).
WATCHED = ("list", "get", "metrics", "events", "checkpoints", "read_log", "plan", "start", "pause", "resume",
           "stop", "kill", "update", "delete", "sample", "load_model", "live_runs")


@pytest.fixture
def real(make_window, data_dir, qtbot, monkeypatch):
    """open_window() -> (window, pane): signed in as the administrator over the real run service, the sample
    dataset imported, the pane polling fast. Every RunService call made on the GUI thread is noted in
    `real.gui_thread_calls` (the test asserts there are none); live runs are killed at the end."""
    from studio.core.datasets.sample import sample_options
    from studio.core.services.runs.service import RunService
    from studio.gui.panes.training import pane as pane_module

    gui_thread = threading.main_thread()
    noted: list[str] = []
    observing = {"on": True}

    def watch(name):
        method = getattr(RunService, name)

        def wrapper(self, *args, **kwargs):
            if observing["on"] and threading.current_thread() is gui_thread:
                noted.append(name)
            return method(self, *args, **kwargs)

        monkeypatch.setattr(RunService, name, wrapper)

    for name in WATCHED:
        watch(name)
    monkeypatch.setattr(pane_module, "ask_about_live_runs", lambda parent, names: "leave")
    windows = []

    def open_window():
        window = make_window(data_dir, theme_mode="light", language="en")
        window.resize(1200, 800)
        studio = window.ctx.studio
        if not windows:
            observing["on"] = False
            studio.datasets.import_dataset(window.ctx.session, sample_options("stories"))
            observing["on"] = True
        windows.append(window)
        window.show()
        qtbot.waitExposed(window)
        pane = window.show_pane("training")
        pane.timer.setInterval(100)
        return window, pane

    open_window.gui_thread_calls = noted
    open_window.observing = observing  # the test turns it off around its own reads
    yield open_window
    observing["on"] = False
    for window in windows:
        studio, session = window.ctx.studio, window.ctx.session
        if session is None:
            continue
        for run in studio.runs.live_runs(session):
            studio.runs.kill(session, run.id)
        break
    close_windows(qtbot, windows)
    assert noted == [], f"the GUI thread called the run service: {noted}"



def start_from_form(pane, qtbot, name, steps, **fields):
    pane.open_new_run()
    qtbot.waitUntil(lambda: getattr(pane, "new_run_dialog", None) is not None, timeout=5000)
    dialog = pane.new_run_dialog
    assert dialog.chosen_dataset is not None and dialog.chosen_dataset.name == "stories"
    dialog.name.setText(name)
    for key, value in {**TINY, "max_steps": steps, **fields}.items():
        dialog.set_value(key, value)
    assert dialog.start_button.isEnabled(), dialog.issues
    dialog.start_button.click()
    qtbot.waitUntil(lambda: pane.new_run_dialog is None, timeout=10_000)
    qtbot.waitUntil(lambda: [r.name for r in pane._selected] == [name], timeout=5000)
    return pane._selected[0]


def current(pane, run_id):
    return next(r for r in pane._runs if r.id == run_id)


def drawn_steps(pane, run_id) -> int:
    x, _ = pane.board.curve(run_id, "train_loss").getData()
    return 0 if x is None or len(x) == 0 else int(x[-1])


@pytest.mark.slow  # about 7 s alone, more while other work runs
def test_a_real_run_from_the_form_live_paused_resumed_stopped_then_reopened(real, qtbot, data_dir):
    from studio.core.services import Studio

    window, pane = real()
    run = start_from_form(pane, qtbot, "first", 5000, lr=3e-3, eval_every=50, checkpoint_every=100)
    assert run.model_config["n_layer"] == 2 and run.train_config["lr"] == 3e-3 and run.max_steps == 5000

    # Points arrive on the chart while the worker process trains.
    qtbot.waitUntil(lambda: drawn_steps(pane, run.id) >= 20, timeout=60_000)
    first = drawn_steps(pane, run.id)
    qtbot.waitUntil(lambda: drawn_steps(pane, run.id) >= first + 20, timeout=20_000)
    assert current(pane, run.id).status == "running"
    assert current(pane, run.id).system.get("pids")  # a worker process, not this one

    pane.actions.actions["pause"].trigger()
    qtbot.waitUntil(lambda: current(pane, run.id).status == "paused", timeout=20_000)
    assert pane.actions.actions["resume"].isEnabled() and not pane.actions.actions["pause"].isEnabled()
    paused_at = current(pane, run.id).step
    qtbot.waitUntil(lambda: drawn_steps(pane, run.id) == paused_at, timeout=5000)  # the last points arrive
    qtbot.wait(700)
    assert drawn_steps(pane, run.id) == paused_at == current(pane, run.id).step  # paused: nothing new

    pane.actions.actions["resume"].trigger()
    qtbot.waitUntil(lambda: drawn_steps(pane, run.id) >= paused_at + 20, timeout=20_000)
    assert current(pane, run.id).status == "running"

    pane.actions.actions["stop"].trigger()
    qtbot.waitUntil(lambda: current(pane, run.id).status == "stopped", timeout=30_000)
    final = current(pane, run.id).step
    assert paused_at + 20 <= final < 5000
    qtbot.waitUntil(lambda: drawn_steps(pane, run.id) == final, timeout=5000)
    window.close()
    qtbot.waitUntil(lambda: not pane.timer.isActive(), timeout=5000)

    # Reopened: the run is listed and its whole curve is drawn again, as the store holds it.
    window2, pane2 = real()
    qtbot.waitUntil(lambda: any(r.id == run.id for r in pane2._runs), timeout=5000)
    pane2.select_run(run.id)
    qtbot.waitUntil(lambda: len(pane2.board.run_data(run.id).series.get("train_loss", ())) == final, timeout=5000)
    qtbot.waitUntil(lambda: drawn_steps(pane2, run.id) == final, timeout=5000)
    steps, values = pane2.board.run_data(run.id).arrays("train_loss")
    real.observing["on"] = False
    other = Studio.open(data_dir)  # a second reader of the same data folder, as the CLI would be
    try:
        stored = other.runs.metrics(other.accounts.login("root", _password()), run.id, ["train_loss", "val_loss"])
    finally:
        other.close()
        real.observing["on"] = True
    np.testing.assert_array_equal(steps, stored["train_loss"].steps)
    np.testing.assert_array_equal(values, stored["train_loss"].values)
    assert list(steps) == list(range(1, final + 1))
    assert len(pane2.board.run_data(run.id).series["val_loss"]) == len(stored["val_loss"]) >= final // 50
    assert "stopped" in pane2.runs_table.model.index(0, 1).data()


@pytest.mark.slow
def test_compare_two_real_runs_and_generate_from_a_checkpoint(real, qtbot, data_dir):
    window, pane = real()
    a = start_from_form(pane, qtbot, "alpha", 40, lr=3e-3, eval_every=20, checkpoint_every=20)
    b = start_from_form(pane, qtbot, "beta", 30, lr=1e-3, eval_every=15, checkpoint_every=15)
    qtbot.waitUntil(lambda: all(current(pane, i).status == "completed" for i in (a.id, b.id)), timeout=90_000)

    pane.runs_table.select([a.id, b.id])
    qtbot.waitUntil(lambda: len(pane._selected) == 2, timeout=5000)
    assert pane.board.comparing
    names = [label.text for _, label in pane.board.legend.items]
    assert "alpha" in names and "beta" in names
    qtbot.waitUntil(lambda: drawn_steps(pane, a.id) == 40 and drawn_steps(pane, b.id) == 30, timeout=10_000)
    pane.tabs.setCurrentWidget(pane.compare)
    assert {"train.lr", "train.max_steps", "train.eval_every"} <= set(pane.compare.differing)
    assert "model.n_layer" not in pane.compare.differing
    pane.compare.only_diff.setChecked(True)
    assert pane.compare.table.rowCount() == len(pane.compare.differing)

    # Details of alpha: the worker's log, its checkpoints in the vault, the settings and the system it ran on.
    pane.select_run(a.id)
    qtbot.waitUntil(lambda: [r.id for r in pane._selected] == [a.id], timeout=5000)
    pane.tabs.setCurrentWidget(pane.details)
    pane.details.setCurrentWidget(pane.details.log)
    qtbot.waitUntil(lambda: "completed" in pane.details.log.toPlainText(), timeout=10_000)
    assert "step 40/40" in pane.details.log.toPlainText()
    pane.details.setCurrentWidget(pane.details.checkpoints)
    qtbot.waitUntil(lambda: pane.details.checkpoints.tree.topLevelItemCount() >= 2, timeout=5000)
    steps = {pane.details.checkpoints.tree.topLevelItem(i).text(1)
             for i in range(pane.details.checkpoints.tree.topLevelItemCount())}
    assert {"20", "40"} <= steps
    assert pane.details.settings.value("Training", "lr") == "0.003"
    assert pane.details.system.value("System", "device") == "cpu"

    # Generate from alpha's newest checkpoint: the text streams in piece by piece.
    pane.tabs.setCurrentWidget(pane.generate)
    qtbot.waitUntil(lambda: pane.generate.source.count() >= 1 and "step 40" in pane.generate.source.itemText(0),
                    timeout=10_000)
    seen: list[str] = []
    pane.generate.output.textChanged.connect(lambda: seen.append(pane.generate.output.toPlainText()))
    pane.generate.prompt.setPlainText("Once upon a time")
    pane.generate.max_tokens.setValue(40)
    pane.generate.generate_button.click()
    qtbot.waitUntil(lambda: not pane.generate.busy, timeout=30_000)
    text = pane.generate.output.toPlainText()
    assert text.startswith("Once upon a time"), pane.generate.status.text()
    generated = text[len("Once upon a time"):]
    assert 0 < len(generated) <= 40
    assert len({t for t in seen if t.startswith("Once upon a time")}) >= 3  # more than prompt and final text
    from studio.core.datasets.sample import sample_path

    assert set(generated) <= set(sample_path().read_text(encoding="utf-8")) | {"\ufffd"}
    assert pane.generate.samples.topLevelItemCount() == 1
    assert pane.generate.prompt_length() == len("Once upon a time") and "tokens/s" in pane.generate.speed.text()
    samples = window.ctx.studio.paths.run_dir(a.id) / "samples" / f"{window.ctx.session.user_id}.jsonl"
    qtbot.waitUntil(samples.exists, timeout=5000)
    assert '"step": 40' in samples.read_text(encoding="utf-8")


# A setting away from its default in every section of the form (start_from_form adds TINY's).
CUSTOM = {"lr": 2e-3, "min_lr": 1e-4, "optimizer": "adam", "schedule": "linear", "warmup_steps": 2,
          "weight_decay": 0.05, "beta1": 0.85, "beta2": 0.98, "grad_clip": 0.5, "eval_every": 3, "eval_batches": 1,
          "seed": 7, "dropout": 0.1, "activation": "gelu", "bias": False, "tie_embeddings": False, "seq_len": 16,
          "layer_norm_eps": 1e-6, "n_inner": 48, "checkpoint_every": 3, "keep_last": 3, "keep_best": False,
          "tags": "ablation, lr", "group": "clones"}


def _stored(real, data_dir, run_id):
    """The run as the service stores it, read by a second reader of the data folder (not the pane)."""
    from studio.core.services import Studio

    real.observing["on"] = False
    other = Studio.open(data_dir)
    try:
        return other.runs.get(other.accounts.login("root", _password()), run_id)
    finally:
        other.close()
        real.observing["on"] = True


@pytest.mark.slow
def test_a_clone_reproduces_every_setting_and_fine_tune_starts_from_the_checkpoint(real, qtbot, data_dir):
    window, pane = real()
    first = start_from_form(pane, qtbot, "original", 6, **CUSTOM)
    qtbot.waitUntil(lambda: current(pane, first.id).status == "completed", timeout=90_000)

    pane.actions.actions["clone"].trigger()
    qtbot.waitUntil(lambda: getattr(pane, "new_run_dialog", None) is not None, timeout=5000)
    dialog = pane.new_run_dialog
    assert dialog.value_of("checkpoint_every") == 3 and dialog.name.text() == "original-copy"
    dialog.start_button.click()
    qtbot.waitUntil(lambda: pane.new_run_dialog is None, timeout=10_000)
    qtbot.waitUntil(lambda: [r.name for r in pane._selected] == ["original-copy"], timeout=5000)
    clone = pane._selected[0]
    a, b = _stored(real, data_dir, first.id), _stored(real, data_dir, clone.id)
    settings_a, settings_b = dict(a.options["settings"]), dict(b.options["settings"])
    assert settings_a.pop("name") == "original" and settings_b.pop("name") == "original-copy"
    for key in settings_a:  # field by field, so that a difference names its setting
        assert settings_b[key] == settings_a[key], key
    assert settings_b == settings_a and b.model_config == a.model_config and b.train_config == a.train_config
    assert (b.tags, b.group) == (a.tags, a.group) == (("ablation", "lr"), "clones")

    # Fine-tune from the original's last checkpoint (Details → Checkpoints → Fine-tune from it…).
    qtbot.waitUntil(lambda: current(pane, clone.id).status == "completed", timeout=90_000)
    pane.select_run(first.id)
    pane.tabs.setCurrentWidget(pane.details)
    pane.details.setCurrentWidget(pane.details.checkpoints)
    tree = pane.details.checkpoints.tree
    qtbot.waitUntil(lambda: tree.topLevelItemCount() >= 1, timeout=10_000)
    pane.details.checkpoints.select_step(6)
    pane.details.checkpoints.buttons["fine_tune"].click()
    qtbot.waitUntil(lambda: getattr(pane, "new_run_dialog", None) is not None, timeout=5000)
    dialog = pane.new_run_dialog
    assert dialog.windowTitle() == "Fine-tune from a checkpoint of original"
    assert "checkpoint of step 6" in dialog.start_from.currentText()
    assert not dialog.editor("n_layer").isEnabled() and dialog.editor("dropout").isEnabled()
    assert dialog.value_of("n_inner") == 48 and dialog.value_of("checkpoint_every") == 3
    dialog.start_button.click()
    qtbot.waitUntil(lambda: pane.new_run_dialog is None, timeout=10_000)
    qtbot.waitUntil(lambda: [r.name for r in pane._selected] == ["original-finetune"], timeout=5000)
    tuned = _stored(real, data_dir, pane._selected[0].id)
    assert tuned.source_name.startswith(f"original (run {first.id}):")
    assert tuned.model_config == a.model_config


def _password() -> str:
    from tests.conftest import TEST_PASSWORD

    return TEST_PASSWORD


def test_fake_matches_the_service():
    """The pure UI tests' stand-in has the real records' fields, so they test what the service hands over."""
    from dataclasses import fields

    from studio.core.stores.runs import CheckpointInfo, RunInfo
    from tests.gui.training.fake_backend import FakeCheckpoint, FakeRun

    assert [f.name for f in fields(FakeRun)] == [f.name for f in fields(RunInfo)]
    assert [f.name for f in fields(FakeCheckpoint)] == [f.name for f in fields(CheckpointInfo)]
