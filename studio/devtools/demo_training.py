"""Screenshots of the Training pane over real runs (docs/screenshots/training-*.png):

    .venv/bin/python -m studio.devtools.demo_training prepare --data-dir D   # sample data, a finished run,
                                                                              # a long run left training
    /work/shared/tools/screenshot docs/screenshots/training-live-dark.png 10 \\
        .venv/bin/python -m studio.devtools.demo_training show --data-dir D --theme dark
    ... show --data-dir D --compare --theme light
    ... show --data-dir D --view generate|new-run|details --size 1280x800 --language zh_CN
    .venv/bin/python -m studio.devtools.demo_training stop --data-dir D      # kill the long run

Development only: it signs in with a password it set itself, in the data folder it is given. The runs train in
real worker processes (`studio worker`), started through the run service as the pane starts them.
"""

from __future__ import annotations

import argparse
import sys
import time

PASSWORD = "Demo-Password-4821"
USER = "mara"
SHORT, LONG = "lr1e-3", "lr3e-3"


def _settings(name: str, lr: float, steps: int):
    from studio.core.services.runs import RunSettings

    train = {"max_steps": steps, "batch_size": 16, "lr": lr, "warmup_steps": 20, "eval_every": 100,
             "eval_batches": 4, "device": "cpu", "threads": 1}
    return RunSettings(dataset="stories", name=name, preset=None,
                       model={"n_layer": 4, "n_head": 4, "n_embd": 128, "block_size": 128}, train=train,
                       checkpoint_every=200, tags=("demo",), group="learning-rate")


def prepare(data_dir: str, long_steps: int) -> None:
    from studio.core.datasets.sample import sample_options
    from studio.core.services import Studio

    studio = Studio.open(data_dir)
    try:
        admin = studio.accounts.create_first_admin(USER, PASSWORD)
        studio.datasets.import_dataset(admin, sample_options("stories"))
        short = studio.runs.start(admin, _settings(SHORT, 1e-3, 600))
        done = studio.runs.wait(admin, short.id, timeout_s=600, poll_s=0.5)
        print(f"{done.name}: {done.status} at step {done.step}")
        long = studio.runs.start(admin, _settings(LONG, 3e-3, long_steps))
        while studio.runs.get(admin, long.id).step < 400:  # enough of a curve to show
            time.sleep(0.5)
        print(f"{LONG}: training (run {long.id}); stop it with: demo_training stop --data-dir {data_dir}")
    finally:
        studio.close()


def stop(data_dir: str) -> None:
    from studio.core.services import Studio

    studio = Studio.open(data_dir)
    try:
        admin = studio.accounts.login(USER, PASSWORD)
        for run in studio.runs.live_runs(admin):
            studio.runs.kill(admin, run.id)
            print(f"killed {run.name}")
    finally:
        studio.close()


def show(data_dir: str, theme: str, compare: bool, size: str = "1400x900", language: str = "en",
         view: str = "charts") -> int:
    from PySide6.QtCore import QTimer

    from studio.gui.app import build_window, create_application

    app = create_application()
    window = build_window(app, data_dir, theme, language)
    studio = window.ctx.studio
    window.ctx.set_session(studio.accounts.login(USER, PASSWORD))
    width, height = (int(v) for v in size.split("x"))
    window.resize(width, height)
    window.show()
    pane = window.show_pane("training")

    def select() -> None:
        ids = {r.name: r.id for r in pane.all_runs()}
        if LONG not in ids:
            QTimer.singleShot(200, select)
            return
        # Generate from the finished run (a running one's checkpoints are read once it pauses)
        pane.runs_table.select([ids[LONG], ids[SHORT]] if compare else [ids[SHORT] if view == "generate" else ids[LONG]])
        QTimer.singleShot(2500, hover)

    def hover() -> None:
        if view == "generate":
            pane.tabs.setCurrentWidget(pane.generate)
            pane.generate.prompt.setPlainText("Once upon a time")
            pane.generate.max_tokens.setValue(160)
            QTimer.singleShot(300, generate)
            return
        if view == "details":
            pane.tabs.setCurrentWidget(pane.details)
            return
        pane.tabs.setCurrentWidget(pane.compare if view == "compare" else pane.board)
        pane.board.show_values_at(300 if compare else 350)
        if view == "new-run":
            pane.open_new_run()

    def generate() -> None:  # once the checkpoints are listed
        if pane.generate.source.count() == 0:
            QTimer.singleShot(200, generate)
            return
        pane.generate.generate_button.click()

    QTimer.singleShot(300, select)
    return app.exec()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("prepare", "show", "stop"))
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--theme", default="light")
    parser.add_argument("--compare", action="store_true", help="show both runs overlaid")
    parser.add_argument("--steps", type=int, default=20_000, help="steps of the long run")
    parser.add_argument("--size", default="1400x900", help="window size, WxH")
    parser.add_argument("--language", default="en", help="en or zh_CN")
    parser.add_argument("--view", default="charts", choices=("charts", "compare", "details", "generate", "new-run"),
                        help="what to show")
    args = parser.parse_args(argv)
    if args.what == "prepare":
        prepare(args.data_dir, args.steps)
    elif args.what == "stop":
        stop(args.data_dir)
    else:
        return show(args.data_dir, args.theme, args.compare, args.size, args.language, args.view)
    return 0


if __name__ == "__main__":
    sys.exit(main())
