"""The live charts of one run or of several compared: loss (train and validation) as the main chart, and under
it, on a splitter the user drags (remembered), the learning rate, gradient norm and tokens/s charts the user
chose (Charts menu, remembered); linked x axes, log scale, smoothing, a legend, hover values, reset and
export. With nothing to draw (no run selected, no point yet) a line says so instead of empty 0-1 axes.

How it stays smooth (house style 7): each curve is created once per run shown; the metrics feed's thread
appends new points to numpy buffers and their peak levels; a 80 ms timer hands every changed curve the few
thousand points that draw its visible range (`setData`), with pyqtgraph's peak downsampling and clipToView
on, pen width 1.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QEvent, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSlider,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.gui.panes.training.plots.axes import ReadableAxis
from studio.gui.panes.training.plots.charts import (
    ALL_CURVES,
    CHARTS,
    SMOOTHED_METRICS,
    X_AXIS_LABELS,
    colour_for,
    tr,
)
from studio.gui.panes.training.plots.feed import MetricsFeed, Reader
from studio.gui.panes.training.plots.hover import Crosshair
from studio.gui.panes.training.plots.series import RunData

REDRAW_MS = 80
DEFAULT_SMOOTHING = 0.6  # TensorBoard's default
_RAW_ALPHA = 70


MAIN_CHART = "loss"
SETTINGS_SPLIT, SETTINGS_SHOWN = "training/charts_split", "training/charts_shown"
MARKERS_UP_TO = 300  # validation points drawn as markers too while this few are in view
SMALL_CHART_MIN_PX = 72  # a small chart's least height: its title, and two tick labels that do not overprint


class ChartBoard(QWidget):
    sig_export_requested = Signal(str)  # "png" | "svg" | "csv": the pane asks for a file name
    sig_read_failed = Signal(int, str)

    def __init__(self, reader: Reader, parent: QWidget | None = None, settings: QSettings | None = None):
        super().__init__(parent)
        self.settings = settings
        self.axis = "step"
        self.smoothing = DEFAULT_SMOOTHING
        self._runs: dict[int, RunData] = {}
        self._order: list[int] = []
        self._curves: dict[tuple[int, str, bool], pg.PlotDataItem] = {}
        self._drawn: dict[int, int] = {}  # run id -> RunData.version last drawn
        self._range_dirty = False
        self._marked: set[pg.PlotDataItem] = set()  # curves drawn with markers while few points are in view
        self._build_toolbar()
        self._build_charts()
        self.feed = MetricsFeed(reader, self)
        self.feed.sig_run_changed.connect(self._run_changed)
        self.feed.sig_read_failed.connect(self.sig_read_failed)
        self.feed.set_smoothing(self.smoothing)
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self.redraw)
        self.timer.start()
        self._hover_proxies = [pg.SignalProxy(view.scene().sigMouseMoved, rateLimit=30, slot=self._mouse_moved)
                               for view in (self.main_view, self.other_view)]

    # -- building -----------------------------------------------------------------------------------------
    def _build_toolbar(self) -> None:
        self.x_axis = QComboBox()
        for key, label in X_AXIS_LABELS.items():
            self.x_axis.addItem(tr(label), key)
        self.x_axis.currentIndexChanged.connect(lambda _: self.set_axis(self.x_axis.currentData()))
        self.log_scale = QCheckBox(self.tr("Log scale"))
        self.log_scale.toggled.connect(self.set_log)
        self.smooth_slider = QSlider(Qt.Orientation.Horizontal)
        self.smooth_slider.setRange(0, 99)
        self.smooth_slider.setValue(int(round(DEFAULT_SMOOTHING * 100)))
        self.smooth_slider.setFixedWidth(140)
        self.smooth_slider.setToolTip(self.tr("Exponential moving average; the raw points stay faint behind."))
        self.smooth_value = QLabel()
        self.smooth_slider.valueChanged.connect(lambda v: self.set_smoothing(v / 100))
        self.reset_button = QToolButton()
        self.reset_button.setText(self.tr("Reset view"))
        self.reset_button.clicked.connect(self.reset_view)
        self.export_button = QToolButton()
        self.export_button.setText(self.tr("Export"))
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        for kind, label in (("png", self.tr("Chart as PNG…")), ("svg", self.tr("Chart as SVG…")),
                            ("csv", self.tr("Data as CSV…"))):
            menu.addAction(label).triggered.connect(lambda _=False, k=kind: self.sig_export_requested.emit(k))
        self.export_button.setMenu(menu)
        self.charts_button = QToolButton()
        self.charts_button.setObjectName("chartsChoice")
        self.charts_button.setText(self.tr("Charts"))
        self.charts_button.setToolTip(self.tr("Which charts to show under the loss"))
        self.charts_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.charts_menu = QMenu(self.charts_button)
        self.chart_actions: dict[str, Any] = {}
        for chart in CHARTS:
            if chart.id == MAIN_CHART:
                continue
            action = self.charts_menu.addAction(tr(chart.title))
            action.setCheckable(True)
            action.setChecked(True)
            action.toggled.connect(lambda _on, c=chart.id: self._charts_chosen())
            self.chart_actions[chart.id] = action
        self.charts_button.setMenu(self.charts_menu)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(QLabel(self.tr("X axis")))
        bar.addWidget(self.x_axis)
        bar.addSpacing(12)
        bar.addWidget(self.log_scale)
        bar.addSpacing(12)
        bar.addWidget(QLabel(self.tr("Smoothing")))
        bar.addWidget(self.smooth_slider)
        bar.addWidget(self.smooth_value)
        bar.addStretch(1)
        bar.addWidget(self.charts_button)
        bar.addWidget(self.reset_button)
        bar.addWidget(self.export_button)
        self._bar = bar
        self._show_smoothing()

    def _build_charts(self) -> None:
        # The loss chart on its own view above a splitter, the chosen others below it (x axes linked across).
        self.main_view = pg.GraphicsLayoutWidget()
        self.main_view.setObjectName("trainingCharts")
        self.other_view = pg.GraphicsLayoutWidget()
        self.other_view.setObjectName("trainingOtherCharts")
        self.other_view.ci.setSpacing(4)
        self.plots: dict[str, pg.PlotItem] = {}
        master = None
        for chart in CHARTS:
            view = self.main_view if chart.id == MAIN_CHART else self.other_view
            plot = pg.PlotItem(axisItems={"left": ReadableAxis("left")})
            plot.setDownsampling(auto=True, mode="peak")
            plot.setClipToView(True)
            # No grid: pyqtgraph draws grid lines with the axes, and they cost 10x the curves (60 ms a frame
            # for the four charts here against 6 ms without).
            # Titles above the charts: a vertical axis label does not fit a short chart.
            plot.setTitle(tr(chart.title), size="9pt", justify="left")
            plot.getAxis("left").enableAutoSIPrefix(False)
            plot.hideButtons()
            plot.setMenuEnabled(False)
            plot.vb.setAutoVisible(y=True)
            plot.getAxis("left").setWidth(64)
            if master is None:
                master = plot
                plot.vb.sigXRangeChanged.connect(self._range_changed)
            else:
                plot.setXLink(master)
            if chart.id == MAIN_CHART:
                view.addItem(plot, row=0, col=0)
            self.plots[chart.id] = plot
        self.legend = self.plots[MAIN_CHART].addLegend(offset=(-10, 8), labelTextSize="8pt", verSpacing=-4)
        self.legend.hide()
        self.crosshair = Crosshair(self.plots)
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.setObjectName("chartsSplit")
        self.split.addWidget(self.main_view)
        self.split.addWidget(self.other_view)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 2)
        self.split.setSizes([560, 440])
        self.split.splitterMoved.connect(lambda *_: self._save_split())
        self.placeholder = QLabel()
        self.placeholder.setObjectName("chartsPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setEnabled(False)  # drawn in the palette's quieter disabled text colour
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.split)
        self._restore_choices()
        self.readout = QLabel()
        self.readout.setObjectName("chartReadout")
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        self.readout.setWordWrap(True)
        self.readout.setMinimumHeight(self.fontMetrics().height() * 2 + 6)
        self._idle_readout()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._bar)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.readout)
        self._apply_palette()
        self._show_placeholder_or_charts()

    @property
    def graphics(self) -> QWidget:
        """What an export pictures: the charts shown (the loss and the chosen others)."""
        return self.split

    @property
    def views(self) -> list[pg.GraphicsLayoutWidget]:
        return [self.main_view] + ([self.other_view] if self.other_view.isVisible() else [])

    # -- which charts, and how big ----------------------------------------------------------------------
    def shown_charts(self) -> list[str]:
        return [MAIN_CHART] + [c for c, a in self.chart_actions.items() if a.isChecked()]

    def show_charts(self, chart_ids: list[str]) -> None:
        for chart_id, action in self.chart_actions.items():
            action.blockSignals(True)
            action.setChecked(chart_id in chart_ids)
            action.blockSignals(False)
        self._charts_chosen()

    def _charts_chosen(self) -> None:
        """Lay the chosen charts out under the loss (and the x axis label under the lowest)."""
        shown = [c.id for c in CHARTS if c.id != MAIN_CHART and self.chart_actions[c.id].isChecked()]
        for chart_id in self.chart_actions:
            plot = self.plots[chart_id]
            if plot.scene() is not None:
                self.other_view.ci.removeItem(plot)
        for row, chart_id in enumerate(shown):
            self.other_view.ci.addItem(self.plots[chart_id], row=row, col=0)
        self.other_view.setVisible(bool(shown))
        # Each small chart keeps room for its title and two labelled ticks: the splitter gives way above them.
        self.other_view.setMinimumHeight(len(shown) * SMALL_CHART_MIN_PX + (18 if shown else 0))
        self._set_axis_label()
        self._range_dirty = True
        if self.settings is not None:
            self.settings.setValue(SETTINGS_SHOWN, ",".join(shown) or "-")

    def _save_split(self) -> None:
        if self.settings is not None and self.other_view.isVisible():
            self.settings.setValue(SETTINGS_SPLIT, ",".join(str(n) for n in self.split.sizes()))

    def _restore_choices(self) -> None:
        shown = None
        sizes = None
        if self.settings is not None:
            raw = self.settings.value(SETTINGS_SHOWN)
            if isinstance(raw, str) and raw:
                shown = [c for c in raw.split(",") if c in self.chart_actions]
            raw = self.settings.value(SETTINGS_SPLIT)
            if isinstance(raw, str) and raw:
                try:
                    sizes = [max(0, int(n)) for n in raw.split(",")][:2]
                except ValueError:
                    sizes = None
        if shown is not None:
            for chart_id, action in self.chart_actions.items():
                action.blockSignals(True)
                action.setChecked(chart_id in shown)
                action.blockSignals(False)
        self._charts_chosen()
        if sizes and len(sizes) == 2 and sum(sizes) > 0:
            self.split.setSizes(sizes)

    def _show_placeholder_or_charts(self) -> None:
        """Charts once there is a point to draw; before that a line that says why there is none."""
        if not self._order:
            text = self.tr("Select a run to see its curves (Ctrl+click several to compare them).")
        elif not any(len(s) for run in self.runs for s in run.series.values()):
            if all(run.read_once for run in self.runs):
                text = self.tr("No points yet: the curves appear with the run's first step.")
            else:  # a long run's first read can take a moment: not "no points"
                text = self.tr("Reading the points…")
        else:
            text = ""
        if text:
            self.placeholder.setText(text)
        self.stack.setCurrentWidget(self.placeholder if text else self.split)

    # -- runs ---------------------------------------------------------------------------------------------
    @property
    def comparing(self) -> bool:
        return len(self._order) > 1

    @property
    def runs(self) -> list[RunData]:
        return [self._runs[i] for i in self._order]

    def set_live(self, run_id: int, live: bool) -> None:
        """Whether the run's worker still writes (finished runs are read until nothing new comes)."""
        self.feed.set_live(run_id, live)

    def set_runs(self, runs: list[tuple[int, str]]) -> None:
        """Show these runs (id, name): one run, or several overlaid. Runs already shown keep their points."""
        wanted = [run_id for run_id, _ in runs]
        if wanted == self._order:  # the same runs (their details changed): keep the view, the hover, the zoom
            for run_id, name in runs:
                if self._runs[run_id].name != name:
                    self._runs[run_id].name = name
                    self._style_curves()
            return
        for run_id in list(self._order):
            if run_id not in wanted:
                self._drop(run_id)
        for run_id, name in runs:
            if run_id in self._runs:
                self._runs[run_id].name = name
                continue
            run = RunData(run_id, name, SMOOTHED_METRICS, self.smoothing)
            self._runs[run_id] = run
            for curve in ALL_CURVES:
                plot = self._plot_of(curve.metric)
                for smoothed in (False, True) if curve.smoothed else (False,):
                    item = plot.plot(pen=pg.mkPen(width=1), name=None)
                    item.setDownsampling(auto=True, method="peak")
                    item.setClipToView(True)
                    self._curves[(run_id, curve.metric, smoothed)] = item
                    if curve.markers and not smoothed:
                        self._marked.add(item)
            self.feed.watch(run)
        self._order = wanted
        self._drawn = {k: v for k, v in self._drawn.items() if k in self._runs}
        self._style_curves()
        self.crosshair.hide()
        self._idle_readout()
        self.reset_view()
        self._show_placeholder_or_charts()

    def reload(self, run_id: int) -> None:
        """Forget a run's points and read them all again (it was resumed from an earlier checkpoint)."""
        if run_id not in self._runs:
            return
        runs = [(i, self._runs[i].name) for i in self._order]
        self._drop(run_id)
        self._order = [i for i in self._order if i != run_id]
        self.set_runs(runs)

    def refresh(self) -> None:
        """Read now instead of at the next poll (a run was just started or resumed)."""
        self.feed.poll_now()

    def _drop(self, run_id: int) -> None:
        self.feed.unwatch(run_id)
        for key in [k for k in self._curves if k[0] == run_id]:
            item = self._curves.pop(key)
            self._marked.discard(item)
            self._plot_of(key[1]).removeItem(item)
        self._runs.pop(run_id, None)
        self._drawn.pop(run_id, None)

    def _plot_of(self, metric: str) -> pg.PlotItem:
        for chart in CHARTS:
            if any(c.metric == metric for c in chart.curves):
                return self.plots[chart.id]
        raise KeyError(metric)

    def shows(self, run_id: int) -> bool:
        return run_id in self._runs

    def curve(self, run_id: int, metric: str, smoothed: bool = False) -> pg.PlotDataItem:
        return self._curves[(run_id, metric, smoothed)]

    def run_data(self, run_id: int) -> RunData:
        return self._runs[run_id]

    # -- drawing ------------------------------------------------------------------------------------------
    def _colour(self, metric: str, index: int) -> QColor:
        return colour_for(metric, index, self.comparing)

    def _style_curves(self) -> None:
        self.legend.clear()
        for index, run_id in enumerate(self._order):
            for curve in ALL_CURVES:
                colour = self._colour(curve.metric, index)
                style = Qt.PenStyle.DashLine if (curve.dashed and self.comparing) else Qt.PenStyle.SolidLine
                raw = self._curves[(run_id, curve.metric, False)]
                if curve.markers:  # sparse points (validation): a marker on each while few are in view
                    raw.setSymbolBrush(pg.mkBrush(colour))
                    raw.setSymbolPen(None)
                    raw.setSymbolSize(5)
                if curve.smoothed and self.smoothing > 0:
                    faint = QColor(colour)
                    faint.setAlpha(_RAW_ALPHA)
                    raw.setPen(pg.mkPen(faint, width=1, style=style))
                    main = self._curves[(run_id, curve.metric, True)]
                    main.setPen(pg.mkPen(colour, width=1, style=style))
                    main.show()
                else:
                    raw.setPen(pg.mkPen(colour, width=1, style=style))
                    main = raw
                    if curve.smoothed:
                        self._curves[(run_id, curve.metric, True)].hide()
                if curve.metric == "train_loss" and self.comparing:
                    self.legend.addItem(main, self._runs[run_id].name)
                elif not self.comparing and curve.metric in ("train_loss", "val_loss"):
                    self.legend.addItem(main, tr(curve.label))
        if self.comparing:  # a colour per run; the styles say which loss
            grey = QColor(128, 128, 128)
            self.legend.addItem(pg.PlotDataItem(pen=pg.mkPen(grey, width=1)), QCoreApplication.translate("Charts", "train loss"))
            self.legend.addItem(pg.PlotDataItem(pen=pg.mkPen(grey, width=1, style=Qt.PenStyle.DashLine), symbol="o",
                                                symbolSize=5, symbolBrush=pg.mkBrush(grey), symbolPen=None),
                                QCoreApplication.translate("Charts", "validation loss"))
        self.legend.setColumnCount(2 if len(self._order) + 2 > 3 else 1)  # keep it short over a short chart
        self.legend.setVisible(bool(self._order))
        self._range_dirty = True

    def _run_changed(self, run_id: int) -> None:
        # Later points wait for the redraw timer (it compares versions); a run just opened is drawn at once,
        # not up to REDRAW_MS later.
        if run_id in self._runs and self._drawn.get(run_id, 0) == 0:
            self._show_placeholder_or_charts()
            self.redraw()

    def _range_changed(self, *_args) -> None:
        self._range_dirty = True

    def _x_range(self) -> tuple[float, float] | None:
        vb = self.plots["loss"].vb
        if vb.autoRangeEnabled()[0]:
            return None
        low, high = vb.viewRange()[0]
        return (low, high)

    def redraw(self) -> int:
        """Hand each curve whose run changed (or whose view moved) the points of its visible range; returns
        the number of curves updated. Called by the timer; tests call it directly."""
        force, self._range_dirty = self._range_dirty, False
        x_range = self._x_range()
        columns = max(200, int(self.plots["loss"].vb.width()) or 800)
        updated = 0
        for run_id in self._order:
            run = self._runs[run_id]
            if not force and self._drawn.get(run_id) == run.version:
                continue
            with run.lock:
                self._drawn[run_id] = run.version
                drawn = []
                for curve in ALL_CURVES:
                    for smoothed in (False, True) if curve.smoothed else (False,):
                        item = self._curves[(run_id, curve.metric, smoothed)]
                        if smoothed and not item.isVisible():
                            continue
                        data = run.visible(curve.metric, smoothed, x_range, self.axis, columns)
                        drawn.append((item, data))
            for item, data in drawn:
                if data is None:
                    item.setData([], [])
                else:
                    item.setData(data[0], data[1])
                    if item in self._marked:
                        symbol = "o" if len(data[0]) <= MARKERS_UP_TO else None
                        if item.opts["symbol"] != symbol:  # setSymbol redraws the curve: only on a change
                            item.setSymbol(symbol)
                updated += 1
        if updated and self.stack.currentWidget() is self.placeholder:
            self._show_placeholder_or_charts()
        return updated

    # -- controls -----------------------------------------------------------------------------------------
    def set_axis(self, axis: str) -> None:
        if axis not in X_AXIS_LABELS or axis == self.axis:
            return
        self.axis = axis
        index = self.x_axis.findData(axis)
        if self.x_axis.currentIndex() != index:
            self.x_axis.setCurrentIndex(index)
        self._set_axis_label()
        self.crosshair.hide()
        self.reset_view()

    def _set_axis_label(self) -> None:
        # The charts share their x axis: one label, under the lowest chart shown.
        # The small charts under the loss show their step numbers once, under the lowest (they are linked);
        # the loss chart, apart on its splitter, keeps its own.
        shown = self.shown_charts()
        lowest = shown[-1]
        for chart_id, plot in self.plots.items():
            plot.setLabel("bottom", tr(X_AXIS_LABELS[self.axis]) if chart_id == lowest else None)
            plot.getAxis("bottom").showLabel(chart_id == lowest)
            plot.showAxis("bottom", chart_id in (MAIN_CHART, lowest))

    def set_log(self, on: bool) -> None:
        if self.log_scale.isChecked() != on:
            self.log_scale.setChecked(on)
        for plot in self.plots.values():
            plot.setLogMode(x=False, y=on)
        self.reset_view()

    def set_smoothing(self, weight: float) -> None:
        weight = max(0.0, min(0.99, float(weight)))
        if self.smooth_slider.value() != int(round(weight * 100)):
            self.smooth_slider.setValue(int(round(weight * 100)))
        was_on = self.smoothing > 0
        self.smoothing = weight
        self._show_smoothing()
        self.feed.set_smoothing(weight)
        if was_on != (weight > 0):
            self._style_curves()

    def _show_smoothing(self) -> None:
        self.smooth_value.setText(f"{self.smoothing:.2f}")

    def reset_view(self) -> None:
        for plot in self.plots.values():
            plot.vb.enableAutoRange(x=True, y=True)
        self._range_dirty = True

    # -- hover --------------------------------------------------------------------------------------------
    def _mouse_moved(self, event) -> None:
        pos = event[0]
        for plot in self.plots.values():
            if plot.scene() is not None and plot.isVisible() and plot.vb.sceneBoundingRect().contains(pos):
                self.show_values_at(plot.vb.mapSceneToView(pos).x())
                return
        self.crosshair.hide()
        self._idle_readout()

    def show_values_at(self, x: float) -> str:
        """Crosshair and readout at x (in the current x axis); returns the readout text."""
        text = self.crosshair.show_at(x, self.runs, self.axis, self._colour)
        self.readout.setText(text or self._idle_text())
        return text

    def _idle_text(self) -> str:
        if not self._order:
            return self.tr("Select a run to see its curves.")
        return self.tr("Hover over a chart to read exact values. Drag to pan, scroll to zoom.")

    def _idle_readout(self) -> None:
        self.readout.setText(self._idle_text())

    # -- look ---------------------------------------------------------------------------------------------
    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
        super().changeEvent(event)

    def _apply_palette(self) -> None:
        palette = self.palette()
        for view in (self.main_view, self.other_view):
            view.setBackground(palette.base().color())
        text = palette.text().color()
        for chart in CHARTS:
            plot = self.plots[chart.id]
            plot.setTitle(tr(chart.title), size="9pt", justify="left", color=text)
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(pg.mkPen(text, width=1))
                axis.setTextPen(pg.mkPen(text))
        self.legend.setLabelTextColor(text)
        backdrop = QColor(palette.base().color())
        backdrop.setAlpha(220)  # the legend stays readable over the curves
        self.legend.setBrush(pg.mkBrush(backdrop))
        self.legend.setPen(pg.mkPen(palette.mid().color(), width=1))

    def close_feed(self) -> None:
        self.timer.stop()
        self.feed.close()
