"""Training the BPE while the import is still reading.

The BPE is trained on the first documents of the train split, up to `bpe_sample_mb`. They arrive early in
pass 1, so the training starts in a thread as soon as the sample is complete and runs (in Rust, mostly
without the GIL) on the other core while reading goes on; pass 2 waits for it only if it is not done yet.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np

from studio.core.datasets.splits import TRAIN
from studio.core.datasets.tokenizers import HFTokenizer, train_bpe
from studio.core.errors import Cancelled
from studio.core.tasks import TaskState


class BackgroundBpe:
    def __init__(self, vocab_size: int, limit_chars: int):
        self.vocab_size = vocab_size
        self.limit = limit_chars
        self._train: list[str] = []
        self._others: list[str] = []  # documents of other splits, used only when train is too small
        self._size = self._others_size = 0
        self._thread: threading.Thread | None = None
        self._result: HFTokenizer | None = None
        self._error: BaseException | None = None
        self._stop = threading.Event()

    def feed(self, docs: list[list[str]], splits: np.ndarray) -> None:
        """Called with every batch of kept documents and their splits during pass 1."""
        if self._thread is not None:
            return
        for parts, split in zip(docs, splits.tolist(), strict=True):
            text = parts[0] if len(parts) == 1 else "".join(parts)
            if split == TRAIN:
                self._train.append(text)
                self._size += len(text)
            elif self._others_size < self.limit:
                self._others.append(text)
                self._others_size += len(text)
        if self._size >= self.limit:
            self._start()

    def _texts(self) -> Iterator[str]:
        for text in self._train:
            if self._stop.is_set():
                raise Cancelled("Cancelled.")
            yield text

    def _start(self) -> None:
        if self._size < self.limit:  # a small dataset: top up with the other splits
            for text in self._others:
                if self._size >= self.limit:
                    break
                self._train.append(text)
                self._size += len(text)
        self._others = []
        self._thread = threading.Thread(target=self._run, name="bpe-training", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._result = train_bpe(self._texts(), self.vocab_size)
        except BaseException as error:  # noqa: BLE001 - handed to the importing thread
            self._error = error
        finally:
            self._train = []

    def ready(self) -> HFTokenizer | None:
        """The tokenizer if training has finished well, else None (never waits)."""
        if self._thread is None or self._thread.is_alive() or self._error is not None:
            return None
        return self._result

    def result(self, state: TaskState, fraction: float) -> HFTokenizer:
        """The trained tokenizer (waiting for it, and checking for cancel, if it is still training)."""
        if self._thread is None:
            self._start()
        state.report(fraction, "Training the BPE tokenizer", force=True)
        while self._thread.is_alive():
            self._thread.join(0.1)
            state.report(fraction, "Training the BPE tokenizer")
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def cancel(self) -> None:
        self._stop.set()
