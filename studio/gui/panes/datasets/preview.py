"""The preview: a table of documents that fetches rows in pages as they scroll into view (millions of
rows stay smooth: the view only asks for visible rows, each page is read once from the memory-mapped
index), and a view of one document with its token boundaries coloured and token ids on hover."""

from __future__ import annotations

import html
from bisect import bisect_right
from collections import OrderedDict
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QTextEdit, QToolTip, QWidget

from studio.gui import theme

if TYPE_CHECKING:  # numpy loads with the first dataset shown, not with the window
    import numpy as np

    from studio.core.datasets.preview import DatasetReader, DocumentRow, TokenSpan


class DocumentTableModel(QAbstractTableModel):
    PAGE = 256
    MAX_PAGES = 64  # cached pages (16k rows)

    def __init__(self, reader: DatasetReader | None = None, parent=None):
        super().__init__(parent)
        self.reader = reader
        self.rows: np.ndarray | None = None  # document numbers shown (None: all)
        self._pages: OrderedDict[int, list[DocumentRow]] = OrderedDict()
        self.pages_fetched = 0
        self._headers = [self.tr("#"), self.tr("Split"), self.tr("Characters"), self.tr("Tokens"), self.tr("From"),
                         self.tr("Text")]
        self._split_names = {"train": self.tr("train"), "val": self.tr("validation"), "test": self.tr("test")}

    def set_reader(self, reader: DatasetReader | None, split: int | None = None) -> None:
        self.beginResetModel()
        self.reader = reader
        self._pages.clear()
        self.rows = None
        if reader is not None and split is not None:
            import numpy as np

            self.rows = np.flatnonzero(np.asarray(reader.store.splits) == split)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        if parent.isValid() or self.reader is None:
            return 0
        return len(self.rows) if self.rows is not None else len(self.reader)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._headers)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def document_at(self, row: int) -> int:
        return int(self.rows[row]) if self.rows is not None else row

    def _row(self, row: int) -> DocumentRow:
        page = row // self.PAGE
        rows = self._pages.get(page)
        if rows is None:
            first = page * self.PAGE
            last = min(self.rowCount(), first + self.PAGE)
            rows = [self.reader.row(self.document_at(r)) for r in range(first, last)]
            self._pages[page] = rows
            self.pages_fetched += 1
            if len(self._pages) > self.MAX_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page)
        return rows[row - page * self.PAGE]

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self.reader is None:
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (0, 2, 3):
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        doc = self._row(index.row())
        if role == Qt.ItemDataRole.ToolTipRole:
            return doc.origin if index.column() == 4 else None
        return (f"{doc.index + 1:,}", self._split_names.get(doc.split, doc.split), f"{doc.chars:,}",
                f"{doc.tokens:,}", doc.origin, doc.preview)[index.column()]


def _colours(dark: bool) -> tuple[list[str], str]:
    if dark:
        return ["#2f4a6b", "#5a4327", "#2f5a3c", "#5a2f4f"], "#8a8c92"
    return ["#cfe3ff", "#ffe2c2", "#d3f2d8", "#f6d3ec"], "#8a8c92"


class TokenView(QTextEdit):
    """A document's text; each token on its own tint, prompt tokens (not learned) in grey; hovering shows
    the token id(s)."""

    MAX_CHARS = 20_000

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMouseTracking(True)
        self.viewport().setMouseTracking(True)
        self._starts: list[int] = []  # UTF-16 positions of segments (QTextDocument counts UTF-16 units)
        self._ends: list[int] = []
        self._tips: list[str] = []
        self.segments = 0

    def show_document(self, text: str, spans: list[TokenSpan], token_text) -> None:
        """`token_text(id)` gives a readable form of one token for the tooltips."""
        import numpy as np

        shown = text[: self.MAX_CHARS]
        tints, prompt_colour = _colours(theme.is_dark())
        # tokens that share or overlap characters (bytes of one character) form one segment
        segments: list[list] = []  # [start, end, ids, learned]
        for span in spans:
            if span.start >= len(shown):
                break
            if segments and span.start < segments[-1][1]:
                segments[-1][1] = max(segments[-1][1], min(span.end, len(shown)))
                segments[-1][2].append(span.id)
                continue
            segments.append([span.start, min(span.end, len(shown)), [span.id], span.learned])
        utf16 = np.zeros(len(shown) + 1, dtype=np.int64)
        if shown:
            wide = np.frombuffer(shown.encode("utf-32-le"), dtype=np.uint32) > 0xFFFF
            utf16[1:] = np.cumsum(1 + wide)
        out = ['<pre style="white-space: pre-wrap; margin: 0;">']
        pos = 0
        self._starts, self._ends, self._tips = [], [], []
        for n, (start, end, ids, learned) in enumerate(segments):
            if start > pos:
                out.append(html.escape(shown[pos:start], quote=False))
            style = f"background-color:{tints[n % len(tints)]};"
            if not learned:
                style += f"color:{prompt_colour};"
            out.append(f'<span style="{style}">{html.escape(shown[start:end], quote=False)}</span>')
            pos = end
            self._starts.append(int(utf16[start]))
            self._ends.append(int(utf16[end]))
            label = ", ".join(str(i) for i in ids)
            pieces = " ".join(repr(token_text(i)) for i in ids[:4])
            tip = self.tr("token {ids}: {pieces}").format(ids=label, pieces=pieces)
            if not learned:
                tip += "\n" + self.tr("prompt: not learned")
            self._tips.append(tip)
        if pos < len(shown):
            out.append(html.escape(shown[pos:], quote=False))
        out.append("</pre>")
        self.segments = len(segments)
        self.setHtml("".join(out))

    def tooltip_at(self, position: int) -> str | None:
        i = bisect_right(self._starts, position) - 1
        if i >= 0 and position < self._ends[i]:
            return self._tips[i]
        return None

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        point = event.position().toPoint()
        cursor = self.cursorForPosition(point)
        position = cursor.position()
        if point.x() < self.cursorRect(cursor).x() and position > 0:
            position -= 1  # the nearest gap is right of the character under the pointer
        tip = self.tooltip_at(position)
        if tip:
            QToolTip.showText(event.globalPosition().toPoint(), tip, self.viewport())
        else:
            QToolTip.hideText()
        super().mouseMoveEvent(event)
