"""One text generation on a worker thread: pieces of text are handed to the GUI as the model makes them, and
the Stop button ends it before the next token (the engine checks `should_stop` before each one)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator

from PySide6.QtCore import QObject, Signal

from studio.core.services.runs.sampling import StreamStats

log = logging.getLogger(__name__)


class Generation(QObject):
    sig_text_produced = Signal(str)  # the next piece of text
    sig_generation_finished = Signal(str, bool)  # the whole text, stopped by the user
    sig_generation_failed = Signal(object)

    def __init__(self, produce: Callable[[Callable[[], bool], StreamStats], Iterator[str]],
                 parent: QObject | None = None):
        super().__init__(parent)
        self._produce = produce
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="generate", daemon=True)
        self.pieces: list[str] = []
        self.stats = StreamStats()  # tokens and times, as the engine counts them (read on the GUI thread)

    def start(self) -> Generation:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            for piece in self._produce(self._stop.is_set, self.stats):
                self.pieces.append(piece)
                self.sig_text_produced.emit(piece)
                if self._stop.is_set():
                    break
        except Exception as error:  # noqa: BLE001 - shown in the pane
            log.info("generation failed: %s: %s", type(error).__name__, error)
            self.sig_generation_failed.emit(error)
            return
        self.sig_generation_finished.emit("".join(self.pieces), self._stop.is_set())
