"""The real main window on the Vault pane with a small demo vault, for screenshots (docs/screenshots):

    python -m tests.gui.vault_demo_app DATA_DIR [--theme light|dark] [--lang en|zh_CN]

Until the accounts code is merged the app has no logged-in session, so this signs in a test session
(tests/vault_doubles.py) and fills the vault with a few tiny models that have lineage."""

from __future__ import annotations

import argparse
import sys

import torch
from PySide6.QtCore import QTimer

from studio.core.stores.vault import LineageEdge
from studio.gui.app import build_window, create_application
from tests.vault_doubles import FakeDirectory, KeyedSession


def populate(studio, alice, bob) -> None:
    g = torch.Generator().manual_seed(0)

    def weights(scale: int):
        return {f"h.{i}.attn.weight": torch.randn(64 * scale, 64, generator=g) for i in range(4)}

    vault = studio.vault
    base = vault.add_version(alice, None, weights(4), name="shakespeare-gpt", kind="trained",
                             architecture="GPT (4 layers, 128 wide)", tags=["char", "demo"],
                             config={"n_layer": 4, "n_head": 4, "n_embd": 128}, tokenizer={"model": {"type": "char"}},
                             lineage=[LineageEdge("dataset", "1", "tiny-shakespeare"), LineageEdge("run", "1", "run 1")])
    ckpt = vault.add_version(alice, "shakespeare-gpt", weights(4), kind="checkpoint",
                             lineage=[LineageEdge("dataset", "1", "tiny-shakespeare"), LineageEdge("run", "2", "run 2 (resumed)"),
                                      LineageEdge("source_version", str(base.id))])
    vault.add_version(alice, None, {k: v.to(torch.int8) for k, v in weights(4).items()}, name="shakespeare-gpt-int8",
                      kind="compressed", architecture="GPT (4 layers, 128 wide)", tags=["int8"],
                      lineage=[LineageEdge("source_version", str(ckpt.id)), LineageEdge("recipe", "", '{"quantize": "int8"}')])
    vault.add_version(bob, None, weights(8), name="bobs-experiment", kind="trained", architecture="GPT (8 layers)",
                      tags=["wip"])
    vault.share(bob, "bobs-experiment", alice.user_id)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir")
    parser.add_argument("--theme", default="light")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--quit-after", type=float, default=0)
    parser.add_argument("--tab", type=int, default=1, help="details tab: 0 overview, 1 lineage, 2 access, 3 versions")
    args = parser.parse_args()
    app = create_application(sys.argv[:1])
    window = build_window(app, args.data_dir, args.theme, args.lang)
    studio = window.ctx.studio
    studio.vault.directory = directory = FakeDirectory()
    directory.add(KeyedSession(1, "admin", "admin"))
    alice = directory.add(KeyedSession(2, "alice", "trainer"))
    bob = directory.add(KeyedSession(3, "bob", "trainer"))
    if not studio.vault.collect_garbage(min_age_s=1e9) and not _has_models(studio, alice):
        populate(studio, alice, bob)
    window.ctx.set_session(alice)
    window.resize(1300, 800)
    window.show()
    window.show_pane("vault")
    pane = window.pane("vault")
    pane.select_model("shakespeare-gpt")
    pane.details.setCurrentIndex(args.tab)
    if args.quit_after:
        QTimer.singleShot(int(args.quit_after * 1000), app.quit)
    code = app.exec()
    studio.close()
    return code


def _has_models(studio, alice) -> bool:
    return bool(studio.vault.list_models(alice))


if __name__ == "__main__":
    sys.exit(main())
