"""The statistics of one dataset: sizes per split, what cleaning did, length percentiles, frequent tokens."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.stores.datasets import DatasetInfo
from studio.gui.panes.datasets.list_model import human_bytes, tokenizer_label

PERCENTILE_KEYS = ("p0", "p10", "p50", "p90", "p99", "p100", "mean")


class _FitTable(QTableWidget):
    """A table as tall as its rows, plus the horizontal scroll bar whenever its columns are wider than it is
    (a narrow window): without it the bar covered the last row."""

    def fit(self) -> None:
        height = self.horizontalHeader().height() + sum(self.rowHeight(r) for r in range(self.rowCount()))
        height += 2 * self.frameWidth() + 2
        if self.horizontalHeader().length() > self.viewport().width():
            height += self.horizontalScrollBar().sizeHint().height()
        if height != self.height():
            self.setFixedHeight(height)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit()


def _table(headers: list[str]) -> QTableWidget:
    table = _FitTable(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return table


def _no_narrower_than_contents(table: QTableWidget) -> None:
    """Stretched columns that never get narrower than their header or their figures: stretched into half a
    1280 px window, "p100" and "mean" overprinted each other; now the table scrolls sideways instead."""
    header = table.horizontalHeader()
    bold = header.font()
    bold.setBold(True)  # as the header draws its labels
    metrics = QFontMetrics(bold)
    margins = 2 * header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
    labels = (table.horizontalHeaderItem(c) for c in range(1, table.columnCount()))
    widest = max((metrics.horizontalAdvance(item.text()) + margins for item in labels if item), default=0)
    figures = max((table.sizeHintForColumn(c) for c in range(1, table.columnCount())), default=0)
    header.setMinimumSectionSize(max(widest, figures))


def _fill(table: QTableWidget, rows: list[list[str]], numeric_from: int = 1) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            if c >= numeric_from:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)
    table.fit()


class StatsView(QScrollArea):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        layout = QVBoxLayout(body)
        self.title = QLabel()
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.title.setFont(font)
        self.subtitle = QLabel()
        self.subtitle.setWordWrap(True)
        self.subtitle.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.access_label = QLabel()
        self.access_label.setWordWrap(True)
        self.access_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.access_label)

        cards = QGridLayout()
        self.cards: dict[str, QLabel] = {}
        captions = [("documents", self.tr("documents")), ("characters", self.tr("characters")),
                    ("tokens", self.tr("tokens")), ("vocab", self.tr("vocabulary used")),
                    ("unknown", self.tr("unknown tokens")), ("disk", self.tr("on disk"))]
        for n, (key, caption) in enumerate(captions):
            value = QLabel()
            f = value.font()
            f.setPointSizeF(f.pointSizeF() * 1.5)
            value.setFont(f)
            value.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label = QLabel(caption)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            cards.addWidget(value, 0, n)
            cards.addWidget(label, 1, n)
            self.cards[key] = value
        layout.addLayout(cards)

        self.splits_table = _table([self.tr("Split"), self.tr("Documents"), self.tr("Characters"), self.tr("Tokens"),
                                    self.tr("Learned tokens")])
        layout.addWidget(QLabel(self.tr("<b>Splits</b>")))
        layout.addWidget(self.splits_table)

        row = QHBoxLayout()
        left, right = QVBoxLayout(), QVBoxLayout()
        self.cleaning_table = _table([self.tr("Cleaning"), self.tr("Count")])
        self.cleaning_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        left.addWidget(QLabel(self.tr("<b>What cleaning did</b>")))
        left.addWidget(self.cleaning_table)
        left.addStretch(1)
        self.lengths_table = _table([self.tr("Per document"), *PERCENTILE_KEYS[:-1], self.tr("mean")])
        self.lengths_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        _no_narrower_than_contents(self.lengths_table)
        right.addWidget(QLabel(self.tr("<b>Document lengths</b>")))
        right.addWidget(self.lengths_table)
        right.addStretch(1)
        row.addLayout(left, 1)
        row.addLayout(right, 1)
        layout.addLayout(row)

        self.top_table = _table([self.tr("Rank"), self.tr("Token"), self.tr("Id"), self.tr("Count"), self.tr("Share")])
        layout.addWidget(QLabel(self.tr("<b>Most frequent tokens</b>")))
        layout.addWidget(self.top_table)
        layout.addStretch(1)
        self.setWidget(body)
        self.cleaning_labels = {
            "normalized_documents": self.tr("documents normalised (NFC)"),
            "control_chars_removed": self.tr("control characters removed"),
            "replaced_chars": self.tr("invalid UTF-8 sequences replaced"),
            "invalid_utf8_skipped": self.tr("documents skipped for invalid UTF-8"),
            "empty": self.tr("empty documents dropped"),
            "short_dropped": self.tr("short documents dropped"),
            "duplicates_dropped": self.tr("duplicates dropped"),
            "oversized_split": self.tr("oversized documents cut"),
            "empty_files": self.tr("empty files"),
        }

    def show_access(self, info: DatasetInfo, holders: list[str], grants: list | None) -> None:
        """How the dataset is kept and who can open it: the key holders of an encrypted one, and the grants
        on it (None: the actor may not list them, only its owner, a manager or an administrator can)."""
        if info.encrypted:
            text = self.tr("Encrypted at rest. Keys held by {holders} and, through the recovery key, the "
                           "administrators.").format(holders=", ".join(holders) or "?")
        else:
            text = self.tr("Stored in plaintext (anyone who can read the data folder can read it).")
        if grants is not None:
            shared = ", ".join(f"{g.user_name} ({g.permission})" for g in grants)
            text += " " + (self.tr("Shared with: {grants}.").format(grants=shared) if grants
                           else self.tr("Not shared with anyone."))
        self.access_label.setText(text)

    def show_info(self, info: DatasetInfo) -> None:
        s = info.stats
        self.title.setText(info.name)
        kind = self.tr("prompt/response with loss mask") if info.kind == "sft" else self.tr("plain text")
        parts = [
            self.tr("{source} ({format}, {files} file(s), {size})").format(
                source=info.source, format=info.source_format, files=s.source_files, size=human_bytes(s.source_bytes)),
            kind if s.fields in ("", "plain text") else self.tr("{kind}; {fields}").format(kind=kind, fields=s.fields),
            self.tr("tokenizer {tokenizer}; arrays {dtype}").format(tokenizer=tokenizer_label(info), dtype=info.dtype),
            self.tr("created {created} by {owner}; imported in {seconds:.1f} s").format(
                created=info.created_at.astimezone().strftime("%Y-%m-%d %H:%M"), owner=info.owner_name or "?",
                seconds=s.import_seconds),
        ]
        if info.tags:
            parts.append(self.tr("tags: {tags}").format(tags=", ".join(info.tags)))
        self.subtitle.setText("\n".join(parts))
        self.cards["documents"].setText(f"{s.documents:,}")
        self.cards["characters"].setText(f"{s.characters:,}")
        self.cards["tokens"].setText(f"{s.tokens:,}")
        self.cards["vocab"].setText(f"{s.vocab_used:,} / {s.vocab_size:,}")
        if info.vocab_asked:  # the BPE came out smaller than asked: say so, not silently
            parts.append(self.tr("The BPE vocabulary has {have:,} tokens, not the {asked:,} asked for: the text holds "
                                 "no more merges (a small text, or few distinct words).").format(
                have=info.vocab_size, asked=info.vocab_asked))
            self.subtitle.setText("\n".join(parts))
        self.cards["unknown"].setText(f"{s.unknown_tokens:,}")
        self.cards["disk"].setText(human_bytes(info.size_bytes))
        names = {"train": self.tr("train"), "val": self.tr("validation"), "test": self.tr("test")}
        _fill(self.splits_table, [[names.get(x.name, x.name), f"{x.documents:,}", f"{x.characters:,}",
                                   f"{x.tokens:,}", f"{x.trainable_tokens:,}"] for x in s.splits])
        self.splits_table.setColumnHidden(4, info.kind != "sft")
        _fill(self.cleaning_table, [[label, f"{s.cleaning.get(key, 0):,}"] for key, label in self.cleaning_labels.items()])
        _fill(self.lengths_table, [
            [self.tr("characters")] + [f"{s.chars_per_document.get(k, 0):,.0f}" for k in PERCENTILE_KEYS],
            [self.tr("tokens")] + [f"{s.tokens_per_document.get(k, 0):,.0f}" for k in PERCENTILE_KEYS],
        ])
        _no_narrower_than_contents(self.lengths_table)
        _fill(self.top_table, [[str(n), repr(t.text), str(t.id), f"{t.count:,}", f"{t.share:.2%}"]
                               for n, t in enumerate(s.top_tokens[:25], 1)], numeric_from=2)
