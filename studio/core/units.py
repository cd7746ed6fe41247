"""Numbers for people: sizes in bytes and counts (parameters) the way the GUI and the CLI show them."""

from __future__ import annotations


def human_size(n: int | float) -> str:
    """Decimal units, as disks and model cards count: 1.2 GB."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return str(n)


def human_count(n: int) -> str:
    """1.2B, 350.0M, 12.5K, 999."""
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return str(n)
