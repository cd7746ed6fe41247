"""What the training charts show: which metrics on which chart, their colours, and how values are written."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtGui import QColor


@dataclass(frozen=True)
class CurveSpec:
    metric: str
    label: str  # English, translated in context "Charts"
    smoothed: bool  # noisy: drawn smoothed with the raw points faint behind
    dashed: bool = False  # sparse companion curves (validation) are dashed in a comparison
    markers: bool = False  # sparse points: a marker on each (while few are in view) as well as the line


@dataclass(frozen=True)
class ChartSpec:
    id: str
    title: str
    curves: tuple[CurveSpec, ...]


CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec("loss", QT_TRANSLATE_NOOP("Charts", "Loss"), (
        CurveSpec("train_loss", QT_TRANSLATE_NOOP("Charts", "train loss"), True),
        CurveSpec("val_loss", QT_TRANSLATE_NOOP("Charts", "validation loss"), False, dashed=True, markers=True),
    )),
    ChartSpec("lr", QT_TRANSLATE_NOOP("Charts", "Learning rate"), (
        CurveSpec("lr", QT_TRANSLATE_NOOP("Charts", "learning rate"), False),
    )),
    ChartSpec("grad", QT_TRANSLATE_NOOP("Charts", "Gradient norm"), (
        CurveSpec("grad_norm", QT_TRANSLATE_NOOP("Charts", "gradient norm"), True),
    )),
    ChartSpec("speed", QT_TRANSLATE_NOOP("Charts", "Tokens/s"), (
        CurveSpec("tokens_per_s", QT_TRANSLATE_NOOP("Charts", "tokens/s"), True),
    )),
)

ALL_CURVES: tuple[CurveSpec, ...] = tuple(c for chart in CHARTS for c in chart.curves)
SMOOTHED_METRICS = frozenset(c.metric for c in ALL_CURVES if c.smoothed)
# Metrics read for the charts and the x axes (the feed asks the store for these).
METRICS = tuple(c.metric for c in ALL_CURVES) + ("tokens_seen", "elapsed_s")

X_AXIS_LABELS = {
    "step": QT_TRANSLATE_NOOP("Charts", "Step"),
    "tokens": QT_TRANSLATE_NOOP("Charts", "Tokens seen"),
    "time": QT_TRANSLATE_NOOP("Charts", "Wall time (s)"),
}

# One run: a colour per metric. A comparison: a colour per run (Tableau 10, readable on light and dark).
METRIC_COLOURS = {
    "train_loss": "#4e79a7", "val_loss": "#f28e2b", "lr": "#59a14f", "grad_norm": "#b07aa1",
    "tokens_per_s": "#76b7b2",
}
RUN_COLOURS = ("#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7",
               "#9c755f", "#bab0ac")


def colour_for(metric: str, run_index: int, comparing: bool) -> QColor:
    if comparing:
        return QColor(RUN_COLOURS[run_index % len(RUN_COLOURS)])
    return QColor(METRIC_COLOURS.get(metric, RUN_COLOURS[0]))


def tr(text: str) -> str:
    return QCoreApplication.translate("Charts", text)


def fmt_value(value: float) -> str:
    """A value written exactly enough to read off a chart (six significant digits)."""
    if value != value:  # NaN
        return "NaN"
    return f"{value:.6g}"


def fmt_count(value: float) -> str:
    value = float(value)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.0f}"
