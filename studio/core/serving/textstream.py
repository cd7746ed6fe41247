"""Tokens to text while they come: whole characters only, and stop strings.

Decoding is incremental (the "prefix offset" method of the big inference servers): the ids of the last piece
of text and those after it are decoded with and without the new ones, and only the difference is new text; a text ending in U+FFFD (a character whose bytes are not all there yet) waits for more tokens.
Stop strings are searched in the text as it grows; text that could still become the start of a stop string
is held back, so a client never sees part of a stop string.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class TextStream:
    def __init__(self, tokenizer: Any, stop: Sequence[str] = ()):
        self.tokenizer = tokenizer
        self.stop = tuple(s for s in stop if s)
        self._longest = max((len(s) for s in self.stop), default=0)
        self.ids: list[int] = []
        self._prefix = 0  # ids[_prefix:_read] decode to text already taken
        self._read = 0
        self.text = ""  # all text decoded so far
        self._sent = 0  # text[:_sent] has been handed out
        self.stopped = False  # a stop string was found: nothing more will come

    def _decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids) if ids else ""

    def feed(self, token: int) -> str:
        """The text that may be shown now (often empty) after one more token."""
        if self.stopped:
            return ""
        self.ids.append(int(token))
        before = self._decode(self.ids[self._prefix:self._read])
        after = self._decode(self.ids[self._prefix:])
        if len(after) > len(before) and not after.endswith("\ufffd"):
            self.text += after[len(before):]
            self._prefix, self._read = self._read, len(self.ids)
        return self._release(final=False)

    def finish(self) -> str:
        """What is left when generation ends (held-back text that turned out not to be a stop string)."""
        if self.stopped:
            return ""
        rest = self._decode(self.ids[self._prefix:])
        done = self._decode(self.ids[self._prefix:self._read])
        if len(rest) > len(done):
            self.text += rest[len(done):].rstrip("\ufffd")
        return self._release(final=True)

    def _release(self, final: bool) -> str:
        if self.stop:
            start = max(0, self._sent - self._longest + 1)
            hits = [i for i in (self.text.find(s, start) for s in self.stop) if i >= 0]
            if hits:
                cut = min(hits)
                piece = self.text[self._sent:cut]
                self.text = self.text[:cut]
                self._sent = cut
                self.stopped = True
                return piece
        end = len(self.text)
        if not final and self.stop:
            end -= self._held(self.text)
        if end <= self._sent:
            return ""
        piece, self._sent = self.text[self._sent:end], end
        return piece

    def _held(self, text: str) -> int:
        """The length of the longest end of `text` that begins some stop string."""
        for n in range(min(self._longest - 1, len(text)), 0, -1):
            tail = text[-n:]
            if any(s.startswith(tail) for s in self.stop):
                return n
        return 0
