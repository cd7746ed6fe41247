"""The screenshot walk: every pane at the given window sizes, themes and languages, one PNG each, taken in one
process (the language changes live, as a user would change it), over the demo data folder of demo_window, with real runs added by `--prepare` (three finished runs of a sweep,
one left training, three compression reports of the best, shown side by side):

    .venv/bin/python -m studio.devtools.screen_walk --prepare --data-dir /tmp/demo --out /tmp/walk   # minutes
    xvfb-run -s "-screen 0 1700x1100x24" .venv/bin/python -m studio.devtools.screen_walk \\
        --data-dir /tmp/demo --out /tmp/walk [--sizes 1600x1000,1280x800] [--themes light,dark] \\
        [--langs en,zh_CN] [--panes datasets,vault,training.generate,...] [--user mara]

Files are named PANE-WxH-THEME-LANG.png. Development only (it signs in with the demo password).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

SWEEP = (("stories-lr1e-3", 1e-3), ("stories-lr3e-3", 3e-3), ("stories-lr1e-2", 1e-2))
LIVE = "stories-long"
LIVE_STEPS = 2500  # the live run's steps before --prepare ends: its loss has bent and still falls


def _run_settings(name: str, lr: float, steps: int):
    from studio.core.services.runs import RunSettings

    train = {"max_steps": steps, "batch_size": 8, "seq_len": 64, "lr": lr, "warmup_steps": 10, "eval_every": 25,
             "eval_batches": 2, "device": "cpu", "threads": 1}
    return RunSettings(dataset="tiny-stories", name=name, preset=None,
                       model={"n_layer": 2, "n_head": 2, "n_embd": 64, "block_size": 64}, train=train,
                       checkpoint_every=50, tags=("demo",), group="learning-rate")


def prepare(data_dir: str) -> None:
    """demo_window's users, datasets, vault and audit, then real runs as li.wei and a compression report."""
    from studio.core.compression.evaluate import EvalSettings
    from studio.core.compression.recipe import Recipe
    from studio.core.services import Studio
    from studio.devtools.demo_window import PASSWORD, populate

    studio = Studio.open(data_dir)
    try:
        if not studio.accounts.has_users():
            populate(studio)
        li = studio.accounts.login("li.wei", PASSWORD)
        done = []
        for name, lr in SWEEP:
            run = studio.runs.start(li, _run_settings(name, lr, 200))
            done.append(studio.runs.wait(li, run.id, timeout_s=900, poll_s=0.5))
            print(f"{name}: {done[-1].status} at step {done[-1].step}", flush=True)
        best = min(done, key=lambda r: r.best_val_loss if r.best_val_loss is not None else float("inf"))
        for recipe in (Recipe(quant="int8"), Recipe(quant="int4", group_size=32), Recipe(sparsity=0.5, quant="int8")):
            studio.compression.compress(li, best.checkpoint_model_id, recipe, dataset="tiny-stories",
                                        prompts=["Once upon a time", "The little dog"],
                                        settings=EvalSettings(max_windows=8, threads=1))
        live = studio.runs.start(li, _run_settings(LIVE, 3e-3, 100_000))
        while studio.runs.get(li, live.id).step < LIVE_STEPS:
            time.sleep(0.5)
        print(f"{LIVE}: training; the walk kills it at its end", flush=True)
    finally:
        studio.close()


def _stop_live(studio, session) -> None:
    for run in studio.runs.live_runs(session):
        studio.runs.kill(session, run.id)


