"""What went wrong with the selected run, above its charts: the status and the run's message (what happened and
what to do) for a run that failed, diverged or was interrupted, and for a failed one the last lines of its log
(where a worker that died says why), with a button to the whole log."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from studio.gui.panes.training.runs_model import STATUS_COLOURS, status_label

PROBLEMS = ("failed", "diverged", "interrupted")
TAIL_LINES = 8


class RunNotice(QFrame):
    sig_log_requested = Signal()  # show the whole log (Details → Log)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("runNotice")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel()
        self.title.setObjectName("runNoticeText")
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tail = QPlainTextEdit()
        self.tail.setObjectName("runNoticeLog")
        self.tail.setReadOnly(True)
        self.tail.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.tail.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.tail.setMaximumHeight(self.tail.fontMetrics().lineSpacing() * (TAIL_LINES + 1) + 12)
        self.tail.hide()
        self.log_button = QPushButton(self.tr("Show the whole log"))
        self.log_button.clicked.connect(self.sig_log_requested)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.title, 1)
        top.addWidget(self.log_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(top)
        layout.addWidget(self.tail)
        self.key: tuple | None = None  # (run id, attempt, status) shown
        self.hide()

    @staticmethod
    def wants(run: Any | None) -> bool:
        return run is not None and run.status in PROBLEMS

    def show_run(self, run: Any | None) -> bool:
        """Show `run`'s problem, or hide; returns True when the log's tail should be read (a failed run
        shown afresh)."""
        if not self.wants(run):
            self.key = None
            self.hide()
            return False
        key = (run.id, run.attempt, run.status, run.message)
        fresh = key != self.key
        self.key = key
        colour = STATUS_COLOURS.get(run.status, "#d64545")
        self.setStyleSheet(f"#runNotice {{ border: 1px solid {colour}; border-radius: 3px; }}")
        self.title.setText(self.tr("{name} {status}: {message}").format(
            name=run.name, status=status_label(run.status), message=run.message or run.error or ""))
        if fresh:
            self.tail.clear()
            self.tail.hide()
        self.show()
        return fresh and run.status == "failed"

    def set_tail(self, run_id: int, lines: list[str]) -> None:
        if self.key is None or self.key[0] != run_id or not lines:
            return
        self.tail.setPlainText("\n".join(lines[-TAIL_LINES:]))
        self.tail.show()
