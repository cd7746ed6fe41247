"""The report table's columns: for each, a short header with its unit, a full name, what it means, how a row's
figure is written, and whether it is shown before the user chooses. Shown by default is the comparison that
matters, and it fits a 1280x800 window without scrolling sideways: what was done, how sparse, how many bits a
weight takes, how big, how much worse, how fast, how long it took. The rest is one right-click away (and in
each row's tooltip)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication

from studio.gui.recipe_words import shown_label


def finite(v: Any) -> Any:
    """None for a figure not measured (NaN, or the original's own KL)."""
    return None if v is None or (isinstance(v, float) and v != v) else v


def fmt(v: float | None, spec: str, suffix: str = "") -> str:
    return "–" if v is None else f"{v:{spec}}{suffix}"


def _ratio(value: float | None, spread: float | None) -> str:
    """"1.23 ±0.04": a paired speed ratio and its spread over the rounds (the unit, x, is in the header)."""
    if value is None:
        return "–"
    return f"{value:.2f}" + (f" ±{spread:.2f}" if spread else "")


def _seconds(v: float | None) -> str:
    """Two significant digits below ten seconds (a tiny model compresses in 0.04 s), tenths up to 100."""
    if v is None:
        return "–"
    if v < 0.01:
        return "<0.01"
    return f"{v:.2g}" if v < 10 else f"{v:,.1f}" if v < 100 else f"{v:,.0f}"


_UNITS = ((1e9, "GB"), (1e6, "MB"), (1e3, "KB"), (1.0, "B"))


def size_unit(rows: Sequence[dict[str, Any]]) -> tuple[float, str]:
    """One unit for the whole size column (the largest file's), so sizes compare at a glance."""
    largest = max((r["file_bytes"] for r in rows), default=0)
    return next(((scale, name) for scale, name in _UNITS if largest >= scale), (1e6, "MB"))


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # short, with its unit
    name: str  # the full name: the column menu, the header's tooltip, the row's details
    tip: str  # what it means
    shown: bool  # before the user chooses
    cell: Callable[[dict[str, Any]], str]
    left: bool = False  # text, aligned left (figures align right)


def columns(rows: Sequence[dict[str, Any]] = ()) -> list[Column]:
    """The columns in their order; the size column's unit is that of `rows`."""
    translate = QCoreApplication.translate  # lupdate reads literal translate("context", "text") calls
    scale, unit = size_unit(rows)
    size_spec = ".0f" if unit == "B" else ".2f"
    return [
        Column("variant", translate("ReportTable", "Variant"), translate("ReportTable", "Variant"),
               translate("ReportTable", "What was done to the model: pruning method and share, quantization format and bits"), True,
               lambda r: shown_label(r["variant"]), left=True),
        Column("sparsity", translate("ReportTable", "Sparse %"), translate("ReportTable", "Sparsity (%)"),
               translate("ReportTable", "Share of the original's weights that are zero or removed; the embeddings are not pruned, so "
                   "it stays below the recipe's share"), True,
               lambda r: fmt(None if r["sparsity"] is None else r["sparsity"] * 100, ".1f")),
        Column("bits", translate("ReportTable", "Bits/w"), translate("ReportTable", "Bits per weight"),
               translate("ReportTable", "File size in bits over the number of weights, scales and float tensors included"), True,
               lambda r: fmt(r["bits_per_weight"], ".2f")),
        Column("file_size", translate("ReportTable", "Size ({unit})").format(unit=unit), translate("ReportTable", "File size ({unit})").format(unit=unit),
               translate("ReportTable", "Size of the safetensors file"), True, lambda r: f"{r['file_bytes'] / scale:{size_spec}}"),
        Column("size_ratio", translate("ReportTable", "Size ×"), translate("ReportTable", "Size against the original (×)"),
               translate("ReportTable", "File size against the first row"), True, lambda r: fmt(r["size_ratio"], ".3f")),
        Column("perplexity", translate("ReportTable", "PPL"), translate("ReportTable", "Perplexity"), translate("ReportTable", "Perplexity on the chosen split (lower is better)"),
               True, lambda r: fmt(r["perplexity"], ".4g")),
        Column("ppl_change", translate("ReportTable", "ΔPPL %"), translate("ReportTable", "Perplexity change (%)"),
               translate("ReportTable", "Perplexity change against the first row"), True, lambda r: fmt(r["ppl_change_pct"], "+.2f")),
        Column("speed_b1", translate("ReportTable", "Speed ×"), translate("ReportTable", "Speed at batch 1 (×)"),
               translate("ReportTable", "Batch-1 throughput against the original timed together with it, ± its spread over the rounds"),
               True, lambda r: _ratio(r["speed_ratio_b1"], r["speed_spread_b1"])),
        Column("time", translate("ReportTable", "Took (s)"), translate("ReportTable", "Compression time (s)"), translate("ReportTable", "How long the compression took, seconds"),
               True, lambda r: _seconds(r["compress_seconds"])),
        Column("kl", translate("ReportTable", "KL (nat)"), translate("ReportTable", "KL divergence (nats)"),
               translate("ReportTable", "Mean KL divergence of the next-token distribution from the original's, nats (0 = the same)"),
               False, lambda r: fmt(finite(r["kl"]), ".4f")),
        Column("top1", translate("ReportTable", "Top-1 %"), translate("ReportTable", "Top-1 agreement (%)"),
               translate("ReportTable", "Share of positions where the original and this predict the same next token"), False,
               lambda r: fmt(None if finite(r["top1"]) is None else r["top1"] * 100, ".1f")),
        Column("parameters", translate("ReportTable", "Params"), translate("ReportTable", "Parameters"), translate("ReportTable", "Weights (a quantized weight counts as one)"),
               False, lambda r: f"{r['parameters']:,}"),
        Column("nonzeros", translate("ReportTable", "Non-zeros"), translate("ReportTable", "Non-zero weights"), translate("ReportTable", "Weights that are not zero"), False,
               lambda r: f"{r['nonzeros']:,}"),
        Column("tokens_b1", translate("ReportTable", "Tok/s b1"), translate("ReportTable", "Tokens per second at batch 1"),
               translate("ReportTable", "Forward throughput at batch 1, tokens per second"), False,
               lambda r: fmt(r["tokens_per_s_b1"], ",.0f")),
        Column("tokens_b8", translate("ReportTable", "Tok/s b8"), translate("ReportTable", "Tokens per second at batch 8"),
               translate("ReportTable", "Forward throughput at batch 8, tokens per second"), False,
               lambda r: fmt(r["tokens_per_s_b8"], ",.0f")),
        Column("speed_b8", translate("ReportTable", "Speed b8 ×"), translate("ReportTable", "Speed at batch 8 (×)"),
               translate("ReportTable", "Batch-8 throughput against the original timed together with it, ± its spread over the rounds"),
               False, lambda r: _ratio(r["speed_ratio_b8"], r["speed_spread_b8"])),
        Column("ms_per_token", translate("ReportTable", "ms/tok"), translate("ReportTable", "Generation latency (ms per token)"),
               translate("ReportTable", "Generation latency with the KV cache, milliseconds per new token"), False,
               lambda r: fmt(r["ms_per_token"], ".2f")),
        Column("latency", translate("ReportTable", "Gen ×"), translate("ReportTable", "Generation speed-up (×)"),
               translate("ReportTable", "Generation latency of the original over this one's, timed together, ± its spread"), False,
               lambda r: _ratio(r["latency_speedup"], r["latency_spread"])),
        Column("repeats", translate("ReportTable", "Rounds"), translate("ReportTable", "Speed rounds"),
               translate("ReportTable", "How many paired rounds the speed figures come from"), False,
               lambda r: fmt(r["speed_repeats"], "d")),
        Column("kernel", translate("ReportTable", "Kernel"), translate("ReportTable", "Kernel"), translate("ReportTable", "How the quantized layers ran"), False,
               lambda r: shown_label(r["kernel"]), left=True),
        Column("calibration", translate("ReportTable", "Calibration"), translate("ReportTable", "Calibration data"),
               translate("ReportTable", "The data the calibrated methods learnt from: dataset/split, windows x tokens"), False,
               lambda r: r["calibration"] or "–", left=True),
    ]


def default_keys() -> tuple[str, ...]:
    return tuple(c.key for c in columns() if c.shown)
