"""Open the main window signed in on a pane, over a demo data folder with users, grants, datasets (encrypted
and not), vault models and an audit log, for screenshots (docs/screenshots/):

    /work/shared/tools/screenshot docs/screenshots/audit-log-dark.png 8 \\
        .venv/bin/python -m studio.devtools.demo_window --pane audit --theme dark
    ... -m studio.devtools.demo_window --pane vault --user li.wei --theme dark
    ... -m studio.devtools.demo_window --pane datasets --user li.wei --tab 0 --theme light

Development only: it signs in with a password it set itself, in a data folder it made (a temporary one
unless --data-dir is given).
"""

from __future__ import annotations

import argparse
import sys
import tempfile

from studio.core import operations as ops

PASSWORD = "Demo-Password-4821"
CONFIG = {"n_layer": 4, "n_head": 4, "n_embd": 128, "block_size": 256, "vocab_size": 65}  # the demo models' summary


def populate_datasets(studio, li, sam):
    """li.wei's copy of the sample stories (encrypted, shared with ana), sam's Q&A pairs (encrypted, shared with
    li.wei) and a public plaintext corpus. Returns li.wei's dataset."""
    from studio.core.datasets.options import ImportOptions
    from studio.core.datasets.sample import sample_options, sample_qa_path

    stories = studio.datasets.import_dataset(li, sample_options("tiny-stories"))
    qa = studio.datasets.import_dataset(sam, ImportOptions(path=str(sample_qa_path()), name="support-qa",
                                                           tokenizer="byte", tags=("sft",)))
    public = tempfile.mkdtemp(prefix="studio-demo-public-") + "/public-notes.txt"
    with open(public, "w", encoding="utf-8") as fh:
        fh.write("\n\n".join(f"Public note {i}: the harbour opens at {6 + i % 4} o'clock." for i in range(400)))
    studio.datasets.import_dataset(li, ImportOptions(path=public, name="public-notes", tokenizer="char",
                                                     encrypt=False, remove_source=True))
    studio.grants.add(sam, "li.wei", "dataset", qa.id, "use")
    studio.grants.add(li, "ana", "dataset", stories.id, "use")
    return stories


def populate_vault(studio, li, sam, dataset=None) -> dict[str, int]:
    """A few tiny models with lineage: li.wei's GPT, a checkpoint of it, its int8 version; sam's experiment,
    shared with li.wei. Returns model ids by name."""
    import json

    import torch

    from studio.core.services.compression.sources import architecture_label
    from studio.core.stores.vault import LineageEdge

    data = LineageEdge("dataset", str(dataset.id), dataset.name) if dataset else LineageEdge("dataset", "", "stories")

    g = torch.Generator().manual_seed(0)

    def weights(scale: int):
        return {f"h.{i}.attn.weight": torch.randn(64 * scale, 64, generator=g) for i in range(4)}

    vault = studio.vault
    # no hand-written architecture: the studio labels each version from its config ("GPT 4L/128d") as for real ones
    base = vault.add_version(li, None, weights(4), name="shakespeare-gpt", kind="trained", tags=["char", "demo"],
                             config=CONFIG, tokenizer={"model": {"type": "char"}},
                             lineage=[data, LineageEdge("run", "1", "shakespeare-base")])
    ckpt = vault.add_version(li, "shakespeare-gpt", weights(4), kind="checkpoint", config=CONFIG,
                             lineage=[data, LineageEdge("run", "2", "shakespeare-finetune"),
                                      LineageEdge("source_version", str(base.id))])
    recipe = {"sparsity": 0.3, "quant": "int8"}  # as the compressor describes its versions (compression/sources.py)
    compressed = {"label": "prune 30% + int8", "recipe": recipe}
    vault.add_version(li, None, {k: v.to(torch.int8) for k, v in weights(4).items()}, name="shakespeare-gpt-int8",
                      kind="compressed", architecture=architecture_label(CONFIG, compressed), tags=["int8"],
                      config=CONFIG, metadata={"compression": compressed},
                      lineage=[LineageEdge("source_version", str(ckpt.id), "shakespeare-gpt v2"),
                               LineageEdge("recipe", "", json.dumps(recipe, sort_keys=True))])
    sams = vault.add_version(sam, None, weights(8), name="sams-experiment", kind="trained",
                             config={**CONFIG, "n_layer": 8}, tags=["wip"])
    vault.share(sam, "sams-experiment", "li.wei")
    return {"shakespeare-gpt": base.model_id, "sams-experiment": sams.model_id}


def populate(studio) -> None:
    from studio.core.errors import StudioError
    from studio.core.services.base import Service

    admin = studio.accounts.create_first_admin("mara", PASSWORD)
    for name, role in (("li.wei", "trainer"), ("sam", "trainer"), ("ana", "viewer"), ("joe", "viewer"),
                       ("old.intern", "trainer")):
        studio.accounts.create_user(admin, name, role, PASSWORD)
    studio.accounts.set_disabled(admin, "old.intern", True)
    li = studio.accounts.login("li.wei", PASSWORD)
    sam = studio.accounts.login("sam", PASSWORD)
    stories = populate_datasets(studio, li, sam)
    models = populate_vault(studio, li, sam, stories)
    gpt = models["shakespeare-gpt"]
    studio.grants.add(li, "ana", "model", gpt, "use")
    studio.grants.add(li, "sam", "model", gpt, "export")
    studio.vault.load(li, gpt)
    studio.vault.export(sam, gpt, tempfile.mkdtemp(prefix="studio-demo-export-") + "/gpt.safetensors")
    studio.datasets.open_arrays(li, stories.id)
    with Service(studio).operation(li, ops.RUN_START, "run", None):
        pass
    ana = studio.accounts.login("ana", PASSWORD)
    for attempt in (lambda: studio.vault.export(ana, gpt, tempfile.mkdtemp() + "/x.safetensors"),
                    lambda: studio.accounts.login("joe", "not-the-password"),
                    lambda: studio.accounts.login("joe", "still-not-it-1")):
        try:
            attempt()
        except StudioError:
            pass
    studio.audit.verify(admin)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pane", default="audit")
    parser.add_argument("--theme", default="light")
    parser.add_argument("--user", default="mara", help="who signs in (mara is the administrator)")
    parser.add_argument("--tab", type=int, default=1, help="Vault details tab: 0 overview, 1 lineage, 2 access, 3 versions; "
                        "Datasets: 0 statistics, 1 token lengths, 2 preview, 3 the import dialog")
    parser.add_argument("--data-dir")
    args = parser.parse_args(argv)
    from studio.gui.app import build_window, create_application

    app = create_application()
    window = build_window(app, args.data_dir or tempfile.mkdtemp(prefix="studio-demo-"), args.theme, "en")
    studio = window.ctx.studio
    if not studio.accounts.has_users():
        populate(studio)
    window.ctx.set_session(studio.accounts.login(args.user, PASSWORD))
    window.resize(1280, 800)
    window.show()
    pane = window.show_pane(args.pane)
    if args.pane == "audit":
        pane.table.selectRow(1)
        pane.verify()
    if args.pane == "users":
        pane.users.selectRow(0)
    if args.pane == "vault":
        pane.select_model("shakespeare-gpt")
        pane.details.setCurrentIndex(args.tab)
    if args.pane == "datasets":
        pane.refresh()
        pane.select(next(i.id for i in pane.model.infos if i.name == "tiny-stories"))
        pane.tabs.setCurrentIndex(min(args.tab, 2))
        if args.tab == 3:
            from studio.core.datasets.sample import sample_path

            pane.open_import_dialog(str(sample_path()))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