def _settle(app, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def _prepare(pane_id: str, pane) -> None:
    """Show each pane with something selected, as a user would look at it."""
    if pane_id == "vault" and pane.models.rowCount():
        pane.select_model("shakespeare-gpt") or pane.table.selectRow(0)
        pane.details.setCurrentIndex(1)  # the lineage
    if pane_id == "datasets" and pane.model.infos:
        pane.select(pane.model.infos[0].id)
    if pane_id == "audit" and pane.model.rowCount():
        pane.table.selectRow(1)
    if pane_id == "users" and pane.users_model.rowCount():
        pane.users.selectRow(0)
    if pane_id == "compression":
        _prepare_compression(pane)
    if pane_id.startswith("training"):
        _prepare_training(pane_id.partition(".")[2] or "charts", pane)


def _prepare_compression(pane) -> None:
    """The model with the most reports (the prepared sweep's best run), its reports side by side as the pane
    shows them after running the recipes one after another: the original, then each variant."""
    from studio.core.compression.results import EvalResult

    actor = pane.ctx.actor
    reports = {m.id: pane.service.reports(actor, m.id) for m in pane.service.list_models(actor)}
    model = max(reports, key=lambda k: len(reports[k]), default=None)
    if model is None or not reports[model]:
        return
    pane.model_combo.setCurrentIndex(pane.model_combo.findData(model))
    pane.show_results([], None)
    for report in sorted(reports[model], key=lambda r: r.created_at):
        for result in report.results:
            pane._add_result(EvalResult.from_dict(result))
    pane.tabs.setCurrentIndex(0)


TRAINING_VIEWS = ("training.details", "training.compare", "training.generate")


def _prepare_training(view: str, pane) -> None:
    """The newest run on its charts, details or generation; the sweep's finished runs compared."""
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + 10
    while not pane.all_runs() and time.monotonic() < end:  # the first listing comes from a worker thread
        _settle(QApplication.instance(), 0.1)
    runs = sorted(pane.all_runs(), key=lambda r: r.id, reverse=True)
    if not runs:
        return
    if view == "compare":  # the finished runs of the sweep, what they differ in
        finished = [r.id for r in runs if r.status == "completed"] or [r.id for r in runs]
        pane.runs_table.select(finished[:3])
        pane.compare.only_diff.setChecked(True)
    else:
        pane.runs_table.select([runs[0].id])
    pane.tabs.setCurrentWidget(getattr(pane, "board" if view == "charts" else view))
    if view == "generate" and not pane.generate.prompt.toPlainText():
        pane.generate.prompt.setPlainText("Once upon a time")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--out", required=True)
    parser.add_argument("--sizes", default="1600x1000,1280x800")
    parser.add_argument("--themes", default="light,dark")
    parser.add_argument("--langs", default="en,zh_CN")
    parser.add_argument("--panes", default="")
    parser.add_argument("--user", default="mara")
    parser.add_argument("--prepare", action="store_true", help="build the data folder (real runs), then exit")
    parser.add_argument("--keep-live", action="store_true", help="leave the live run training at the end")
    args = parser.parse_args(argv)
    if args.prepare:
        prepare(args.data_dir)
        return 0

    from studio.devtools.demo_window import PASSWORD, populate
    from studio.gui import theme
    from studio.gui.app import build_window, create_application
    from studio.gui.panes import PANES

    app = create_application()
    window = build_window(app, args.data_dir or tempfile.mkdtemp(prefix="studio-walk-"), "light", "en")
    studio = window.ctx.studio
    if not studio.accounts.has_users():
        populate(studio)
    window.ctx.set_session(studio.accounts.login(args.user, PASSWORD))
    window.show()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    panes = [p for p in args.panes.split(",") if p] or [s.id for s in PANES] + list(TRAINING_VIEWS)
    for theme_mode in args.themes.split(","):
        theme.apply_theme(app, theme_mode)
        for lang in args.langs.split(","):
            window._set_language(lang)
            for size in args.sizes.split(","):
                w, h = (int(v) for v in size.split("x"))
                window.resize(w, h)
                for pane_id in panes:
                    _prepare(pane_id, window.show_pane(pane_id.partition(".")[0]))
                    _settle(app, 1.0 if pane_id.startswith("training") else 0.3)
                    path = out / f"{pane_id}-{w}x{h}-{theme_mode}-{lang}.png"
                    window.grab().save(str(path))
                    print(path, flush=True)
    if args.keep_live:
        # close() would ask (a modal question nobody answers here) whether to leave the live run going: it stays
        from studio.gui.panes.training import pane as training_pane

        if not hasattr(training_pane, "ask_about_live_runs"):
            raise SystemExit("screen_walk: the Training pane's close question moved; update --keep-live")
        training_pane.ask_about_live_runs = lambda *_args: "leave"
    else:
        _stop_live(studio, window.ctx.session)
    window.close()
    end = time.monotonic() + 10
    while window.isVisible() and time.monotonic() < end:  # a close with a live run reads the runs again first
        _settle(app, 0.1)
    studio.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
