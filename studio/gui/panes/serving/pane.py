"""The Serving pane: choose vault models, start and stop the OpenAI-compatible server, and watch it: the
served models, a live table of requests (user, model, tokens in and out, latency, outcome) and tokens/s.

The server runs in this process on its own threads (uvicorn, one engine per model, the audit writer), started
and stopped through `studio.serving` on a worker thread, as the CLI's `studio serve` is; nothing secret
crosses a process boundary. The pane only reads the server's in-memory request list on a timer. The server
belongs to the user who started it: it stops when they sign out or another user signs in.
"""

from __future__ import annotations

import html
import time
from collections import deque

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from studio.core.serving.backends import BACKENDS
from studio.core.serving.options import DEFAULT_PORT, ServeOptions, is_loopback
from studio.gui.concurrent import Task
from studio.gui.context import AppContext
from studio.gui.i18n import core_text, error_text
from studio.gui.panes.base import Pane
from studio.gui.panes.serving.requests_model import RequestsModel
from studio.gui.version_text import architecture_text

POLL_MS = 250
RATE_WINDOW_S = 3.0


def _models(vault, serving, actor, *, state):
    """The servable models, and for each back-end but torch why it cannot serve each of them (serving's own
    check, which `studio serve --backend` and Start go through): None where it can."""
    models = [m for m in vault.list_models(actor) if m.latest is not None]
    refusals = {}
    for backend in BACKENDS:
        missing = serving.backend_refusal(actor, None, backend)
        refusals[backend] = {"": missing} | {
            f"{m.name}:{m.latest.number}": missing or serving.backend_refusal(actor, f"{m.name}:{m.latest.number}",
                                                                              backend) for m in models}
    return models, refusals


def _start(serving, actor, refs, options, *, state):
    return serving.start(actor, refs, options)


def _stop(serving, actor, server, *, state):
    serving.stop(actor, server)
    return server


def _wrapped(*paragraphs: str) -> str:
    """Rich text, so that Qt wraps a long tooltip instead of showing one screen-wide line."""
    return "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)


