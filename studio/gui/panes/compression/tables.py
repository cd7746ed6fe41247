"""The report table (one row per variant, ratios against the first), the samples side by side, and the
list of earlier reports of a model."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from studio.core.compression.report import human_bytes, table_rows
from studio.core.compression.results import EvalResult
from studio.core.stores.compression import CompressionReport


def _item(text: str, sort_value: float | None = None, align_right: bool = True) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if sort_value is not None:
        item.setData(Qt.ItemDataRole.UserRole, sort_value)
    return item


def _words() -> dict[str, str]:
    # each call spelled out: pyside6-lupdate reads only literal QCoreApplication.translate calls
    return {"original": QCoreApplication.translate("CompressionReport", "original"),
            "float": QCoreApplication.translate("CompressionReport", "float"),
            "prune": QCoreApplication.translate("CompressionReport", "prune"),
            "structured": QCoreApplication.translate("CompressionReport", "structured"),
            "global": QCoreApplication.translate("CompressionReport", "global"),
            "recover": QCoreApplication.translate("CompressionReport", "recover"),
            "magnitude": QCoreApplication.translate("CompressionReport", "magnitude"),
            "act-order": QCoreApplication.translate("CompressionReport", "act-order")}


def shown_label(label: str) -> str:
    """A variant's label or kernel in the interface language. The core writes them in a short notation,
    stored so in every language ("original", "prune 50% + int8", "int4-g32", kernel "float" or "dynamic x9");
    its words are translated here, where they are shown; numbers, formats and method names (int8, gptq,
    wanda) stay as they are."""
    words = _words()
    return " ".join(words.get(token, token) for token in label.split(" "))


def _fmt(v: float | None, spec: str, suffix: str = "") -> str:
    return "–" if v is None else f"{v:{spec}}{suffix}"


class _Table(QTableWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.setAlternatingRowColors(True)


def _finite(v):
    """None for a figure not measured (NaN, or the original's own KL)."""
    return None if v is None or (isinstance(v, float) and v != v) else v


class ReportTable(_Table):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        headers = [self.tr("Variant"), self.tr("File size"), self.tr("Size"), self.tr("Parameters"),
                   self.tr("Non-zeros"), self.tr("Perplexity"), self.tr("Change"), self.tr("KL"), self.tr("Top-1"),
                   self.tr("Tok/s b1"),
                   self.tr("Tok/s b8"), self.tr("Speed b1"), self.tr("ms/token"), self.tr("Kernel")]
        tips = [self.tr("What was done to the model"), self.tr("Size of the safetensors file"),
                self.tr("File size against the first row"), self.tr("Weights (a quantized weight counts as one)"),
                self.tr("Weights that are not zero"), self.tr("Perplexity on the chosen split (lower is better)"),
                self.tr("Perplexity change against the first row"),
                self.tr("Mean KL divergence of the next-token distribution from the original's, nats (0 = the same)"),
                self.tr("Share of positions where the original and this predict the same next token"),
                self.tr("Forward throughput at batch 1, tokens per second"),
                self.tr("Forward throughput at batch 8, tokens per second"),
                self.tr("Batch-1 throughput against the first row"),
                self.tr("Generation latency with the KV cache, milliseconds per new token"),
                self.tr("How the quantized layers ran")]
        self.setColumnCount(len(headers))
        self.setHorizontalHeaderLabels(headers)
        self.setWordWrap(False)
        self.horizontalHeader().setStretchLastSection(False)
        for i, tip in enumerate(tips):
            self.horizontalHeaderItem(i).setToolTip(tip)

    def set_results(self, results: Sequence[EvalResult]) -> None:
        rows = table_rows(list(results))
        self.setRowCount(len(rows))
        for i, r in enumerate(rows):
            cells = [
                _item(shown_label(r["variant"]), align_right=False), _item(human_bytes(r["file_bytes"])),
                _item(_fmt(r["size_ratio"], ".3f", "x")), _item(f"{r['parameters']:,}"), _item(f"{r['nonzeros']:,}"),
                _item(_fmt(r["perplexity"], ".4g")), _item(_fmt(r["ppl_change_pct"], "+.2f", "%")),
                _item(_fmt(_finite(r["kl"]), ".4f")), _item(_fmt(_finite(r["top1"]), ".1%")),
                _item(_fmt(r["tokens_per_s_b1"], ",.0f")), _item(_fmt(r["tokens_per_s_b8"], ",.0f")),
                _item(_fmt(r["speed_ratio_b1"], ".2f", "x")), _item(_fmt(r["ms_per_token"], ".2f")),
                _item(shown_label(r["kernel"]), align_right=False)]
            for j, cell in enumerate(cells):
                self.setItem(i, j, cell)


class SamplesTable(_Table):
    """One column per variant, one row per prompt: the same prompts' continuations side by side."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

    def set_results(self, results: Sequence[EvalResult]) -> None:
        self.clear()
        self.setColumnCount(len(results))
        self.setHorizontalHeaderLabels([shown_label(r.label) for r in results])
        n = max((len(r.samples) for r in results), default=0)
        self.setRowCount(n)
        for j, r in enumerate(results):
            for i, text in enumerate(r.samples):
                self.setItem(i, j, _item(text, align_right=False))


class HistoryTable(_Table):
    """Earlier reports of the chosen model, newest first."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        headers = [self.tr("When"), self.tr("What"), self.tr("From"), self.tr("To"), self.tr("Size"),
                   self.tr("Perplexity change"), self.tr("Dataset"), self.tr("By")]
        self.setColumnCount(len(headers))
        self.setHorizontalHeaderLabels(headers)
        self.reports: list[CompressionReport] = []

    def set_reports(self, reports: Sequence[CompressionReport]) -> None:
        self.reports = list(reports)
        self.setRowCount(len(self.reports))
        for i, rep in enumerate(self.reports):
            results = [EvalResult.from_dict(d) for d in rep.results]
            size = ppl = "–"
            if len(results) >= 2:
                row = table_rows(results)[-1]
                size = _fmt(row["size_ratio"], ".3f", "x")
                ppl = _fmt(row["ppl_change_pct"], "+.2f", "%")
            elif results and results[0].perplexity is not None:
                ppl = self.tr("ppl {value}").format(value=f"{results[0].perplexity:.4g}")
            label = shown_label(rep.label)
            what = label if rep.kind == "compress" else self.tr("evaluation of {label}").format(label=label)
            to = f"{rep.result_model_name} v{rep.result_version}" if rep.result_version is not None else "–"
            dataset = f"{rep.dataset} ({rep.split})" if rep.dataset else "–"
            cells = [rep.created_at.astimezone().strftime("%Y-%m-%d %H:%M"), what,
                     f"{rep.model_name} v{rep.source_version}", to, size, ppl, dataset, rep.created_by_name]
            for j, text in enumerate(cells):
                self.setItem(i, j, _item(text, align_right=j in (4, 5)))

    def selected_report(self) -> CompressionReport | None:
        rows = self.selectionModel().selectedRows() if self.selectionModel() else []
        return self.reports[rows[0].row()] if rows else None
