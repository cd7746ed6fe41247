"""Open the main window signed in on the Compression pane over a demo data folder: a small GPT trained for a
minute on generated text, stored in the vault, compressed four ways and measured, for screenshots:

    .venv/bin/python -m studio.devtools.compression_demo --data-dir /tmp/cdemo --prepare   # once (minutes)
    /work/shared/tools/screenshot docs/screenshots/compression-light.png 15 \\
        .venv/bin/python -m studio.devtools.compression_demo --data-dir /tmp/cdemo --theme light

Development only: it signs in with a password it set itself. Until the datasets service is part of the
build, the measurements use a demo dataset held in memory (the same generated text).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from typing import Any

PASSWORD = "Demo-Password-4821"
PROMPTS = ["Anna went to the ", "How to make ", '"Hello Ben," said ']


def _text(size: int, seed: int) -> list[str]:
    r = random.Random(seed)
    names = ["Anna", "Ben", "Clara", "David", "Emma", "Finn", "Grace", "Hugo", "Ivy", "Jack"]
    places = ["market", "park", "river", "garden", "school", "library", "beach", "forest"]
    fruits = ["apple", "pear", "plum", "peach", "cherry", "lemon"]
    docs, made = [], 0
    while made < size:
        a, b = r.sample(names, 2)
        kind = r.random()
        if kind < 0.5:
            doc = (f"{a} went to the {r.choice(places)} with {b}. They found {r.randint(2, 9)} "
                   f"{r.choice(fruits)}s and walked home.")
        elif kind < 0.75:
            doc = f"How to make {r.choice(fruits)} cake. Mix {r.randint(1, 5)} cups of flour and {r.randint(2, 6)} eggs."
        else:
            doc = f'"Hello {b}," said {a}. "Shall we go to the {r.choice(places)}?"'
        docs.append(doc)
        made += len(doc) + 1
    return docs


class _Chars:
    def __init__(self, chars: str):
        self.chars = chars
        self.ids = {c: i + 1 for i, c in enumerate(chars)}

    def encode(self, text: str) -> list[int]:
        return [self.ids[c] for c in text if c in self.ids]

    def decode(self, ids) -> str:
        return "".join("\n" if i == 0 else self.chars[i - 1] for i in ids if i <= len(self.chars))


class _DemoDatasets:
    """A DatasetProvider holding one generated dataset in memory."""

    def __init__(self):
        import numpy as np

        from studio.core.services.compression import EvalData
        from studio.core.training.data import TokenSplit

        docs = _text(400_000, 1)
        self.codec = _Chars("".join(sorted(set("".join(docs)))))

        def split(ds: list[str]) -> TokenSplit:
            ids: list[int] = []
            for d in ds:
                ids += self.codec.encode(d) + [0]
            return TokenSplit(np.array(ids, dtype=np.uint16))

        cut = int(len(docs) * 0.9)
        self.data = EvalData("stories", {"train": split(docs[:cut]), "val": split(docs[cut:]),
                                         "test": split(docs[cut:])}, self.codec, len(self.codec.chars) + 1)

    def list(self, actor: Any) -> list[tuple[int, str]]:
        return [(1, "stories")]

    def open(self, actor: Any, dataset: Any) -> Any:
        return self.data


def prepare(studio: Any, datasets: _DemoDatasets) -> None:
    from studio.core.compression.evaluate import EvalSettings
    from studio.core.compression.recipe import Recipe
    from studio.core.models.config import GPTConfig
    from studio.core.models.gpt import model_tensors
    from studio.core.training.config import TrainConfig
    from studio.core.training.data import TrainData
    from studio.core.training.trainer import Trainer

    admin = studio.accounts.create_first_admin("mara", PASSWORD)
    studio.accounts.create_user(admin, "li.wei", "trainer", PASSWORD)
    li = studio.accounts.login("li.wei", PASSWORD)
    config = GPTConfig(vocab_size=datasets.data.vocab_size, block_size=128, n_layer=4, n_head=4, n_embd=256)
    trainer = Trainer(config, TrainConfig(max_steps=150, batch_size=16, seq_len=128, lr=2e-3, warmup_steps=20,
                                          eval_every=1000, device="cpu"), TrainData(datasets.data.splits["train"]))
    trainer.run()
    studio.vault.add_version(li, None, model_tensors(trainer.model), name="stories-gpt", config=config.to_dict())
    for recipe in (Recipe(quant="int8"), Recipe(quant="int4", group_size=64), Recipe(sparsity=0.5, quant="int8"),
                   Recipe(sparsity=0.25, structured=True)):
        # one thread while timing: on a small shared machine a second thread mostly waits for a busy core
        studio.compression.compress(li, "stories-gpt", recipe, version=1, dataset="stories", prompts=PROMPTS,
                                    settings=EvalSettings(max_windows=32, threads=1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--theme", default="light")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--tab", type=int, default=0, help="0 report, 1 size/perplexity, 2 speed, 3 samples, 4 history")
    parser.add_argument("--data-dir")
    parser.add_argument("--prepare", action="store_true", help="only build the demo data folder, then exit")
    args = parser.parse_args(argv)
    datasets = _DemoDatasets()
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="studio-demo-")
    if args.prepare:
        from studio.core.services import Studio

        with Studio.open(data_dir) as studio:
            studio.compression._datasets = datasets
            if not studio.accounts.has_users():
                prepare(studio, datasets)
        return 0
    from studio.core.compression.recipe import Recipe
    from studio.core.compression.results import EvalResult
    from studio.gui.app import build_window, create_application

    app = create_application()
    window = build_window(app, data_dir, args.theme, args.lang)
    studio = window.ctx.studio
    studio.compression._datasets = datasets
    if not studio.accounts.has_users():
        prepare(studio, datasets)
    window.ctx.set_session(studio.accounts.login("li.wei", PASSWORD))
    window.resize(1380, 860)
    window.show()
    pane = window.show_pane("compression")
    pane.refresh()
    pane.dataset_combo.setCurrentIndex(pane.dataset_combo.findData("stories"))
    pane.version_combo.setCurrentIndex(pane.version_combo.findData(1))
    reports = list(reversed(studio.compression.reports(window.ctx.actor, "stories-gpt")))
    results = [EvalResult.from_dict(reports[0].results[0])] + [EvalResult.from_dict(r.results[1]) for r in reports]
    pane.show_results(results, pane._key())
    pane.form.set_recipe(Recipe(sparsity=0.3, quant="int8"))
    pane.prompts_edit.setText(" | ".join(PROMPTS))
    pane.tabs.setCurrentIndex(args.tab)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
