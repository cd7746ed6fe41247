"""The datasets table: a thin Qt model over the DatasetInfo list the service returns."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from studio.core.stores.datasets import DatasetInfo

SORT_ROLE = Qt.ItemDataRole.UserRole + 1


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"


def tokenizer_label(info: DatasetInfo) -> str:
    names = {"byte": "byte", "char": "char", "bpe": "BPE", "file": "tokenizer.json"}
    return f"{names.get(info.tokenizer, info.tokenizer)} · {info.vocab_size:,}"


class DatasetListModel(QAbstractTableModel):
    COLUMNS = ("name", "storage", "source", "format", "tokenizer", "documents", "tokens", "size", "created", "owner",
               "tags")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.infos: list[DatasetInfo] = []
        self._headers = [self.tr("Name"), self.tr("At rest"), self.tr("Source"), self.tr("Format"),
                         self.tr("Tokenizer"), self.tr("Documents"), self.tr("Tokens"), self.tr("Size"),
                         self.tr("Created"), self.tr("Owner"), self.tr("Tags")]
        self._storage = {True: self.tr("encrypted"), False: self.tr("plaintext")}

    def set_infos(self, infos: list[DatasetInfo]) -> None:
        self.beginResetModel()
        self.infos = list(infos)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.infos)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        info = self.infos[index.row()]
        column = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.UserRole:
            return info.id
        if role == SORT_ROLE:
            return {"documents": info.documents, "tokens": info.tokens, "size": info.size_bytes,
                    "created": info.created_at.timestamp()}.get(column, str(self.data(index) or "").lower())
        if role == Qt.ItemDataRole.ToolTipRole and column == "source":
            return info.source
        if role == Qt.ItemDataRole.ToolTipRole and column == "storage":
            return self.tr("Encrypted through the vault: only its owner, the users it is shared with and the "
                           "administrators can open it.") if info.encrypted else self.tr(
                "Stored in plaintext: anyone who can read the data folder can read it.")
        if role == Qt.ItemDataRole.TextAlignmentRole and column in ("documents", "tokens", "size"):
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return {
            "name": info.name,
            "source": info.source.replace("\\", "/").rsplit("/", 1)[-1],
            "format": info.source_format + (" · SFT" if info.kind == "sft" else ""),
            "tokenizer": tokenizer_label(info),
            "documents": f"{info.documents:,}",
            "tokens": f"{info.tokens:,}",
            "size": human_bytes(info.size_bytes),
            "storage": self._storage[bool(info.encrypted)],
            "created": info.created_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            "owner": info.owner_name,
            "tags": ", ".join(info.tags),
        }[column]

    def row_of(self, dataset_id: int) -> int:
        return next((n for n, i in enumerate(self.infos) if i.id == dataset_id), -1)
