"""The live table of served requests: a thin Qt model over the server's RequestRecord values, newest first."""

from __future__ import annotations

import time

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor

MAX_ROWS = 1000
_BAD = QColor(215, 70, 60)


# Marked for lupdate here, translated when shown.
_TEXTS = (
    QT_TRANSLATE_NOOP("RequestsModel", "Time"),
    QT_TRANSLATE_NOOP("RequestsModel", "User"),
    QT_TRANSLATE_NOOP("RequestsModel", "Model"),
    QT_TRANSLATE_NOOP("RequestsModel", "Endpoint"),
    QT_TRANSLATE_NOOP("RequestsModel", "Tokens in"),
    QT_TRANSLATE_NOOP("RequestsModel", "Tokens out"),
    QT_TRANSLATE_NOOP("RequestsModel", "Latency (ms)"),
    QT_TRANSLATE_NOOP("RequestsModel", "First token (ms)"),
    QT_TRANSLATE_NOOP("RequestsModel", "Outcome"),
    QT_TRANSLATE_NOOP("RequestsModel", "done"),
    QT_TRANSLATE_NOOP("RequestsModel", "done (length)"),
    QT_TRANSLATE_NOOP("RequestsModel", "cancelled"),
    QT_TRANSLATE_NOOP("RequestsModel", "error"),
    QT_TRANSLATE_NOOP("RequestsModel", "ok"),
    QT_TRANSLATE_NOOP("RequestsModel", "bad key"),
    QT_TRANSLATE_NOOP("RequestsModel", "denied"),
    QT_TRANSLATE_NOOP("RequestsModel", "rate limited"),
    QT_TRANSLATE_NOOP("RequestsModel", "busy"),
    QT_TRANSLATE_NOOP("RequestsModel", "bad request"),
    QT_TRANSLATE_NOOP("RequestsModel", "no such model"),
    QT_TRANSLATE_NOOP("RequestsModel", "too large"),
    QT_TRANSLATE_NOOP("RequestsModel", "audit failed"),
)


def _t(text: str) -> str:
    return QCoreApplication.translate("RequestsModel", text)


class RequestsModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list = []
        self.headers = [
            _t("Time"),
            _t("User"),
            _t("Model"),
            _t("Endpoint"),
            _t("Tokens in"),
            _t("Tokens out"),
            _t("Latency (ms)"),
            _t("First token (ms)"),
            _t("Outcome"),
        ]

    def add(self, records: list) -> None:
        if not records:
            return
        new = list(reversed(records))
        self.beginInsertRows(QModelIndex(), 0, len(new) - 1)
        self.rows[:0] = new
        self.endInsertRows()
        if len(self.rows) > MAX_ROWS:
            self.beginRemoveRows(QModelIndex(), MAX_ROWS, len(self.rows) - 1)
            del self.rows[MAX_ROWS:]
            self.endRemoveRows()

    def clear(self) -> None:
        self.beginResetModel()
        self.rows = []
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            values = (
                time.strftime("%H:%M:%S", time.localtime(r.at)),
                r.user,
                r.model,
                r.endpoint,
                str(r.prompt_tokens),
                str(r.completion_tokens),
                f"{r.latency_ms:.0f}",
                "" if r.ttft_ms is None else f"{r.ttft_ms:.0f}",
                self.outcome_text(r),
            )
            return values[col]
        if role == Qt.ItemDataRole.TextAlignmentRole and 4 <= col <= 7:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and col == 8 and r.status != 200:
            return _BAD
        return None

    @staticmethod
    def outcome_text(r) -> str:
        texts = {
            "stop": _t("done"),
            "length": _t("done (length)"),
            "cancelled": _t("cancelled"),
            "error": _t("error"),
            "ok": _t("ok"),
            "bad key": _t("bad key"),
            "denied": _t("denied"),
            "rate limited": _t("rate limited"),
            "busy": _t("busy"),
            "overloaded": _t("busy"),
            "bad request": _t("bad request"),
            "no such model": _t("no such model"),
            "too large": _t("too large"),
            "audit failed": _t("audit failed"),
        }
        text = texts.get(r.outcome, r.outcome)
        return text if r.status in (200, 499) else f"{text} ({r.status})"
