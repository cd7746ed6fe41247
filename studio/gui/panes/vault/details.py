"""The details of the selected model: metadata, lineage graph, who holds its keys, versions."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.core.stores.vault import ModelDetails
from studio.core.units import human_count, human_size
from studio.core.vault.facts import version_facts
from studio.gui.panes.vault.adapters import AdaptersTab
from studio.gui.panes.vault.facts_text import chat_text, context_text, family_long, tokenizer_text
from studio.gui.panes.vault.lineage import Graph, LineageGraph, build_graph
from studio.gui.panes.vault.tables import VersionsTable
from studio.gui.version_text import architecture_text


class DetailsPanel(QTabWidget):
    sig_revoke_requested = Signal(int)  # user id

    def __init__(self, user_label: Callable[[int], str], parent: QWidget | None = None):
        super().__init__(parent)
        self._user_label = user_label
        self.details: ModelDetails | None = None
        self._can_revoke = False

        overview = QWidget()
        form = QFormLayout(overview)
        self.fields: dict[str, QLabel] = {}
        for key, label in (("name", self.tr("Name")), ("owner", self.tr("Owner")), ("version", self.tr("Latest version")),
                           ("architecture", self.tr("Architecture")), ("family", self.tr("Family")),
                           ("context", self.tr("Context length")), ("tokenizer", self.tr("Tokenizer")),
                           ("chat", self.tr("Chat template")), ("parameters", self.tr("Parameters")),
                           ("dtype", self.tr("Data type")), ("size", self.tr("Size")), ("files", self.tr("Files")),
                           ("tags", self.tr("Tags")), ("notes", self.tr("Notes")), ("created", self.tr("Created"))):
            value = QLabel()
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(label, value)
            self.fields[key] = value
        overview_scroll = QScrollArea()  # many rows: on a low window they scroll instead of raising its minimum
        overview_scroll.setWidget(overview)
        overview_scroll.setWidgetResizable(True)
        overview_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.addTab(overview_scroll, self.tr("Overview"))

        self.lineage = LineageGraph()
        scroll = QScrollArea()
        scroll.setWidget(self.lineage)
        scroll.setWidgetResizable(True)
        self.addTab(scroll, self.tr("Lineage"))

        access = QWidget()
        layout = QVBoxLayout(access)
        explain = QLabel(self.tr("Users whose keys open this model (the administrators can always recover it):"))
        explain.setWordWrap(True)
        layout.addWidget(explain)
        self.recipients = QListWidget()
        layout.addWidget(self.recipients)
        row = QHBoxLayout()
        row.addStretch(1)
        self.revoke_button = QPushButton(self.tr("Revoke access…"))
        self.revoke_button.setEnabled(False)
        self.revoke_button.clicked.connect(self._revoke)
        self.recipients.currentItemChanged.connect(lambda *_: self._update_revoke())
        row.addWidget(self.revoke_button)
        layout.addLayout(row)
        self.addTab(access, self.tr("Access"))

        self.versions = VersionsTable(self)
        self.versions_view = QTableView()
        self.versions_view.setModel(self.versions)
        self.versions_view.verticalHeader().hide()
        self.versions_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.versions_view.horizontalHeader().setStretchLastSection(True)
        self.addTab(self.versions_view, self.tr("Versions"))
        self.adapters = AdaptersTab(self.versions.summary)
        self.addTab(self.adapters, self.tr("Adapters"))
        self.show_details(None)

    def show_details(self, details: ModelDetails | None, permissions: dict[int, str] | None = None,
                     can_revoke: bool = False, adapters: list | None = None, can_merge: bool = False) -> None:
        """`permissions`: each user's highest grant on the model, where the signed-in user may see them;
        `can_revoke`: whether they may take access away (the policy's answer for sharing); `adapters`: the LoRA
        adapter versions trained on this model, `can_merge` whether one may be merged."""
        self.details = details
        self._can_revoke = can_revoke
        self.setEnabled(details is not None)
        if details is None:
            for value in self.fields.values():
                value.clear()
            self.lineage.set_graph(Graph((), ()))
            self.recipients.clear()
            self.versions.set_rows([])
            self.adapters.set_adapters([], "", False)
            return
        m = details.model
        v = m.latest or m.writing  # a live run's model: the checkpoint its worker is writing
        writing = m.latest is None and v is not None
        facts = version_facts(v)
        values = {
            "name": m.name, "owner": self._user_label(m.owner_id), "tags": ", ".join(m.tags) or "—",
            "notes": m.notes or "—", "created": m.created_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            "version": (self.tr("{n} (being written by its run)").format(n=v.number) if writing else str(v.number))
            if v else "—",
            "architecture": architecture_text(v) or "—",
            "parameters": f"{human_count(v.parameter_count)} ({v.parameter_count:,})" if v and v.parameter_count
            else "—",
            "dtype": (v.dtype if v else "") or "—", "size": human_size(v.size_bytes) if v and not writing else "—",
            "files": ", ".join(a.name for a in v.artifacts) if v else "—",
            "family": family_long(facts), "context": context_text(facts), "tokenizer": tokenizer_text(facts),
            "chat": chat_text(facts),
        }
        for key, text in values.items():
            self.fields[key].setText(text)
        self.lineage.set_graph(build_graph(details, lambda ref: self.tr("version {id}").format(id=ref),
                                           self._version_label))
        self.recipients.clear()
        for uid in details.recipients:
            text = self._user_label(uid)
            if uid == m.owner_id:
                text = self.tr("{user} (owner)").format(user=text)
            elif uid in (permissions or {}):
                text = self.tr("{user} ({permission})").format(user=text, permission=self._permission(permissions[uid]))
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, uid)
            self.recipients.addItem(item)
        self.versions.set_rows(list(reversed(details.versions)))
        self.adapters.set_adapters(sorted(adapters or (), key=lambda a: a.created_at, reverse=True), m.name, can_merge)
        self._update_revoke()

    def _version_label(self, v) -> str:
        """"v3 · checkpoint · step 600": what the version is, in the shown language."""
        parts = [f"v{v.number}", self.versions.kind_text(v.kind)]
        summary = self.versions.summary(v)
        if summary:
            parts.append(summary.split(" · ")[0])  # the first fact only: boxes stay narrow
        return " · ".join(parts)

    def _selected_recipient(self) -> int | None:
        item = self.recipients.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def _permission(self, permission: str) -> str:
        return {"use": self.tr("use"), "export": self.tr("export"), "manage": self.tr("manage")}.get(permission,
                                                                                                     permission)

    def _update_revoke(self) -> None:
        uid = self._selected_recipient()
        self.revoke_button.setEnabled(uid is not None and self.details is not None and self._can_revoke
                                      and uid != self.details.model.owner_id)

    def _revoke(self) -> None:
        uid = self._selected_recipient()
        if uid is not None:
            self.sig_revoke_requested.emit(uid)
