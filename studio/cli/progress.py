"""A one-line progress display on stderr for long CLI work (only when stderr is a terminal)."""

from __future__ import annotations

import sys
from typing import TextIO

from studio.cli.runview import human_time
from studio.core.tasks import Progress, TaskState


class ProgressLine:
    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._width = 0

    def __call__(self, p: Progress) -> None:
        if not self.enabled:
            return
        eta = "" if p.eta_s is None else human_time(p.eta_s)
        pct = "  ?%" if p.fraction < 0 else f"{p.fraction * 100:3.0f}%"
        text = f"{pct}  {p.message}" + (f"  (about {eta} left)" if eta else "")
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = max(self._width, len(text))

    def done(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()

    def state(self) -> TaskState:
        return TaskState(on_progress=self, min_interval_s=0.2)
