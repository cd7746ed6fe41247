"""The live charts: points arrive from a worker thread, hover reads exact values, compare, exports."""

from __future__ import annotations

import csv
import threading
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from tests.gui.training.fake_metrics import FakeMetrics


@pytest.fixture
def board(qtbot, qapp):
    from studio.gui.panes.training.plots.board import ChartBoard

    store = FakeMetrics()
    widget = ChartBoard(store.read)
    widget.store = store
    widget.resize(900, 700)
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    widget.close_feed()


def held(board, run_id, metric, n):
    """The run holds n points of metric, and they are drawn (the feed appends them under the run's lock)."""
    run = board.run_data(run_id)
    with run.lock:
        if len(run.series.get(metric, ())) != n:
            return False
    board.redraw()
    return True


def shown_steps(board, run_id, metric="train_loss"):
    x, _ = board.curve(run_id, metric).getData()
    return x


def test_points_written_while_watching_appear_within_half_a_second(board, qtbot):
    board.store.write_run(1, 50)
    board.set_runs([(1, "live")])
    qtbot.waitUntil(lambda: shown_steps(board, 1) is not None and len(shown_steps(board, 1)) == 50, timeout=3000)
    latencies = []
    for batch in range(5):
        first = 51 + 10 * batch
        written = time.perf_counter()
        board.store.write_run(1, 10, first=first)
        qtbot.waitUntil(lambda f=first: shown_steps(board, 1)[-1] == f + 9, timeout=3000)
        latencies.append(time.perf_counter() - written)
    assert sorted(latencies)[len(latencies) // 2] < 0.5, latencies
    assert board.store.reader_threads == {"metrics-feed"}  # never read on the GUI thread
    assert threading.current_thread().name not in board.store.reader_threads


def test_a_million_point_curve_is_drawn_with_a_few_thousand_points(board, qtbot):
    n = 1_000_000
    steps = np.arange(1, n + 1)
    values = np.random.default_rng(0).random(n)
    values[654_321] = 9.0
    board.store.write(7, steps, train_loss=values)
    board.set_runs([(7, "big")])
    qtbot.waitUntil(lambda: held(board, 7, "train_loss", n), timeout=10_000)
    x, y = board.curve(7, "train_loss").getData()
    assert len(x) < 10_000
    assert y.max() == 9.0 and x[0] == 1  # the spike survives; the whole range is there


def test_hover_reads_the_exact_values_raw_and_smoothed(board, qtbot):
    board.store.write_run(1, 200)
    board.set_runs([(1, "r")])
    qtbot.waitUntil(lambda: held(board, 1, "val_loss", 20), timeout=3000)
    board.set_smoothing(0.5)
    qtbot.waitUntil(lambda: board.run_data(1).series["train_loss"].weight == 0.5, timeout=3000)
    text = board.show_values_at(120.2)
    expected = 3 * np.exp(-120 / 200) + 1 + 0.05 * np.sin(120)
    assert f"{expected:.6g}" in text
    assert "smoothed" in text and "step 120" in text
    assert "30.7k tokens" in text and "1 min 00 s" in text
    board.set_axis("tokens")
    assert "step 120" in board.show_values_at(120 * 256.0)
    assert board.crosshair.lines["lr"].isVisible()


def test_smoothing_log_scale_axis_and_reset(board, qtbot):
    board.store.write_run(1, 300)
    board.set_runs([(1, "r")])
    qtbot.waitUntil(lambda: held(board, 1, "train_loss", 300), timeout=3000)
    board.redraw()
    raw = board.curve(1, "train_loss").getData()[1]
    smooth = board.curve(1, "train_loss", smoothed=True).getData()[1]
    assert board.curve(1, "train_loss", smoothed=True).isVisible()
    assert np.abs(np.diff(smooth)).max() < np.abs(np.diff(raw)).max()
    board.smooth_slider.setValue(0)
    assert not board.curve(1, "train_loss", smoothed=True).isVisible()
    board.log_scale.setChecked(True)
    assert all(p.ctrl.logYCheck.isChecked() for p in board.plots.values())
    board.x_axis.setCurrentIndex(board.x_axis.findData("time"))
    board.redraw()
    x = board.curve(1, "train_loss").getData()[0]
    assert x[-1] == pytest.approx(150.0)
    board.plots["lr"].vb.setXRange(10, 20)
    assert not board.plots["loss"].vb.autoRangeEnabled()[0]  # linked
    board.reset_button.click()
    assert board.plots["loss"].vb.autoRangeEnabled()[0]


def test_compare_overlays_runs_with_a_legend(board, qtbot):
    board.store.write_run(1, 100)
    board.store.write_run(2, 60, offset=0.5)
    board.set_runs([(1, "alpha"), (2, "beta")])
    qtbot.waitUntil(lambda: all(len(board.run_data(i).series.get("train_loss", ())) for i in (1, 2)), timeout=3000)
    board.redraw()
    names = [label.text for _, label in board.legend.items]
    assert "alpha" in names and "beta" in names
    c1 = board.curve(1, "train_loss", smoothed=True).opts["pen"].color().name()
    c2 = board.curve(2, "train_loss", smoothed=True).opts["pen"].color().name()
    assert c1 != c2
    text = board.show_values_at(50)
    assert "alpha" in text and "beta" in text
    board.set_runs([(2, "beta")])
    # one run: the legend names the curves instead of the runs
    assert [label.text for _, label in board.legend.items] == ["train loss", "validation loss"]
    assert (1, "train_loss", False) not in board._curves


def test_exports(board, qtbot, tmp_path):
    from studio.core.tasks import TaskState
    from studio.gui.panes.training.plots.export import export_csv, export_png, export_svg

    board.store.write_run(1, 40)
    board.set_runs([(1, "r,1")])
    qtbot.waitUntil(lambda: held(board, 1, "val_loss", 4), timeout=3000)
    board.redraw()
    export_png(board.graphics, tmp_path / "c.png")
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    export_svg(board.views, tmp_path / "c.svg")
    root = ET.parse(tmp_path / "c.svg").getroot()
    assert root.tag.endswith("svg") and len(list(root.iter())) > 50
    rows = export_csv(board.runs, tmp_path / "c.csv", state=TaskState())
    with open(tmp_path / "c.csv", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0] == ["run_id", "run", "metric", "step", "value"]
    assert len(table) == rows + 1 == 6 * 40 + 4 + 1
    loss = [r for r in table[1:] if r[2] == "train_loss"]
    assert loss[4][:2] == ["1", "r,1"] and float(loss[4][4]) == 3 * np.exp(-5 / 200) + 1 + 0.05 * np.sin(5)


def test_a_finished_run_is_read_until_nothing_new_then_left_alone(board, qtbot):
    board.store.write_run(3, 40)
    board.set_runs([(3, "done")])
    board.set_live(3, False)
    qtbot.waitUntil(lambda: board.run_data(3).settled, timeout=3000)
    assert len(board.run_data(3).series["train_loss"]) == 40
    reads = board.store.reads
    qtbot.wait(700)  # three polls' worth
    assert board.store.reads == reads
    board.store.write_run(3, 10, first=41)  # resumed: live again
    board.set_live(3, True)
    qtbot.waitUntil(lambda: held(board, 3, "train_loss", 50), timeout=3000)


def test_the_loss_chart_dominates_the_others_are_chosen_and_both_are_remembered(qtbot, qapp, tmp_path):
    from PySide6.QtCore import QSettings

    from studio.gui.panes.training.plots.board import ChartBoard

    settings = QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat)
    store = FakeMetrics()
    store.write_run(1, 80)

    def open_board():
        widget = ChartBoard(store.read, settings=settings)
        widget.resize(900, 800)
        qtbot.addWidget(widget)
        widget.show()
        qtbot.waitExposed(widget)
        return widget

    board = open_board()
    assert board.stack.currentWidget() is board.placeholder and "Select a run" in board.placeholder.text()
    board.set_runs([(1, "r")])
    qtbot.waitUntil(lambda: held(board, 1, "train_loss", 80), timeout=3000)
    assert board.stack.currentWidget() is board.split  # points: the charts replace the placeholder
    loss_height = board.plots["loss"].vb.height()
    assert all(loss_height > 2 * board.plots[c].vb.height() for c in ("lr", "grad", "speed"))
    val = board.curve(1, "val_loss")
    assert val.opts["symbol"] == "o" and val.opts["pen"] is not None  # validation: markers and a line

    board.show_charts(["speed"])  # the Charts menu: only tokens/s under the loss
    assert board.shown_charts() == ["loss", "speed"]
    assert board.plots["lr"].scene() is None and board.plots["speed"].scene() is board.other_view.scene()
    assert board.plots["speed"].getAxis("bottom").label.isVisible()  # the x axis label under the lowest
    board.split.setSizes([700, 100])
    board.split.splitterMoved.emit(700, 1)
    board.close_feed()
    board.close()

    again = open_board()  # remembered
    assert again.shown_charts() == ["loss", "speed"]
    top, bottom = again.split.sizes()
    assert top > 4 * bottom
    again.show_charts([])  # only the loss
    assert not again.other_view.isVisible() and again.plots["loss"].getAxis("bottom").label.isVisible()
    again.close_feed()


