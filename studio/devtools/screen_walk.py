"""The screenshot walk: every pane at the given window sizes, themes and languages, one PNG each, taken in one
process (the language changes live, as a user would change it), over the demo data folder of demo_window:

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
    if pane_id.startswith("training"):
        _prepare_training(pane_id.partition(".")[2] or "charts", pane)


TRAINING_VIEWS = ("training.details", "training.compare", "training.generate")


def _prepare_training(view: str, pane) -> None:
    """The newest run on its charts, details or generation; the two newest compared."""
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + 10
    while not pane.all_runs() and time.monotonic() < end:  # the first listing comes from a worker thread
        _settle(QApplication.instance(), 0.1)
    runs = sorted(pane.all_runs(), key=lambda r: r.id, reverse=True)
    if not runs:
        return
    pane.runs_table.select([r.id for r in runs[:2]] if view == "compare" else [runs[0].id])
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
    args = parser.parse_args(argv)

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
    window.close()
    studio.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
