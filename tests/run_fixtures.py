"""Fixtures for tests of training runs (core and e2e): token files to train on and small run settings."""

import json

import pytest


@pytest.fixture
def token_folder(tmp_path):
    """Token files a run can train on (the 'arrays' data source): a learnable toy corpus."""
    import numpy as np

    from tests.core.training.conftest import VOCAB, corpus

    folder = tmp_path / "tokens"
    folder.mkdir()
    np.save(folder / "train.npy", corpus(6000, 1))
    np.save(folder / "val.npy", corpus(1500, 2))
    (folder / "meta.json").write_text(json.dumps({"vocab_size": VOCAB, "eos_id": 0}))
    (folder / "tokenizer.json").write_text(json.dumps({"studio_tokenizer": "test", "vocab": VOCAB}))
    return folder


@pytest.fixture
def settings(token_folder):
    """Small, fast run settings (a 2-layer 16-wide model, 12 steps) on the token folder."""
    from studio.core.services.runs import RunSettings
    from tests.core.runs import fakes

    def make(**changes):
        train = {"max_steps": 12, "batch_size": 4, "seq_len": 12, "lr": 3e-3, "warmup_steps": 3, "eval_every": 4,
                 "eval_batches": 2, "seed": 5, "device": "cpu", "threads": 1, **changes.pop("train", {})}
        base = dict(data={"kind": "arrays", "folder": str(token_folder)}, preset=None,
                    model={"n_layer": 2, "n_head": 2, "n_embd": 16, "block_size": 16, "dropout": 0.1},
                    train=train, checkpoint_every=4, keep_last=2, checkpoint_store=fakes.NAME)
        base.update(changes)
        return RunSettings(**base)

    return make


@pytest.fixture
def small_dataset(studio, tmp_path):
    """import(owner, encrypt=True, name=...): a small text dataset (char tokenizer) imported by `owner`."""
    from studio.core.datasets.options import ImportOptions

    text = tmp_path / "stories.txt"
    para = ("The little robot walked to the river and sang a song about the stars. "
            "Then it sat down, looked at the water and counted the fish.\n\n")
    text.write_text("".join(f"Story {i}. " + para for i in range(120)))

    def make(owner, encrypt=True, name="stories"):
        return studio.datasets.import_dataset(owner, ImportOptions(path=str(text), name=name, tokenizer="char",
                                                                   split=(0.8, 0.2, 0.0), encrypt=encrypt))

    return make
