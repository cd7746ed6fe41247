"""Small layout helpers shared by the panes."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def keep_place(widget: QWidget, lines: int = 1) -> QWidget:
    """A status line or progress bar that comes and goes without moving what is below it: its room (at least
    `lines` lines of text) stays reserved while it is hidden. Without this, every notice made the pane jump."""
    policy = widget.sizePolicy()
    policy.setRetainSizeWhenHidden(True)
    widget.setSizePolicy(policy)
    widget.setMinimumHeight(max(widget.minimumHeight(), widget.fontMetrics().height() * lines + 4))
    return widget
