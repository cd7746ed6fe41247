"""Exports of the charts: the picture as PNG or SVG, the points as CSV (every point, not what is drawn)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyqtgraph as pg

from studio.core.fsutil import atomic_writer
from studio.gui.panes.training.plots.charts import METRICS
from studio.gui.panes.training.plots.series import RunData

CSV_HEADER = ("run_id", "run", "metric", "step", "value")
_ROWS_PER_CHUNK = 50_000


def export_png(widget, path: str | Path) -> None:
    if not widget.grab().save(str(path), "PNG"):
        raise OSError(f"could not write {path}")


def export_svg(views: pg.GraphicsView | list[pg.GraphicsView], path: str | Path) -> None:
    """The charts as vector graphics: each view's scene rendered through Qt's SVG painter, one under the
    other (the loss chart, then the others). (pyqtgraph's SVGExporter fails on closed paths with this Qt,
    pyqtgraph issue #3495.)"""
    from PySide6.QtCore import QRect, QRectF, QSize
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgGenerator

    views = views if isinstance(views, list) else [views]
    rects = [view.viewport().rect() for view in views]
    width, height = max(r.width() for r in rects), sum(r.height() for r in rects)
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(QSize(width, height))
    generator.setViewBox(QRect(0, 0, width, height))
    generator.setTitle("Model Studio training charts")
    painter = QPainter()
    if not painter.begin(generator):
        raise OSError(f"could not write {path}")
    try:
        top = 0
        for view, rect in zip(views, rects, strict=True):
            view.render(painter, QRectF(0, top, rect.width(), rect.height()), rect)
            top += rect.height()
    finally:
        painter.end()


def export_csv(runs: list[RunData], path: str | Path, *, state) -> int:
    """Write every point of every run (long format, one row per metric value); returns the rows written.
    Runs on a worker thread (Task): a million-step run is millions of rows."""
    snapshot = []
    for run in runs:
        with run.lock:
            for metric in METRICS:
                steps, values = run.arrays(metric)
                if len(steps):
                    snapshot.append((run, metric, steps, values))
    total = sum(len(s) for _, _, s, _ in snapshot) or 1
    written = 0
    with atomic_writer(Path(path)) as raw:
        handle = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        for run, metric, steps, values in snapshot:
            for start in range(0, len(steps), _ROWS_PER_CHUNK):
                state.check()
                part_steps = steps[start : start + _ROWS_PER_CHUNK]
                part_values = values[start : start + _ROWS_PER_CHUNK]
                text = map(repr, part_values.tolist())  # repr() of a float round-trips exactly
                writer.writerows(zip([run.run_id] * len(part_steps), [run.name] * len(part_steps),
                                     [metric] * len(part_steps), part_steps.tolist(), text, strict=True))
                written += len(part_steps)
                state.report(written / total)
        handle.flush()
        handle.detach()  # atomic_writer closes the file itself
    return written
