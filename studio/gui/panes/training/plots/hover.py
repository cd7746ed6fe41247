"""The crosshair: a vertical line through every chart at the mouse's x, a dot on each curve's nearest point,
and the exact values written out (raw and smoothed) for every run shown."""

from __future__ import annotations

import html

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QColor

from studio.gui.panes.training.plots.charts import (
    ALL_CURVES,
    CHARTS,
    fmt_count,
    fmt_value,
    tr,
)
from studio.gui.panes.training.plots.series import RunData
from studio.gui.units import fmt_duration


class Crosshair:
    def __init__(self, plots: dict[str, pg.PlotItem]):
        self.plots = plots
        self.lines: dict[str, pg.InfiniteLine] = {}
        self.markers: dict[str, pg.PlotDataItem] = {}
        for chart_id, plot in plots.items():
            line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(QColor(128, 128, 128, 160), width=1))
            line.setZValue(20)
            line.hide()
            plot.addItem(line, ignoreBounds=True)
            marker = pg.PlotDataItem(pen=None, symbol="o", symbolSize=6)
            marker.setZValue(21)
            plot.addItem(marker, ignoreBounds=True)
            # A few dots with a brush each: never clipped or downsampled (the plot's defaults), which would
            # drop points and leave more brushes than points.
            marker.setClipToView(False)
            marker.setDownsampling(auto=False, ds=1)
            self.lines[chart_id], self.markers[chart_id] = line, marker

    def hide(self) -> None:
        for line in self.lines.values():
            line.hide()
        for marker in self.markers.values():
            marker.setData([], [])

    def show_at(self, x: float, runs: list[RunData], axis: str, colours) -> str:
        """Put the crosshair at x (in the current axis) and return the readout as rich text."""
        for line in self.lines.values():
            line.setPos(x)
            line.show()
        rows: list[str] = []
        points: dict[str, tuple[list, list, list]] = {c.id: ([], [], []) for c in CHARTS}
        chart_of = {curve.metric: chart.id for chart in CHARTS for curve in chart.curves}
        for index, run in enumerate(runs):
            with run.lock:
                step = run.to_step(x, axis)
                parts = []
                head = None
                for curve in ALL_CURVES:
                    point = run.at(curve.metric, step)
                    if point is None:
                        continue
                    if head is None:
                        head = self._position(run, point.step)
                    text = f"{html.escape(tr(curve.label))} <b>{fmt_value(point.value)}</b>"
                    if point.smoothed is not None:
                        text += " " + html.escape(QCoreApplication.translate("Charts", "(smoothed {value})").format(value=fmt_value(point.smoothed)))
                    if point.step != int(round(step)) and curve.metric == "val_loss":
                        text += " " + html.escape(QCoreApplication.translate("Charts", "at step {step}").format(step=f"{point.step:,}"))
                    parts.append(text)
                    xs, ys, brushes = points[chart_of[curve.metric]]
                    xs.append(float(run.to_x([point.step], axis)[0]))
                    ys.append(point.value)
                    brushes.append(pg.mkBrush(colours(curve.metric, index)))
            if parts:
                name = f"<b>{html.escape(run.name)}</b> " if len(runs) > 1 else ""
                rows.append(name + (head or "") + " · " + " · ".join(parts))
        for chart_id, (xs, ys, brushes) in points.items():
            self.markers[chart_id].setData(xs, ys, symbolBrush=brushes or None, symbolPen=None)
        return "<br>".join(rows)

    @staticmethod
    def _position(run: RunData, step: int) -> str:
        bits = [QCoreApplication.translate("Charts", "step {step}").format(step=f"{step:,}")]
        if run.axis_available("tokens"):
            bits.append(QCoreApplication.translate("Charts", "{tokens} tokens").format(tokens=fmt_count(run.to_x([step], "tokens")[0])))
        if run.axis_available("time"):
            bits.append(fmt_duration(run.to_x([step], "time")[0]))
        return html.escape(" · ".join(bits))
