"""Token lengths of the documents: a histogram (pyqtgraph) with the context length marked (drag the line
or type it) and the share of documents, and of tokens, that a model with that context would cut off."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from studio.gui import theme

BINS = 80


class LengthHistogram(QWidget):
    sig_context_changed = Signal(int)

    def __init__(self, context: int = 512, parent: QWidget | None = None):
        super().__init__(parent)
        import pyqtgraph as pg  # only when the tab is first opened: keeps start-up fast

        self._pg = pg
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Context length (tokens)")))
        self.context_spin = QSpinBox()
        self.context_spin.setRange(1, 10_000_000)
        self.context_spin.setValue(context)
        self.context_spin.valueChanged.connect(self._context_changed)
        self.context_spin.editingFinished.connect(lambda: self.set_lengths(self.lengths))  # re-fit the x range
        row.addWidget(self.context_spin)
        row.addStretch(1)
        layout.addLayout(row)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setLabel("bottom", self.tr("tokens per document (with the end-of-document token)"))
        self.plot.setLabel("left", self.tr("documents"))
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.curve = self.plot.plot([0, 1], [0], stepMode="center", fillLevel=0, pen=pg.mkPen(width=1))
        self.line = pg.InfiniteLine(pos=context, angle=90, movable=True)
        self.line.sigPositionChanged.connect(lambda line: self.context_spin.setValue(max(1, int(round(line.value())))))
        self.plot.addItem(self.line)
        layout.addWidget(self.plot, 1)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.lengths = np.zeros(0, dtype=np.int64)
        self._cumsum = np.zeros(1, dtype=np.int64)
        self.apply_theme()

    def apply_theme(self) -> None:
        pg = self._pg
        palette = self.palette()
        self.plot.setBackground(palette.base().color())
        text = palette.text().color()
        for axis in ("bottom", "left"):
            self.plot.getAxis(axis).setPen(pg.mkPen(text))
            self.plot.getAxis(axis).setTextPen(pg.mkPen(text))
        accent = "#6ea5f0" if theme.is_dark() else "#2d6ed2"
        self.curve.setPen(pg.mkPen(accent, width=1))
        self.curve.setBrush(pg.mkBrush(accent + "80"))
        self.line.setPen(pg.mkPen("#e0663a", width=2))

    def set_lengths(self, lengths: np.ndarray) -> None:
        self.lengths = np.sort(np.asarray(lengths, dtype=np.int64))
        self._cumsum = np.concatenate([[0], np.cumsum(self.lengths)])
        if len(self.lengths):
            top = max(float(np.percentile(self.lengths, 99.5)), self.context_spin.value() * 1.1, 2.0)
            width = max(1, int(np.ceil(top / BINS)))  # whole tokens per bin: no empty comb teeth
            edges = np.arange(0, top + width, width, dtype=np.float64)
            counts, _ = np.histogram(np.minimum(self.lengths, edges[-1] - 1), bins=edges)
            top = float(edges[-1])
            self.curve.setData(edges, counts.astype(float))
            self.plot.setXRange(0, top * 1.02, padding=0)
            self.plot.setYRange(0, max(1, counts.max()) * 1.05, padding=0)
        else:
            self.curve.setData([0, 1], [0.0])
        self._update_summary()

    def truncation(self, context: int) -> tuple[int, float, float]:
        """(documents longer than `context`, their share, the share of all tokens beyond `context`)."""
        n = len(self.lengths)
        if n == 0:
            return 0, 0.0, 0.0
        first_longer = int(np.searchsorted(self.lengths, context, side="right"))
        longer = n - first_longer
        beyond = int(self._cumsum[-1] - self._cumsum[first_longer]) - context * longer
        return longer, longer / n, beyond / max(1, int(self._cumsum[-1]))

    def _context_changed(self, value: int) -> None:
        if int(round(self.line.value())) != value:
            self.line.setValue(value)
        self._update_summary()
        self.sig_context_changed.emit(value)

    def _update_summary(self) -> None:
        context = self.context_spin.value()
        longer, share, beyond = self.truncation(context)
        n = len(self.lengths)
        if n == 0:
            self.summary.setText("")
            return
        # The trainer samples windows of the context length anywhere in the text (nanoGPT's get_batch): a longer
        # document is not cut off, but no window holds all of it.
        self.summary.setText(self.tr(
            "{longer:,} of {total:,} documents ({share:.1%}) are longer than {context:,} tokens: training reads them "
            "in windows of the context length, never one whole; {beyond:.1%} of all tokens lie further into their "
            "document than the context reaches. Median {median:,} tokens, longest {max:,}."
        ).format(longer=longer, total=n, share=share, context=context, beyond=beyond,
                 median=int(self.lengths[n // 2]), max=int(self.lengths[-1])))