class ServingPane(Pane):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.server = None
        self._task: Task | None = None
        self._seen_at = 0.0
        self._samples: deque[tuple[float, int]] = deque()
        self._operator = None
        self._refusals: dict[str, dict[str, object]] = {}  # back-end -> ref ("" = installed?) -> Message

        heading = QLabel(self.tr("Serving"))
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        heading.setFont(font)
        intro = QLabel(self.tr("Serve vault models over an OpenAI-compatible HTTP API. Clients send an API key "
                               "(Users & Access → API keys); every request is checked as the key's user and "
                               "recorded in the audit log."))
        intro.setWordWrap(True)

        self.models_list = QListWidget()
        self.models_list.setObjectName("servingModels")
        self.models_list.setMaximumHeight(120)
        self.host = QLineEdit(ServeOptions().host)
        self.port = QSpinBox()
        self.port.setRange(0, 65535)
        self.port.setValue(DEFAULT_PORT)
        self.batch = QSpinBox()
        self.batch.setRange(1, 64)
        self.batch.setValue(ServeOptions().max_batch)
        self.backend = QComboBox()
        self.backend.setObjectName("servingBackend")
        names = {"torch": self.tr("torch (the studio's own numerics)"),
                 "llama.cpp": self.tr("llama.cpp (GGUF in memory; faster on a CPU)")}
        for name in BACKENDS:
            self.backend.addItem(names.get(name, name), name)
        self.start_button = QPushButton(self.tr("Start"))
        self.stop_button = QPushButton(self.tr("Stop"))
        self.refresh_button = QPushButton(self.tr("Refresh models"))
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #c07000;")
        self.status = QLabel(self.tr("Stopped."))
        self.status.setObjectName("servingStatus")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setWordWrap(True)

        form = QFormLayout()
        form.addRow(self.tr("Address"), self.host)
        form.addRow(self.tr("Port"), self.port)
        form.addRow(self.tr("Batch size"), self.batch)
        form.addRow(self.tr("Back-end"), self.backend)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        left = QVBoxLayout()
        left.addWidget(QLabel(self.tr("Models to serve")))
        left.addWidget(self.models_list)
        top = QGridLayout()
        top.addLayout(left, 0, 0)
        top.addLayout(form, 0, 1)
        top.setColumnStretch(0, 3)
        top.setColumnStretch(1, 2)

        self.stats = {name: QLabel("—") for name in ("served", "requests", "rate", "load", "errors")}
        stats = QGridLayout()
        titles = {"served": self.tr("Served models"), "requests": self.tr("Requests"),
                  "rate": self.tr("Tokens/s"), "load": self.tr("Generating / waiting"),
                  "errors": self.tr("Refused or failed")}
        for i, (key, label) in enumerate(self.stats.items()):
            label.setObjectName(f"servingStat_{key}")
            caption = QLabel(titles[key])
            bold = label.font()
            bold.setBold(True)
            label.setFont(bold)
            stats.addWidget(caption, 0, i)
            stats.addWidget(label, 1, i)

        self.requests = RequestsModel(self)
        self.table = QTableView()
        self.table.setObjectName("servingRequests")
        self.table.setModel(self.requests)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        for col, width in enumerate((70, 90, 90, 120, 70, 75, 85, 95)):
            self.table.setColumnWidth(col, width)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addLayout(top)
        layout.addLayout(buttons)
        layout.addWidget(self.warning)
        layout.addWidget(self.status)
        layout.addLayout(stats)
        layout.addWidget(self.table, 1)
        self.warning.hide()

        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.refresh_button.clicked.connect(self.load_models)
        self.host.textChanged.connect(self._host_changed)
        self.models_list.itemChanged.connect(lambda _item: self._update_backends())
        self.backend.currentIndexChanged.connect(lambda _i: self._update_backends())
        ctx.sig_session_changed.connect(self._session_changed)
        self._update_buttons()
        self.load_models()

    # -- models --------------------------------------------------------------------------------------------
    def load_models(self) -> Task | None:
        if self.ctx.session is None or self._task is not None:
            return None
        return self._run(_models, self.ctx.studio.vault, self.ctx.studio.serving, self.ctx.actor,
                         done=self._models_loaded)

    def _models_loaded(self, result: tuple) -> None:
        models, self._refusals = result
        checked = set(self.chosen())
        self.models_list.blockSignals(True)
        self.models_list.clear()
        for m in models:
            ref = f"{m.name}:{m.latest.number}"
            item = QListWidgetItem(f"{ref}  —  {architecture_text(m.latest)}".rstrip(" —"))
            item.setData(Qt.ItemDataRole.UserRole, ref)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if ref in checked or (not checked and len(models) == 1)
                               else Qt.CheckState.Unchecked)
            self.models_list.addItem(item)
        self.models_list.blockSignals(False)
        self._update_backends()
        if not models:
            self.status.setText(self.tr("No model to serve: train one, or import one into the Vault."))

    def chosen(self) -> list[str]:
        out = []
        for i in range(self.models_list.count()):
            item = self.models_list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(item.data(Qt.ItemDataRole.UserRole))
        return out

    def set_chosen(self, refs: list[str]) -> None:
        for i in range(self.models_list.count()):
            item = self.models_list.item(i)
            on = item.data(Qt.ItemDataRole.UserRole) in refs
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def backend_refusal(self, backend: str) -> str | None:
        """Why `backend` cannot serve the ticked models (the first reason, translated), None when it can."""
        reasons = self._refusals.get(backend, {})
        for ref in ["", *self.chosen()]:
            if reasons.get(ref) is not None:
                return core_text(reasons[ref])
        return None

    def _update_backends(self) -> None:
        """Each back-end that cannot serve the ticked models is disabled, its reason as the tooltip; a
        disabled choice falls back to torch."""
        items: QStandardItemModel = self.backend.model()
        for i in range(self.backend.count()):
            reason = self.backend_refusal(self.backend.itemData(i))
            item = items.item(i)
            item.setEnabled(reason is None)
            item.setToolTip(_wrapped(reason) if reason else "")
            if reason is not None and self.backend.currentIndex() == i:
                self.backend.setCurrentIndex(self.backend.findData("torch"))
        chosen = self.backend.currentData()
        unavailable = [r for b in BACKENDS if b != chosen and (r := self.backend_refusal(b))]
        self.backend.setToolTip(_wrapped(*unavailable) if unavailable else _wrapped(
            self.tr("The torch back-end computes exactly what the studio's own generation does; llama.cpp runs the "
                    "model's GGUF, written into memory only.")))

    # -- start and stop ----------------------------------------------------------------------------------------
    def options(self) -> ServeOptions:
        return ServeOptions(host=self.host.text().strip() or "127.0.0.1", port=self.port.value(),
                            max_batch=self.batch.value(), backend=self.backend.currentData())

    def start(self) -> Task | None:
        refs = self.chosen()
        if not refs:
            self.status.setText(self.tr("Tick at least one model to serve."))
            return None
        if self.server is not None or self._task is not None:
            return None
        self._operator = self.ctx.actor
        self.status.setText(self.tr("Decrypting {models} and starting…").format(models=", ".join(refs)))
        return self._run(_start, self.ctx.studio.serving, self._operator, refs, self.options(), done=self._started)

    def _started(self, server) -> None:
        self.server = server
        self._seen_at = 0.0
        self._samples.clear()
        self.requests.clear()
        self.status.setText(self.tr("Serving at {url} — clients: base_url={url}, api_key=<an API key>.")
                            .format(url=server.url))
        self.stats["served"].setText(", ".join(m.id for m in server.models))
        self.timer.start()
        self.poll()

    def stop(self) -> Task | None:
        if self.server is None or self._task is not None:
            return None
        self.status.setText(self.tr("Stopping…"))
        return self._run(_stop, self.ctx.studio.serving, self._operator, self.server, done=self._stopped)

    def _stopped(self, server) -> None:
        self.poll()
        self.timer.stop()
        self.server = None
        self.status.setText(self.tr("Stopped."))
        self.stats["load"].setText("—")
        self.stats["rate"].setText("—")

    def _run(self, fn, *args, done) -> Task:
        task = Task(fn, *args, parent=self)
        task.sig_task_finished.connect(lambda result: self._finished(done, result))
        task.sig_task_failed.connect(self._failed)
        self._task = task
        task.start()
        self._update_buttons()
        return task

    def _finished(self, done, result) -> None:
        self._task = None
        done(result)
        self._update_buttons()

    def _failed(self, error: Exception) -> None:
        self._task = None
        self.status.setText(self.tr("Could not do it: {error}").format(error=error_text(error)))
        self._update_buttons()

    def _update_buttons(self) -> None:
        idle = self._task is None
        signed_in = self.ctx.session is not None
        self.start_button.setEnabled(idle and signed_in and self.server is None)
        self.stop_button.setEnabled(idle and self.server is not None)
        self.refresh_button.setEnabled(idle and signed_in)
        for w in (self.host, self.port, self.batch, self.backend, self.models_list):
            w.setEnabled(self.server is None)

    def _host_changed(self, text: str) -> None:
        host = text.strip()
        show = bool(host) and not is_loopback(host)
        self.warning.setText(self.tr("Other machines can reach {host}: the server speaks plain HTTP (keys and text "
                                     "cross the network unencrypted; put a TLS proxy in front), and anyone who "
                                     "reaches it can try keys.").format(host=host) if show else "")
        self.warning.setVisible(show)

    # -- watching --------------------------------------------------------------------------------------------
    def poll(self) -> None:
        server = self.server
        if server is None:
            return
        new = server.recent(self._seen_at)
        if new:
            self._seen_at = new[-1].at
            self.requests.add(new)
        now = time.monotonic()
        self._samples.append((now, server.tokens_generated()))
        while len(self._samples) > 2 and now - self._samples[0][0] > RATE_WINDOW_S:
            self._samples.popleft()
        (t0, n0), (t1, n1) = self._samples[0], self._samples[-1]
        rate = (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0
        records = list(server.records)
        self.stats["requests"].setText(str(len(records)))
        self.stats["errors"].setText(str(sum(1 for r in records if r.status not in (200, 499))))
        self.stats["rate"].setText(f"{rate:.0f}")
        live = [m.engine.load for m in server.models]
        self.stats["load"].setText(f"{sum(a for a, _ in live)} / {sum(b for _, b in live)}")

    # -- the pane's life ------------------------------------------------------------------------------------
    def _session_changed(self, session) -> None:
        if self.server is not None and (session is None or session.user_id != getattr(self._operator, "user_id", None)):
            self.shutdown()
        self._update_buttons()
        if session is not None:
            self.load_models()

    def working(self) -> bool:
        """A running server is work the pane would lose: a language change rebuilds it after the server stops."""
        return self.server is not None or super().working()

    def close_requested(self) -> bool:
        if self.server is None:
            return True
        answer = QMessageBox.question(self, self.tr("Stop the server?"),
                                      self.tr("The server at {url} is running. Closing the window stops it.")
                                      .format(url=self.server.url),
                                      QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Ok

    def shutdown(self) -> None:
        self.timer.stop()
        if self._task is not None:
            self._task.wait(30)
        server, self.server = self.server, None
        if server is not None:
            self.ctx.studio.serving.stop(self._operator, server)
