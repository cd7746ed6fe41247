"""The report's two charts (pyqtgraph): file size against perplexity, one labelled point per variant, and
speed relative to the original as grouped bars (batch 1, batch 8, generation)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from studio.core.compression.report import PALETTE, ratios
from studio.core.compression.results import EvalResult
from studio.gui import theme
from studio.gui.recipe_words import shown_label


class _Chart(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        import pyqtgraph as pg  # imported when the pane is first shown: keeps start-up fast

        self._pg = pg
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        layout.addWidget(self.plot)
        self.items: list = []

    def apply_theme(self) -> None:
        pg = self._pg
        palette = self.palette()
        self.plot.setBackground(palette.base().color())
        text = palette.text().color()
        for axis in ("bottom", "left"):
            self.plot.getAxis(axis).setPen(pg.mkPen(text))
            self.plot.getAxis(axis).setTextPen(pg.mkPen(text))

    def _clear(self) -> None:
        for item in self.items:
            self.plot.removeItem(item)
        self.items = []

    def _text_color(self) -> str:
        return "#e1e2e5" if theme.is_dark() else "#1e1e21"


class SizePerplexityChart(_Chart):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.plot.setLabel("bottom", self.tr("file size (MB)"))
        self.plot.setLabel("left", self.tr("perplexity"))
        self.apply_theme()

    def set_results(self, results: Sequence[EvalResult]) -> None:
        pg = self._pg
        self._clear()
        points = [(r.file_bytes / 1e6, r.perplexity, shown_label(r.label)) for r in results if r.perplexity is not None]
        if not points:
            return
        spots = [{"pos": (x, y), "brush": pg.mkBrush(PALETTE[i % len(PALETTE)]), "size": 11, "data": label}
                 for i, (x, y, label) in enumerate(points)]
        scatter = pg.ScatterPlotItem(spots=spots, pen=pg.mkPen(None))
        self.plot.addItem(scatter)
        self.items.append(scatter)
        for x, y, label in points:
            text = pg.TextItem(label, color=self._text_color(), anchor=(0, 1))
            text.setPos(x, y)
            self.plot.addItem(text)
            self.items.append(text)
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        pad = (max(ys) - min(ys)) * 0.2 or max(ys) * 0.02 or 1.0
        self.plot.setXRange(0, max(xs) * 1.25, padding=0)
        self.plot.setYRange(min(ys) - pad, max(ys) + pad, padding=0)


class SpeedChart(_Chart):
    SERIES = (("speed_ratio_b1", "batch 1"), ("speed_ratio_b8", "batch 8"), ("latency_speedup", "generation"))

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.plot.setLabel("left", self.tr("speed against the original (x)"))
        self.plot.showGrid(x=False, y=True, alpha=0.2)
        self.legend = self.plot.addLegend(offset=(10, 10))
        self.apply_theme()

    def series_names(self) -> list[str]:
        return [self.tr("batch 1"), self.tr("batch 8"), self.tr("generation")]

    def set_results(self, results: Sequence[EvalResult]) -> None:
        pg = self._pg
        self._clear()
        self.legend.clear()
        if not results:
            return
        base = results[0]
        width = 0.8 / len(self.SERIES)
        names = self.series_names()
        for j, (key, _) in enumerate(self.SERIES):
            heights = [ratios(r, base)[key] or 0.0 for r in results]
            xs = [i - 0.4 + width * (j + 0.5) for i in range(len(results))]
            bars = pg.BarGraphItem(x=xs, height=heights, width=width * 0.9, brush=PALETTE[j], pen=pg.mkPen(None))
            self.plot.addItem(bars)
            self.items.append(bars)
            self.legend.addItem(bars, names[j])
        one = pg.InfiniteLine(pos=1.0, angle=0, pen=pg.mkPen(self._text_color(), width=1, style=Qt.PenStyle.DashLine))
        self.plot.addItem(one)
        self.items.append(one)
        axis = self.plot.getAxis("bottom")
        axis.setTicks([[(i, shown_label(r.label)) for i, r in enumerate(results)]])
        self.plot.setXRange(-0.6, len(results) - 0.4, padding=0)
