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


_DURATION_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> float | None:
    """"30d", "12h", "90m", "2w" -> seconds; "never" (or "") -> None. Raises ValueError on anything else."""
    value = (text or "").strip().lower()
    if value in ("", "never", "none"):
        return None
    number, unit = value[:-1], value[-1:]
    if unit not in _DURATION_UNITS or not number.isdigit() or int(number) <= 0:
        raise ValueError(f"{text!r} is not a duration: write a whole number and m, h, d or w (30d, 12h), or never.")
    return float(int(number) * _DURATION_UNITS[unit])
