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
        with studio.runs.acting_session(owner) as s:  # a run's owner is an access row: written as its owner
            row = RunRow(name=values.pop("name", f"bare-{n}"), owner_id=owner.user_id, status=values.pop("status", "queued"),
                         created_at=utcnow(), model_config_json=json.dumps({}), train_config_json=json.dumps({}),
                         **values)
            s.add(row)
            s.flush()
            return row.id

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
    import torch

    threads = torch.get_num_threads()
    yield ns
    # A worker thread's Trainer set torch's process-wide thread count (threads=1): later tests that compare
    # a run in a thread with one in the main thread need the default back.
    torch.set_num_threads(threads)
