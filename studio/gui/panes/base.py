"""The base of every pane: built lazily the first time it is shown, told when it becomes visible."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from studio.gui.context import AppContext


class Pane(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx

    def pane_shown(self) -> None:
        """Called each time the pane becomes the visible one (refresh cheap state here)."""

    def close_requested(self) -> bool:
        """The window is about to close: return False to keep it open (after asking the user)."""
        return True

    def close_check(self, done: Callable[[bool], None]) -> None:
        """The window is about to close: call `done(True)` to let it, `done(False)` to keep it open. A pane
        that must read something first (off the GUI thread) answers later; by default: close_requested()."""
        done(self.close_requested())

    def shutdown(self) -> None:
        """The pane goes away (window closed, another user signed in): stop timers and worker threads."""

    def working(self) -> bool:
        """Whether the pane is in the middle of work it would lose if it were built afresh (the window waits
        for it before it rebuilds the pane in a new language). By default: a Task of the pane still runs."""
        from studio.gui.concurrent import Task

        return any(task.running for task in self.findChildren(Task))


class PlaceholderPane(Pane):
    """A pane whose real content is still to come: it says what it will hold."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        layout = QVBoxLayout(self)
        heading = QLabel()
        heading.setObjectName("paneHeading")
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        heading.setFont(font)
        body = QLabel()
        body.setWordWrap(True)
        layout.addWidget(heading)
        layout.addWidget(body)
        layout.addStretch(1)
        self.heading, self.body = heading, body

    def set_texts(self, title: str, text: str) -> None:
        self.heading.setText(title)
        self.body.setText(text)