def test_no_points_yet_shows_a_line_not_empty_axes(board, qtbot):
    board.set_runs([(9, "starting")])
    qtbot.wait(300)  # a few polls: nothing arrives
    assert board.stack.currentWidget() is board.placeholder and "No points yet" in board.placeholder.text()
    board.store.write_run(9, 5)
    qtbot.waitUntil(lambda: board.stack.currentWidget() is board.split, timeout=3000)


def test_a_run_being_read_says_so_not_that_it_has_no_points(board, qtbot, monkeypatch):
    release = threading.Event()
    read = board.feed._reader

    def slow_read(run_id, since):
        release.wait(5)
        return read(run_id, since)

    monkeypatch.setattr(board.feed, "_reader", slow_read)
    board.store.write_run(4, 50)
    board.set_runs([(4, "long")])
    qtbot.wait(200)
    assert board.stack.currentWidget() is board.placeholder and board.placeholder.text() == "Reading the points…"
    release.set()
    qtbot.waitUntil(lambda: board.stack.currentWidget() is board.split, timeout=3000)


def test_log_ticks_fit_the_chart_and_read_plainly(board, qtbot):
    from studio.gui.panes.training.plots.axes import fmt_tick, log_ticks

    # a learning rate from 3e-5 to 3e-3 on a short chart: room for three labels
    ticks = log_ticks(np.log10(3e-5), np.log10(3e-3), 3)
    assert 2 <= len(ticks) <= 3 and [fmt_tick(10 ** t) for t in ticks] == ["0.0001", "0.001"]
    # a loss between 1.9 and 2.6 (inside one decade): evenly spaced plain values
    inside = [fmt_tick(10 ** t) for t in log_ticks(np.log10(1.9), np.log10(2.6), 4)]
    assert 2 <= len(inside) <= 4 and all(0 < float(v) and len(v) <= 4 for v in inside)
    # many decades, little room
    assert len(log_ticks(-12, 12, 4)) <= 4
    board.store.write_run(1, 200)
    board.set_runs([(1, "r")])
    qtbot.waitUntil(lambda: held(board, 1, "train_loss", 200), timeout=3000)
    board.set_log(True)
    board.redraw()
    for chart_id, plot in board.plots.items():
        axis = plot.getAxis("left")
        low, high = plot.vb.viewRange()[1]
        levels = axis.tickValues(low, high, plot.vb.height())
        values = [v for _, vs in levels for v in vs]
        room = plot.vb.height() / (axis.fontMetrics().height() if hasattr(axis, "fontMetrics") else 14)
        assert len(levels) == 1 and 1 <= len(values) <= max(2, room), chart_id  # one labelled level, no crowd
