import json

import pytest

from studio.core.db.tables.runs import RunRow
from studio.core.stores.runs import utcnow


@pytest.fixture
def run_row(studio, make_user):
    """A bare run row (for store tests that need one to hang metrics and events on)."""
    owner = make_user("trainer")
    counter = iter(range(1, 1000))

    def make(**values):
        n = next(counter)
        with studio.db.session() as s:
            row = RunRow(name=values.pop("name", f"bare-{n}"), owner_id=owner.user_id, status=values.pop("status", "queued"),
                         created_at=utcnow(), model_config_json=json.dumps({}), train_config_json=json.dumps({}),
                         **values)
            s.add(row)
            s.flush()
            return row.id

    return make


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
def in_thread(monkeypatch, data_dir):
    """Workers run in threads of the test process. Returns a namespace: `codes` (their exit codes, in
    order) and `before_step` (set it to fn(worker, step) to act at an exact step)."""
    from types import SimpleNamespace

    from studio.core.training import launch, worker
    from tests.core.runs import fakes

    ns = SimpleNamespace(codes=[], before_step=None)
    monkeypatch.setattr(worker, "CONTROL_EVERY_S", 0.0)

    def start_process(*args, **kwargs):
        hook = (lambda w, step: ns.before_step(w, step)) if ns.before_step else None
        return fakes.thread_launcher(data_dir, ns.codes, hook)(*args, **kwargs)

    monkeypatch.setattr(launch, "start_process", start_process)
    return ns
