"""How the CLI shows runs: the plan before a start, a live progress bar, tables and details."""

from __future__ import annotations

import math
import sys
import time
from typing import Any

from studio.cli.output import Output
from studio.core.errors import StudioError
from studio.core.units import human_size


def human_time(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "-"
    seconds = int(round(seconds))
    d, rest = divmod(seconds, 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    if d:
        return f"{d}d{h:02d}h"
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s" if m else f"{s}s"


def step_time(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s" if seconds < 60 else human_time(seconds)


def plan_lines(plan: Any) -> list[str]:
    m, t, d = plan.model_config, plan.train_config, plan.data
    shape = f"{m.n_layer} layers, {m.n_head} heads, {m.n_embd} wide, context {m.block_size}"
    how = f"LoRA r{plan.settings.lora_rank} on " if plan.settings.lora else ""
    what = plan.source_label and f"fine-tuning {how}{plan.source_label}" or (plan.settings.preset or "custom")
    lines = [f"Model: {what} ({shape}), {plan.parameters / 1e6:.2f}M parameters, vocabulary {m.vocab_size}",
             f"Data: {d.name}: {d.train_tokens:,} training tokens, {d.val_tokens:,} validation tokens",
             f"Training: {t.max_steps} steps of {t.batch_size} x {t.seq_len or m.block_size} tokens"
             f"{f' x {t.grad_accum}' if t.grad_accum > 1 else ''}, {t.optimizer} lr {t.lr:g} ({t.schedule}, "
             f"warm-up {t.warmup_steps}), evaluation every {t.eval_every} steps"]
    e = plan.estimate
    if e is not None:
        lines.append(f"Memory: weights {human_size(e.weights_bytes)} + gradients {human_size(e.gradients_bytes)} + "
                     f"optimizer {human_size(e.optimizer_bytes)} + activations {human_size(e.activations_bytes)} = "
                     f"{human_size(e.total_bytes)} on {e.device}")
        total, low, high = plan.run_time_s
        lines.append(f"Time per step: {step_time(e.step_time_s)} ({step_time(e.step_time_low_s)} to "
                     f"{step_time(e.step_time_high_s)}; {e.time_method}); {t.max_steps} steps and their evaluations "
                     f"take about {human_time(total)} ({human_time(low)} to {human_time(high)})")
    lines.extend(f"Note: {n}" for n in plan.notes)
    return lines


def status_line(info: Any, width: int = 24) -> str:
    filled = int(width * info.progress)
    bar = "#" * filled + "." * (width - filled)
    loss = f" loss {info.train_loss:.4f}" if info.train_loss is not None else ""
    val = f" val {info.val_loss:.4f}" if info.val_loss is not None else ""
    rate = f" {info.tokens_per_s:,.0f} tok/s" if info.tokens_per_s else ""
    eta = f" ETA {human_time(info.eta_s)}" if info.eta_s is not None else ""
    return f"[{bar}] {info.step}/{info.max_steps}{loss}{val}{rate}{eta} {info.status}"


def follow(studio: Any, actor: Any, run_id: int, out: Output, *, stop_on_interrupt: bool = True,
           poll_s: float = 0.5) -> Any:
    """Show a run's progress until it ends. Ctrl+C asks it to stop (a final checkpoint is written); a second
    Ctrl+C kills it. Returns the final RunInfo."""
    tty = sys.stdout.isatty() and not out.as_json
    interrupts = 0
    last_print = 0.0
    last_step = -1
    info = studio.runs.get(actor, run_id)
    while True:
        try:
            info = studio.runs.get(actor, run_id)
            now = time.monotonic()
            if tty:
                sys.stdout.write("\r" + status_line(info).ljust(110))
                sys.stdout.flush()
            elif info.step != last_step and now - last_print >= 10 and not out.as_json:
                out.line(status_line(info))
                last_print, last_step = now, info.step
            if not info.is_live:
                break
            time.sleep(poll_s)
        except KeyboardInterrupt:
            interrupts += 1
            if not stop_on_interrupt:
                raise
            if interrupts == 1:
                out.line("\nStopping: the worker writes a final checkpoint (Ctrl+C again to kill it at once).")
                try:
                    studio.runs.stop(actor, run_id)
                except StudioError as error:
                    out.line(f"could not stop it: {error}")
            else:
                out.line("\nKilling the worker.")
                studio.runs.kill(actor, run_id)
    if tty:
        sys.stdout.write("\n")
    out.line(f"{info.status}: {info.message}")
    if info.status == "failed":
        tail = studio.runs.log_tail(actor, run_id)
        if tail:
            out.line("The last lines of its log:")
            for line in tail:
                out.line(f"  {line}")
    if info.best_val_loss is not None:
        out.line(f"Best validation loss {info.best_val_loss:.4f} (perplexity {math.exp(min(info.best_val_loss, 700)):.2f})")
    return info
