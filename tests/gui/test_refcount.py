"""PySide6 6.12.0 on Python 3.11 dropped a reference to None on every void Qt call, aborting the process
("Fatal Python error: none_dealloc") after a few thousand calls. This guards the pin below 6.12."""

import sys

import numpy as np
from PySide6.QtWidgets import QWidget


def test_ten_thousand_widget_updates_leave_none_refcount_unchanged(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.update()
    before = sys.getrefcount(None)
    for _ in range(10_000):
        widget.update()
    assert abs(sys.getrefcount(None) - before) < 50


def test_plot_set_data_leaves_none_refcount_unchanged(qtbot):
    import pyqtgraph as pg

    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    curve = plot.plot()
    x = np.arange(100.0)
    curve.setData(x, x)
    before = sys.getrefcount(None)
    for _ in range(2_000):
        curve.setData(x, x)
    # The 6.12.0 bug took 10 references per call; pyqtgraph itself keeps about one more per call on
    # 6.11.3 (a harmless leak of references to the immortal-in-practice None), so only a drop fails.
    assert sys.getrefcount(None) - before > -50
