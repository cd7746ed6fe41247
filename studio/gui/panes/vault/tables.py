"""Thin Qt item models over the vault service's results (lists of frozen dataclasses)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt

from studio.core.stores.vault import ModelInfo, VersionInfo
from studio.core.units import human_count, human_size
from studio.core.vault.facts import version_facts
from studio.gui.panes.vault.facts_text import UNKNOWN, family_short
from studio.gui.version_text import architecture_text, variant_text

SORT_ROLE = Qt.ItemDataRole.UserRole + 1


class _ListTable(QAbstractTableModel):
    HEADERS: tuple[str, ...] = ()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._rows: list[Any] = []

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> Any:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rows(self) -> list[Any]:
        return list(self._rows)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.header_text(section)
        return None

    def header_text(self, section: int) -> str:
        return self.HEADERS[section]

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        item = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(item, index.column())
        if role == SORT_ROLE:
            return self.sort_key(item, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(item, index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole and self.numeric(index.column()):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def display(self, item: Any, column: int) -> str:
        raise NotImplementedError

    def sort_key(self, item: Any, column: int) -> Any:
        return self.display(item, column)

    def tooltip(self, item: Any, column: int) -> str | None:
        return None

    def numeric(self, column: int) -> bool:
        return False


class ModelsTable(_ListTable):
    """Name, version, architecture, family, context, parameters, size, created, owner, tags."""

    CREATED = 7  # the column the pane sorts by at first
    KEYS = ("name", "version", "architecture", "family", "context", "parameters", "size", "created", "owner", "tags")
    # Shown before the user chooses: what fits beside the details at 1280x800 in English and Chinese; the rest
    # (also in the details panel) is a right-click on the header away.
    DEFAULT_COLUMNS = ("name", "version", "architecture", "parameters", "size")

    def __init__(self, user_label: Callable[[int], str], parent: QObject | None = None):
        super().__init__(parent)
        self._user_label = user_label

    def header_text(self, section: int) -> str:
        return (self.tr("Name"), self.tr("Version"), self.tr("Architecture"), self.tr("Family"), self.tr("Context"),
                self.tr("Parameters"), self.tr("Size"), self.tr("Created"), self.tr("Owner"), self.tr("Tags"))[section]

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 10

    def display(self, m: ModelInfo, column: int) -> str:
        # a live run's model has only a version being written: listed by it, its size not known until it is kept
        v = m.latest or m.writing
        writing = m.latest is None and v is not None
        facts = version_facts(v)
        values = (
            m.name,
            (self.tr("being written") if writing else str(v.number)) if v else "",
            architecture_text(v),
            family_short(facts) if v else "",
            f"{facts.context_length:,}" if facts.context_length else (UNKNOWN if v else ""),
            (human_count(v.parameter_count) if v.parameter_count else UNKNOWN) if v else "",
            (UNKNOWN if writing else human_size(v.size_bytes)) if v else "",
            m.created_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            self._user_label(m.owner_id),
            ", ".join(m.tags),
        )
        return values[column]

    def tooltip(self, m: ModelInfo, column: int) -> str | None:
        return self.display(m, column) if column in (0, 2) else None  # the columns that may be elided

    def sort_key(self, m: ModelInfo, column: int) -> Any:
        v = m.latest
        if column == 1:
            return v.number if v else 0
        if column == 4:
            return version_facts(v).context_length or 0
        if column == 5:
            return v.parameter_count if v else 0
        if column == 6:
            return v.size_bytes if v else 0
        if column == self.CREATED:
            return m.created_at.timestamp()
        return self.display(m, column).lower()

    def numeric(self, column: int) -> bool:
        return column in (1, 4, 5, 6)


class VersionsTable(_ListTable):
    """One row per version: what it is (a checkpoint's step and validation loss, a compressed version's
    recipe and source), its size and when it was written."""

    def header_text(self, section: int) -> str:
        return (self.tr("Version"), self.tr("Kind"), self.tr("What"), self.tr("Parameters"), self.tr("Data type"),
                self.tr("Size"), self.tr("Files"), self.tr("Created"))[section]

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 8

    def display(self, v: VersionInfo, column: int) -> str:
        return (str(v.number), self.kind_text(v.kind), self.summary(v), human_count(v.parameter_count), v.dtype,
                human_size(v.size_bytes), str(len(v.artifacts)),
                v.created_at.astimezone().strftime("%Y-%m-%d %H:%M"))[column]

    def numeric(self, column: int) -> bool:
        return column in (0, 3, 5, 6)

    def kind_text(self, kind: str) -> str:
        return {"checkpoint": self.tr("checkpoint"), "compressed": self.tr("compressed"), "trained": self.tr("trained"),
                "import": self.tr("imported"), "bundle": self.tr("from a bundle"),
                "merged": self.tr("merged")}.get(kind, kind)

    def summary(self, v: VersionInfo) -> str:
        meta = v.metadata or {}
        parts = []
        if isinstance(meta.get("step"), int):
            parts.append(self.tr("step {step:,}").format(step=meta["step"]))
            if isinstance(meta.get("val_loss"), int | float):
                parts.append(self.tr("val loss {loss:.4f}").format(loss=meta["val_loss"]))
            elif isinstance(meta.get("train_loss"), int | float):
                parts.append(self.tr("train loss {loss:.4f}").format(loss=meta["train_loss"]))
            if meta.get("slot") == "best":
                parts.append(self.tr("best"))
        compression = meta.get("compression")
        if isinstance(compression, dict) and compression.get("label"):
            parts.append(variant_text(str(compression["label"])))
        source = next((e.label for e in v.lineage if e.kind == "source_version" and e.label), "")
        if source and v.kind == "compressed":
            parts.append(self.tr("from {source}").format(source=source))
        return " · ".join(parts)


class AdaptersTable(_ListTable):
    """The LoRA adapter versions trained on a model: which, its rank, the step and loss it holds, when."""

    def header_text(self, section: int) -> str:
        return (self.tr("Adapter"), self.tr("Rank"), self.tr("Of version"), self.tr("What"), self.tr("Size"),
                self.tr("Created"))[section]

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 6

    def __init__(self, summary: Callable[[VersionInfo], str], parent: QObject | None = None):
        super().__init__(parent)
        self._summary = summary

    def display(self, v: VersionInfo, column: int) -> str:
        facts = version_facts(v)
        return (f"{v.model_name}:{v.number}", str(facts.lora_rank or ""),
                "" if facts.base_version is None else str(facts.base_version), self._summary(v),
                human_size(v.size_bytes), v.created_at.astimezone().strftime("%Y-%m-%d %H:%M"))[column]

    def numeric(self, column: int) -> bool:
        return column in (1, 2, 4)
