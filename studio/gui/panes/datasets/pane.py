"""The Datasets pane: the list of datasets, import (dialog, drag-and-drop, the sample) with progress and
cancel, and for the selected dataset its statistics, token-length histogram and a document preview."""

from __future__ import annotations

import logging

from PySide6.QtCore import QItemSelectionModel, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.core import operations as ops
from studio.core.datasets.options import ImportOptions
from studio.core.datasets.sample import SAMPLE_NAME, sample_options
from studio.core.errors import StudioError
from studio.core.stores.datasets import DatasetInfo
from studio.gui.concurrent import Task
from studio.gui.context import AppContext
from studio.gui.i18n import error_text
from studio.gui.panes.base import Pane
from studio.gui.panes.datasets.import_dialog import ImportDialog
from studio.gui.panes.datasets.list_model import SORT_ROLE, DatasetListModel
from studio.gui.panes.datasets.preview import DocumentTableModel, TokenView
from studio.gui.panes.datasets.stats_view import StatsView
from studio.gui.widgets.task_progress import TaskProgress

log = logging.getLogger(__name__)
CONTEXT_KEY = "datasets/context_length"


class DatasetsPane(Pane):
    sig_dataset_imported = Signal(object)  # DatasetInfo
    sig_dataset_selected = Signal(object)  # DatasetInfo or None

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.setAcceptDrops(True)
        self.task: Task | None = None
        self.reader = None
        self.current: DatasetInfo | None = None
        self.histogram = None
        layout = QVBoxLayout(self)
        layout.addLayout(self._toolbar())
        self.progress = TaskProgress()
        layout.addWidget(self.progress)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._list_side())
        splitter.addWidget(self._detail_side())
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        # the statistics' size hint is wide: left to it, the list got ~270 px and its Source column was cut
        splitter.setSizes([360, 640])
        layout.addWidget(splitter, 1)
        ctx.sig_session_changed.connect(lambda _session: self.refresh())  # another user sees other datasets
        self.refresh()

    # -- layout ------------------------------------------------------------------------------------------
    def _toolbar(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.import_button = QPushButton(self.tr("Import…"))
        self.import_button.clicked.connect(lambda: self.open_import_dialog())
        self.sample_button = QPushButton(self.tr("Import the sample"))
        self.sample_button.setToolTip(self.tr("About 1.5 MB of small stories, recipes and dialogues that a tiny model "
                                              "learns within minutes"))
        self.sample_button.clicked.connect(self.import_sample)
        self.rename_button = QPushButton(self.tr("Rename…"))
        self.rename_button.clicked.connect(self.rename_selected)
        self.tags_button = QPushButton(self.tr("Tags…"))
        self.tags_button.clicked.connect(self.tag_selected)
        self.delete_button = QPushButton(self.tr("Delete"))
        self.delete_button.clicked.connect(self.delete_selected)
        for b in (self.import_button, self.sample_button, self.rename_button, self.tags_button, self.delete_button):
            row.addWidget(b)
        row.addStretch(1)
        return row

    def _list_side(self) -> QWidget:
        side = QWidget()
        v = QVBoxLayout(side)
        v.setContentsMargins(0, 0, 0, 0)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText(self.tr("Filter by name, source or tag"))
        self.filter_edit.setClearButtonEnabled(True)
        v.addWidget(self.filter_edit)
        self.model = DatasetListModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(DatasetListModel.COLUMNS.index("created"), Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _i: self.tabs.setCurrentIndex(2))
        v.addWidget(self.table, 1)
        return side

    def _detail_side(self) -> QWidget:
        self.detail = QStackedWidget()
        self.empty_label = QLabel()
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.detail.addWidget(self.empty_label)
        self.tabs = QTabWidget()
        self.stats_view = StatsView()
        self.tabs.addTab(self.stats_view, self.tr("Statistics"))
        self.lengths_holder = QWidget()
        QVBoxLayout(self.lengths_holder).setContentsMargins(0, 0, 0, 0)
        self.tabs.addTab(self.lengths_holder, self.tr("Token lengths"))
        self.tabs.addTab(self._preview_tab(), self.tr("Preview"))
        self.tabs.currentChanged.connect(self._tab_changed)
        self.detail.addWidget(self.tabs)
        return self.detail

    def _preview_tab(self) -> QWidget:
        tab = QWidget()
        v = QVBoxLayout(tab)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Show")))
        self.split_combo = QComboBox()
        for label, value in ((self.tr("all documents"), None), (self.tr("train"), 0), (self.tr("validation"), 1),
                             (self.tr("test"), 2)):
            self.split_combo.addItem(label, value)
        self.split_combo.currentIndexChanged.connect(self._split_filter_changed)
        row.addWidget(self.split_combo)
        row.addStretch(1)
        v.addLayout(row)
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.doc_model = DocumentTableModel(None, self)
        self.doc_table = QTableView()
        self.doc_table.setModel(self.doc_model)
        self.doc_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.doc_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.doc_table.verticalHeader().hide()
        # fixed row heights: the view never measures rows it does not show (millions stay smooth)
        self.doc_table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.doc_table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.doc_table.setWordWrap(False)
        header = self.doc_table.horizontalHeader()
        header.setStretchLastSection(True)
        for column, width in enumerate((70, 80, 80, 70, 160)):
            self.doc_table.setColumnWidth(column, width)
        self.doc_table.selectionModel().currentRowChanged.connect(self._document_selected)
        splitter.addWidget(self.doc_table)
        bottom = QWidget()
        b = QVBoxLayout(bottom)
        b.setContentsMargins(0, 0, 0, 0)
        self.token_note = QLabel()
        self.token_note.setWordWrap(True)
        b.addWidget(self.token_note)
        self.token_view = TokenView()
        b.addWidget(self.token_view, 1)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        v.addWidget(splitter, 1)
        return tab

    # -- data --------------------------------------------------------------------------------------------
    def refresh(self, select_id: int | None = None) -> None:
        if self.ctx.session is None or self.ctx.session.locked:  # signed out or locked: show nothing
            self.model.set_infos([])
            self._show_dataset(None)
            self._update_buttons()
            return
        keep = select_id if select_id is not None else (self.current.id if self.current else None)
        try:
            infos = self.ctx.studio.datasets.list(self.ctx.actor)
        except StudioError as error:
            self._show_error(self.tr("Cannot list datasets"), error)
            infos = []
        self.model.set_infos(infos)
        self.empty_label.setText(self.tr(
            "No datasets yet.\n\nDrop a text file, a folder, JSON Lines, CSV or Parquet here, click Import…, "
            "or start with the sample."
        ) if not infos else self.tr("Select a dataset to see its statistics and documents."))
        if keep is not None and self.model.row_of(keep) >= 0:
            self.select(keep)
        elif infos:  # the newest (sorted newest first); after the window is up: opening it loads numpy
            QTimer.singleShot(0, self, self._select_first)  # cancelled if the pane goes first
            self._show_dataset(None)
        else:
            self._show_dataset(None)
        self._update_buttons()

    def _select_first(self) -> None:
        if self.current is None and self.proxy.rowCount():
            self.select(self.model.infos[self.proxy.mapToSource(self.proxy.index(0, 0)).row()].id)

    def select(self, dataset_id: int) -> None:
        row = self.model.row_of(dataset_id)
        if row < 0:
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.selectionModel().select(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.scrollTo(index)

    def selected(self) -> DatasetInfo | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.infos[self.proxy.mapToSource(rows[0]).row()]

    def _selection_changed(self, *_args) -> None:
        self._show_dataset(self.selected())
        self._update_buttons()

    def _show_dataset(self, info: DatasetInfo | None) -> None:
        if self.reader is not None:
            self.doc_model.set_reader(None)
            self.reader.close()
            self.reader = None
        self.current = info
        self.token_view.clear()
        self.token_note.clear()
        if info is None:
            self.detail.setCurrentIndex(0)
            self.sig_dataset_selected.emit(None)
            return
        self.detail.setCurrentIndex(1)
        if info.encrypted:  # the statistics about its content are kept encrypted: get() opens them
            try:
                info = self.ctx.studio.datasets.get(self.ctx.actor, info.id)
            except StudioError as error:
                log.info("cannot read the statistics of dataset %s: %s", info.id, error)
        self.stats_view.show_info(info)
        self._show_access(info)
        try:
            self.reader = self.ctx.studio.datasets.open_reader(self.ctx.actor, info.id)
        except StudioError as error:
            self._show_error(self.tr("Cannot open the dataset"), error)
        self._split_filter_changed()
        self._tab_changed(self.tabs.currentIndex())
        self.sig_dataset_selected.emit(info)

    def _show_access(self, info: DatasetInfo) -> None:
        studio, actor = self.ctx.studio, self.ctx.actor
        try:
            holders = studio.datasets.key_holders(actor, info.id)
            grants = None
            if studio.grants.can(actor, ops.GRANT_LIST, "dataset", info.id):  # owner, manager, administrator
                grants = studio.grants.list(actor, obj_type="dataset", obj_id=info.id)
        except StudioError as error:
            log.info("cannot read who holds dataset %s: %s", info.id, error)
            holders, grants = [], None
        self.stats_view.show_access(info, holders, grants)

    def _tab_changed(self, index: int) -> None:
        if index == 1 and self.reader is not None:
            if self.histogram is None:
                from studio.gui.panes.datasets.histogram import LengthHistogram

                context = int(self.ctx.settings.value(CONTEXT_KEY, 512))
                self.histogram = LengthHistogram(context)
                self.histogram.sig_context_changed.connect(lambda v: self.ctx.settings.setValue(CONTEXT_KEY, v))
                self.lengths_holder.layout().addWidget(self.histogram)
            self.histogram.set_lengths(self.reader.token_lengths())

    def _split_filter_changed(self, *_args) -> None:
        self.doc_model.set_reader(self.reader, self.split_combo.currentData())
        if self.reader is not None and self.doc_model.rowCount():
            self.doc_table.selectRow(0)

    def _document_selected(self, current, _previous) -> None:
        if self.reader is None or not current.isValid():
            return
        doc = self.doc_model.document_at(current.row())
        text = self.reader.text(doc)
        spans = self.reader.token_spans(doc, max_chars=TokenView.MAX_CHARS)
        self.token_view.show_document(text, spans, self.reader.tokenizer.token_text)
        note = self.tr("Document {n:,} from {origin}: {chars:,} characters, {tokens:,} tokens. Hover over a token "
                       "to see its id.").format(n=doc + 1, origin=self.reader.origin(doc), chars=len(text),
                                                 tokens=int(self.reader.store.tokens[doc]["count"]))
        if len(text) > TokenView.MAX_CHARS:
            note += " " + self.tr("Showing the first {n:,} characters.").format(n=TokenView.MAX_CHARS)
        if self.reader.sft:
            note += " " + self.tr("Grey tokens are prompt tokens that training does not learn.")
        self.token_note.setText(note)

    def _update_buttons(self) -> None:
        busy = self.task is not None
        signed_in = self.ctx.session is not None and not self.ctx.session.locked
        service = self.ctx.studio.datasets

        def may(action: str, dataset_id: int | None = None) -> bool:  # greyed out what the policy refuses
            return signed_in and service.can(self.ctx.session, action, "dataset" if dataset_id else None, dataset_id)

        may_import = may(ops.DATASET_IMPORT)
        self.import_button.setEnabled(not busy and may_import)
        self.sample_button.setEnabled(not busy and may_import)
        dataset_id = self.current.id if self.current is not None else None
        may_update = dataset_id is not None and may(ops.DATASET_UPDATE, dataset_id)
        may_delete = dataset_id is not None and may(ops.DATASET_DELETE, dataset_id)
        for b, allowed in ((self.rename_button, may_update), (self.tags_button, may_update),
                           (self.delete_button, may_delete)):
            b.setEnabled(allowed and not busy)

    # -- import ------------------------------------------------------------------------------------------
    def open_import_dialog(self, path: str = "") -> ImportDialog | None:
        if self.task is not None:
            return None
        actor = self.ctx.actor
        dialog = ImportDialog(path, self, check=lambda o: self.ctx.studio.datasets.check_import(actor, o),
                              models=self._tokenizer_models())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.start_import(dialog.options))
        dialog.open()
        return dialog

    def _tokenizer_models(self) -> list[str]:
        """The vault models whose tokenizer an import may use: a stored tokenizer, not an adapter (it has its
        base's). A locked or absent vault offers none."""
        from studio.core.vault.facts import version_facts

        vault = getattr(self.ctx.studio, "vault", None)
        try:
            models = vault.list_models(self.ctx.actor) if vault is not None else []
        except StudioError:
            return []
        usable = []
        for m in models:
            facts = version_facts(m.latest)
            if m.latest is not None and facts.tokenizer and not facts.adapter:
                usable.append(m.name)
        return sorted(usable, key=str.lower)

    def import_sample(self) -> None:
        names = {i.name for i in self.model.infos}
        name, n = SAMPLE_NAME, 2
        while name in names:
            name, n = f"{SAMPLE_NAME} ({n})", n + 1
        self.start_import(sample_options(name))

    def start_import(self, options: ImportOptions | None) -> None:
        if options is None or self.task is not None:
            return
        task = Task(self.ctx.studio.datasets.import_dataset, self.ctx.actor, options, parent=self)
        self.task = task
        task.sig_task_finished.connect(self._import_finished)
        task.sig_task_failed.connect(lambda error: self._show_error(self.tr("The import failed"), error))
        task.sig_task_cancelled.connect(lambda: self.ctx.sig_status_message.emit(self.tr("Import cancelled.")))
        task.sig_task_done.connect(self._import_done)
        self.progress.bind(task)
        self._update_buttons()
        task.start()

    def _import_finished(self, info: DatasetInfo) -> None:
        message = self.tr("Imported {name}: {docs:,} documents, {tokens:,} tokens.").format(
            name=info.name, docs=info.documents, tokens=info.tokens)
        if info.removed_sources:
            message += " " + self.tr("Removed the source ({n} file(s) and folder(s)).").format(n=len(info.removed_sources))
        self.ctx.sig_status_message.emit(message)
        self.refresh(select_id=info.id)
        self.sig_dataset_imported.emit(info)

    def _import_done(self) -> None:
        if self.task is not None:
            self.task.deleteLater()
        self.task = None
        self._update_buttons()

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        urls = event.mimeData().urls()
        if self.task is None and urls and all(u.isLocalFile() for u in urls):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt override
        urls = event.mimeData().urls()
        if urls:
            event.acceptProposedAction()
            self.open_import_dialog(urls[0].toLocalFile())

    # -- changes -----------------------------------------------------------------------------------------
    def rename_selected(self) -> None:
        info = self.selected()
        if info is None:
            return
        name, ok = QInputDialog.getText(self, self.tr("Rename dataset"), self.tr("New name:"), text=info.name)
        if ok and name.strip() and name.strip() != info.name:
            self._change(lambda: self.ctx.studio.datasets.rename(self.ctx.actor, info.id, name))

    def tag_selected(self) -> None:
        info = self.selected()
        if info is None:
            return
        text, ok = QInputDialog.getText(self, self.tr("Tags"), self.tr("Tags (comma-separated):"),
                                        text=", ".join(info.tags))
        if ok:
            tags = [t.strip() for t in text.split(",") if t.strip()]
            self._change(lambda: self.ctx.studio.datasets.set_tags(self.ctx.actor, info.id, tags))

    def delete_selected(self) -> None:
        info = self.selected()
        if info is None:
            return
        try:
            users = self.ctx.studio.datasets.dependents(self.ctx.actor, info.id)
        except StudioError as error:
            self._show_error(self.tr("Cannot delete"), error)
            return
        if users:
            QMessageBox.warning(self, self.tr("Cannot delete"), self.tr(
                "The dataset {name} is used by {users}. Delete those first.").format(name=info.name, users=", ".join(users)))
            return
        answer = QMessageBox.question(self, self.tr("Delete dataset"), self.tr(
            "Delete the dataset {name} and its token arrays? This cannot be undone.").format(name=info.name))
        if answer == QMessageBox.StandardButton.Yes:
            self._show_dataset(None)  # closes its files first
            self._change(lambda: self.ctx.studio.datasets.delete(self.ctx.actor, info.id), select=False)

    def _change(self, action, select: bool = True) -> None:
        try:
            info = action()
        except StudioError as error:
            self._show_error(self.tr("The change failed"), error)
            return
        self.current = None
        self.refresh(select_id=info.id if select else None)

    def _show_error(self, title: str, error: Exception) -> None:
        log.info("%s: %s", title, error)
        QMessageBox.warning(self, title, error_text(error))

    def pane_shown(self) -> None:
        if self.task is None:
            self.refresh()
