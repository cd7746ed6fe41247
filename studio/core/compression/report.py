"""The comparison report: rows of EvalResult (the original first), as CSV and as one self-contained HTML
file with inline SVG charts (size vs perplexity, speed), the table and the samples side by side. No
scripts, no external files: the HTML opens anywhere and can be mailed or archived as it is."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any

from studio.core.compression.results import EvalResult

COLUMNS = ("variant", "file_bytes", "size_ratio", "sparsity", "bits_per_weight", "parameters", "nonzeros",
           "perplexity", "ppl_change_pct", "kl", "top1", "tokens_per_s_b1", "tokens_per_s_b8", "speed_ratio_b1",
           "speed_spread_b1", "speed_ratio_b8", "speed_spread_b8", "ms_per_token", "latency_speedup",
           "latency_spread", "speed_repeats", "kernel", "compress_seconds", "calibration")
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")


def ratios(row: EvalResult, base: EvalResult) -> dict[str, float | None]:
    """Size and perplexity of `row` relative to `base` (the original); speed relative to the baseline that was
    timed together with the row (row.speed), as measured; a row timed alone has none. Rows from reports made
    before paired timing (speed None, in both) were measured in one run and are compared with their base."""
    ppl = None
    if row.perplexity is not None and base.perplexity:
        ppl = (row.perplexity / base.perplexity - 1.0) * 100.0
    out: dict[str, float | None] = {
        "size_ratio": row.file_bytes / base.file_bytes if base.file_bytes else None,
        "ppl_change_pct": ppl,
    }
    for unit, key, spread in (("b1", "speed_ratio_b1", "speed_spread_b1"), ("b8", "speed_ratio_b8", "speed_spread_b8"),
                              ("latency", "latency_speedup", "latency_spread")):
        paired = row.speed_ratio(unit)
        out[key], out[spread] = paired if paired is not None else (None, None)
    if row is base:
        out.update(speed_ratio_b1=1.0, speed_ratio_b8=1.0, latency_speedup=1.0)
    elif row.speed is None and base.speed is None:
        out["speed_ratio_b1"] = _div(row.tokens_per_s_b1, base.tokens_per_s_b1)
        out["speed_ratio_b8"] = _div(row.tokens_per_s_b8, base.tokens_per_s_b8)
        out["latency_speedup"] = _div(base.ms_per_token, row.ms_per_token)
    return out


def _div(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or not b or not math.isfinite(a) or not math.isfinite(b):
        return None
    return a / b


def table_rows(results: Sequence[EvalResult]) -> list[dict[str, Any]]:
    if not results:
        return []
    base = results[0]
    out = []
    for r in results:
        row: dict[str, Any] = {"variant": r.label, "file_bytes": r.file_bytes, "parameters": r.parameters,
                               "nonzeros": r.nonzeros, "perplexity": r.perplexity, "kl": r.kl, "top1": r.top1,
                               "tokens_per_s_b1": r.tokens_per_s_b1, "tokens_per_s_b8": r.tokens_per_s_b8,
                               "ms_per_token": r.ms_per_token, "kernel": r.kernel,
                               "speed_repeats": (r.speed or {}).get("repeats"),
                               "compress_seconds": r.compress_seconds,
                               "calibration": calibration_text(r.calibration),
                               # zero or removed, against the original's weights (structured pruning removes)
                               "sparsity": 1.0 - r.nonzeros / base.parameters if base.parameters else None,
                               "bits_per_weight": r.file_bytes * 8 / r.parameters if r.parameters else None}
        row.update(ratios(r, base))
        out.append(row)
    return out


def calibration_text(calibration: dict[str, Any] | None) -> str:
    """"sample/train, 128 x 128 tokens" (empty without calibration)."""
    if not calibration:
        return ""
    where = "/".join(str(x) for x in (calibration.get("dataset"), calibration.get("split")) if x)
    return f"{where}, {calibration.get('samples')} x {calibration.get('seq_len')} tokens".strip(", ")


def to_csv(results: Sequence[EvalResult]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row in table_rows(results):
        writer.writerow({k: _csv_value(row.get(k)) for k in COLUMNS})
    return buf.getvalue()


def _csv_value(v: Any) -> Any:
    if isinstance(v, float):
        return f"{v:.6g}"
    return "" if v is None else v


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1000
    return f"{n:.2f} GB"


def speed_text(ratio: float | None, spread: float | None) -> str:
    """"1.23x ±0.04" (the spread over the paired rounds), "1.00x" for the baseline, "–" without a pair."""
    if ratio is None or not math.isfinite(ratio):
        return "–"
    return f"{ratio:.2f}x" + (f" ±{spread:.2f}" if spread else "")


def _fmt(v: Any, spec: str = ".3g", suffix: str = "") -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return f"{v:{spec}}{suffix}"


# --- SVG charts ------------------------------------------------------------------------------------------


def scatter_svg(results: Sequence[EvalResult], width: int = 520, height: int = 320) -> str:
    """Size on disk (x) against perplexity (y), one labelled point per variant."""
    pts = [(r.file_bytes, r.perplexity, r.label) for r in results if r.perplexity is not None]
    if not pts:
        return "<p>No perplexity was measured (no dataset was chosen).</p>"
    left, right, top, bottom = 64, 16, 16, 44
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x0, x1 = 0.0, max(xs) * 1.08
    y_lo, y_hi = min(ys), max(ys)
    pad = (y_hi - y_lo) * 0.15 or y_hi * 0.05 or 1.0
    y0, y1 = y_lo - pad, y_hi + pad

    def sx(v: float) -> float:
        return left + (v - x0) / (x1 - x0) * (width - left - right)

    def sy(v: float) -> float:
        return height - bottom - (v - y0) / (y1 - y0) * (height - top - bottom)

    parts = [_svg_open(width, height, "Size against perplexity"), _axes(width, height, left, right, top, bottom)]
    for k in range(5):
        xv = x0 + (x1 - x0) * k / 4
        yv = y0 + (y1 - y0) * k / 4
        parts.append(f'<text x="{sx(xv):.1f}" y="{height - bottom + 16}" text-anchor="middle" class="tick">'
                     f'{escape(human_bytes(xv))}</text>')
        parts.append(f'<text x="{left - 6}" y="{sy(yv) + 4:.1f}" text-anchor="end" class="tick">{yv:.3g}</text>')
    for i, (x, y, label) in enumerate(pts):
        color = PALETTE[i % len(PALETTE)]
        parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="5" fill="{color}"><title>{escape(label)}: '
                     f'{escape(human_bytes(x))}, perplexity {y:.4g}</title></circle>')
        parts.append(f'<text x="{sx(x) + 8:.1f}" y="{sy(y) - 6:.1f}" class="label">{escape(label)}</text>')
    parts.append(f'<text x="{(left + width - right) / 2}" y="{height - 6}" text-anchor="middle" class="axis">'
                 'file size</text>')
    parts.append(f'<text x="14" y="{(top + height - bottom) / 2}" text-anchor="middle" class="axis" '
                 f'transform="rotate(-90 14 {(top + height - bottom) / 2})">perplexity</text>')
    parts.append("</svg>")
    return "".join(parts)


def speed_svg(results: Sequence[EvalResult], width: int = 520, height: int = 320) -> str:
    """Grouped bars: speed relative to the original at batch 1, batch 8 and for generation latency."""
    if not results:
        return ""
    base = results[0]
    series = [("batch 1", "speed_ratio_b1"), ("batch 8", "speed_ratio_b8"), ("generation", "latency_speedup")]
    values = [[ratios(r, base)[key] or 0.0 for _, key in series] for r in results]
    left, right, top, bottom = 48, 16, 28, 64
    top_v = max(1.0, max(max(v) for v in values)) * 1.1
    group_w = (width - left - right) / len(results)
    bar_w = group_w * 0.8 / len(series)

    def sy(v: float) -> float:
        return height - bottom - v / top_v * (height - top - bottom)

    parts = [_svg_open(width, height, "Speed relative to the original"), _axes(width, height, left, right, top, bottom)]
    for k in range(5):
        v = top_v * k / 4
        parts.append(f'<text x="{left - 6}" y="{sy(v) + 4:.1f}" text-anchor="end" class="tick">{v:.2g}x</text>')
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{sy(1.0):.1f}" y2="{sy(1.0):.1f}" class="ref"/>')
    for i, (r, vals) in enumerate(zip(results, values, strict=True)):
        gx = left + i * group_w + group_w * 0.1
        for j, v in enumerate(vals):
            x = gx + j * bar_w
            parts.append(f'<rect x="{x:.1f}" y="{sy(v):.1f}" width="{bar_w - 2:.1f}" height="{sy(0) - sy(v):.1f}" '
                         f'fill="{PALETTE[j]}"><title>{escape(r.label)}, {series[j][0]}: {v:.2f}x</title></rect>')
        parts.append(f'<text x="{gx + group_w * 0.4:.1f}" y="{height - bottom + 14}" text-anchor="end" class="tick" '
                     f'transform="rotate(-25 {gx + group_w * 0.4:.1f} {height - bottom + 14})">{escape(r.label)}</text>')
    for j, (name, _) in enumerate(series):
        x = left + 8 + j * 110
        parts.append(f'<rect x="{x}" y="6" width="10" height="10" fill="{PALETTE[j]}"/>'
                     f'<text x="{x + 14}" y="15" class="tick">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _svg_open(width: int, height: int, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
            "<style>.tick{font:11px sans-serif;fill:#555}.label{font:11px sans-serif;fill:#222}"
            ".axis{font:12px sans-serif;fill:#333}.frame{stroke:#999;fill:none}.ref{stroke:#999;stroke-dasharray:4 3}"
            "</style>")


def _axes(width: int, height: int, left: int, right: int, top: int, bottom: int) -> str:
    return (f'<polyline class="frame" points="{left},{top} {left},{height - bottom} '
            f'{width - right},{height - bottom}"/>')


# --- HTML ------------------------------------------------------------------------------------------------


def to_html(results: Sequence[EvalResult], *, title: str, context: dict[str, str] | None = None,
            created: datetime | None = None) -> str:
    rows = table_rows(results)
    head = "".join(f"<th>{escape(h)}</th>" for h in (
        "Variant", "File size", "Size", "Parameters", "Non-zeros", "Perplexity", "Change", "KL", "Top-1",
        "Tokens/s b1", "Tokens/s b8", "Speed b1", "Speed b8", "ms/token", "Kernel", "Time", "Calibration"))
    body = []
    for r in rows:
        body.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in (
            r["variant"], human_bytes(r["file_bytes"]), _fmt(r["size_ratio"], ".3f", "x"), f"{r['parameters']:,}",
            f"{r['nonzeros']:,}", _fmt(r["perplexity"], ".4g"), _fmt(r["ppl_change_pct"], "+.2f", "%"),
            _fmt(r["kl"], ".4f"), _fmt(None if r["top1"] is None else r["top1"] * 100, ".1f", "%"),
            _fmt(r["tokens_per_s_b1"], ",.0f"), _fmt(r["tokens_per_s_b8"], ",.0f"),
            speed_text(r["speed_ratio_b1"], r["speed_spread_b1"]), speed_text(r["speed_ratio_b8"], r["speed_spread_b8"]),
            _fmt(r["ms_per_token"], ".2f"), r["kernel"], _fmt(r["compress_seconds"], ".1f", " s"),
            r["calibration"] or "–")) + "</tr>")
    info = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in (context or {}).items())
    samples = ""
    if any(r.samples for r in results):
        n = max(len(r.samples) for r in results)
        cols = "".join(f"<th>{escape(r.label)}</th>" for r in results)
        lines = []
        for i in range(n):
            cells = "".join(f"<td><pre>{escape(r.samples[i]) if i < len(r.samples) else ''}</pre></td>" for r in results)
            lines.append(f"<tr>{cells}</tr>")
        samples = f"<h2>Samples (greedy, same prompts)</h2><table class='samples'><tr>{cols}</tr>{''.join(lines)}</table>"
    when = (created or datetime.now()).strftime("%Y-%m-%d %H:%M")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:24px;color:#222}}
table{{border-collapse:collapse;margin:8px 0 20px}}
th,td{{border:1px solid #ccc;padding:4px 8px;text-align:right;vertical-align:top}}
th{{background:#f3f3f3}} td:first-child,th:first-child{{text-align:left}}
.samples td{{text-align:left;max-width:320px}} pre{{white-space:pre-wrap;margin:0;font-size:12px}}
.charts{{display:flex;flex-wrap:wrap;gap:24px}} dl{{display:grid;grid-template-columns:max-content auto;gap:2px 12px}}
dt{{color:#666}}
</style></head><body>
<h1>{escape(title)}</h1>
<p>Model Studio compression report, {escape(when)}. Size, perplexity, KL divergence and top-1 agreement are
against the first row; each speed ratio is against the original timed together with that row (median of the
interleaved rounds, ± half their range).</p>
<dl>{info}</dl>
<table><tr>{head}</tr>{''.join(body)}</table>
<div class="charts"><figure>{scatter_svg(results)}<figcaption>File size against perplexity</figcaption></figure>
<figure>{speed_svg(results)}<figcaption>Speed relative to the original (higher is faster)</figcaption></figure></div>
{samples}
</body></html>
"""
