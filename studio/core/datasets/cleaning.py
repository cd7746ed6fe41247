"""Cleaning documents as they stream past: line endings, Unicode NFC, control characters, short documents,
exact duplicates. Every change is counted, so that the statistics say what cleaning did."""

from __future__ import annotations

import hashlib
import re
import unicodedata

# C0 controls except tab and newline, DEL, and C1 controls. A lone carriage return (old Mac line ends) is
# one of them; CR LF pairs become LF before this runs.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class Cleaner:
    """`clean(parts)` returns the cleaned parts, or None when the document is dropped (and counts why).

    De-duplication keeps an 8-byte BLAKE2b digest of every kept document in a set: about 60-80 bytes of
    memory per document, and a false "duplicate" has a chance of about n²/2⁶⁵ (1e-7 for 2 million)."""

    def __init__(self, counts: dict[str, int], normalize: bool = True, strip_control: bool = True,
                 min_chars: int = 1, dedup: bool = False):
        self.counts = counts
        self.normalize = normalize
        self.strip_control = strip_control
        self.min_chars = min_chars
        self.dedup = dedup
        self._seen: set[int] = set()

    def clean_batch(self, docs: list[list[str]], lines: list[int]) -> tuple[list[list[str]], list[int]]:
        """The kept documents of a batch (and their lines). When the batch has no carriage return, no
        control character and nothing to normalise, per-document work shrinks to the length and duplicate checks."""
        single = max(map(len, docs), default=1) == 1  # plain text: one part per document
        joined = "".join([d[0] for d in docs] if single else [p for d in docs for p in d])
        if ("\r" in joined or (self.strip_control and CONTROL.search(joined) is not None)
                or (self.normalize and not joined.isascii() and not unicodedata.is_normalized("NFC", joined))):
            kept = [(c, line) for c, line in zip(map(self.clean, docs), lines, strict=True) if c is not None]
            return [c for c, _ in kept], [line for _, line in kept]
        if self.min_chars <= 1 and not self.dedup and single:
            texts = [d[0] for d in docs]
            if all(map(len, texts)) and not any(map(str.isspace, texts)):  # the common case: nothing to drop
                return docs, lines
        out_docs, out_lines = [], []
        counts, min_chars, dedup, seen = self.counts, self.min_chars, self.dedup, self._seen
        blake = hashlib.blake2b
        for parts, line in zip(docs, lines, strict=True):
            text = parts[0] if len(parts) == 1 else "".join(parts)
            if not text or text.isspace():
                counts["empty"] += 1
                continue
            if len(text) < min_chars:
                counts["short_dropped"] += 1
                continue
            if dedup:
                key = "\x1f".join(parts) if len(parts) > 1 else text
                digest = int.from_bytes(blake(key.encode("utf-8"), digest_size=8).digest(), "little")
                if digest in seen:
                    counts["duplicates_dropped"] += 1
                    continue
                seen.add(digest)
            out_docs.append(parts)
            out_lines.append(line)
        return out_docs, out_lines

    def clean(self, parts: list[str]) -> list[str] | None:
        counts = self.counts
        out = []
        changed = False
        for part in parts:
            if "\r" in part:
                part = part.replace("\r\n", "\n")
            if self.normalize and not part.isascii() and not unicodedata.is_normalized("NFC", part):
                part = unicodedata.normalize("NFC", part)
                changed = True
            if self.strip_control:
                part, removed = CONTROL.subn("", part)
                counts["control_chars_removed"] += removed
            out.append(part)
        if changed:
            counts["normalized_documents"] += 1
        if not any(p.strip() for p in out):
            counts["empty"] += 1
            return None
        if sum(map(len, out)) < self.min_chars:
            counts["short_dropped"] += 1
            return None
        if self.dedup:
            digest = int.from_bytes(hashlib.blake2b("\x1f".join(out).encode("utf-8"), digest_size=8).digest(), "little")
            if digest in self._seen:
                counts["duplicates_dropped"] += 1
                return None
            self._seen.add(digest)
        return out
