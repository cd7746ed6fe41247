"""Times for people in the interface language: 45 s, 12 min 05 s, 3 h 07 min, 53 d 19 h (never 2324053 ms
or 1291:08:25), and a step's time in ms below a second. Sizes and counts come from studio.core.units."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def fmt_duration(seconds: float) -> str:
    """A duration for people: 45 s, 12 min 05 s, 3 h 07 min, 53 d 19 h."""
    s = int(round(max(0.0, seconds)))
    if s < 60:
        return QCoreApplication.translate("Units", "{s} s").format(s=s)
    m, s = divmod(s, 60)
    if m < 60:
        return QCoreApplication.translate("Units", "{m} min {s:02d} s").format(m=m, s=s)
    h, m = divmod(m, 60)
    if h < 24:
        return QCoreApplication.translate("Units", "{h} h {m:02d} min").format(h=h, m=m)
    d, h = divmod(h, 24)
    return QCoreApplication.translate("Units", "{d} d {h} h").format(d=d, h=h)


def fmt_step_time(seconds: float) -> str:
    """A step's time: 203 ms, 1.9 s, then as a duration."""
    if seconds < 1:
        return QCoreApplication.translate("Units", "{ms} ms").format(ms=f"{seconds * 1000:.0f}")
    if seconds < 60:
        return QCoreApplication.translate("Units", "{s} s").format(s=f"{seconds:.1f}")
    return fmt_duration(seconds)
