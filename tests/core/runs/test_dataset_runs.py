"""Runs on the studio's datasets (encrypted at rest by default): the worker gets the dataset's key from the
run service in its launch message; sampling decodes with the dataset's tokenizer."""

import pytest

from studio.core.errors import AccessDenied, ConflictError, NotFoundError
from studio.core.models.generate import SamplingConfig
from studio.core.services.runs import RunSettings


def _settings(dataset, **changes):
    train = {"max_steps": 10, "batch_size": 4, "lr": 3e-3, "warmup_steps": 2, "eval_every": 5, "eval_batches": 2,
             "device": "cpu", "threads": 1, **changes.pop("train", {})}
    return RunSettings(dataset=dataset, preset="tiny", model={"context": 32, "layers": 2, "width": 32},
                       train=train, checkpoint_every=5, **changes)


@pytest.mark.parametrize("encrypt", [True, False])
def test_a_run_on_a_dataset_trains_and_samples_text(studio, make_user, small_dataset, in_thread, encrypt):
    user = make_user("trainer")
    ds = small_dataset(user, encrypt=encrypt)
    plan = studio.runs.plan(user, _settings("stories"), estimate="flops")
    assert plan.data.name == "stories" and plan.model_config.vocab_size == ds.vocab_size
    assert plan.data.train_tokens > 0 and plan.data.val_tokens > 0
    run = studio.runs.start(user, _settings("stories"))
    assert run.name == "tiny-stories-1" and run.dataset_id == ds.id
    done = studio.runs.wait(user, run.id, timeout_s=120, poll_s=0.05)
    assert done.status == "completed", done.message
    assert done.best_val_loss is not None
    texts = ["".join(studio.runs.sample(user, run.id, "The little", SamplingConfig(max_new_tokens=40, seed=seed)))
             for seed in range(6)]  # a young model may end the document at once: some seeds do, not all
    assert any(texts) and all(isinstance(t, str) for t in texts)
    allowed = set(open(studio.datasets.get(user, ds.id).source).read()) | {"\ufffd"}  # + the unknown token
    assert set("".join(texts)) <= allowed  # the characters of the data
    with pytest.raises(ConflictError, match="tiny-stories-1"):
        studio.datasets.delete(user, ds.id)  # a run depends on it


def test_a_user_without_the_dataset_cannot_train_on_it(studio, make_user, small_dataset, in_thread):
    owner, other = make_user("trainer"), make_user("trainer")
    small_dataset(owner)
    dataset_id = studio.datasets.resolve(owner, "stories")
    with pytest.raises(NotFoundError):  # by name, a dataset he cannot see does not exist for him
        studio.runs.plan(other, _settings("stories"), estimate=False)
    with pytest.raises(AccessDenied):  # by id, the policy refuses (and records it)
        studio.runs.plan(other, _settings(dataset_id), estimate=False)
    studio.grants.add(owner, other.user_name, "dataset", dataset_id, "use")
    run = studio.runs.start(other, _settings("stories"))  # the grant carries the key
    assert studio.runs.wait(other, run.id, timeout_s=120, poll_s=0.05).status == "completed"


def test_the_start_is_the_audited_read_of_the_dataset(studio, make_user, small_dataset, in_thread):
    from studio.core.stores.audit import AuditFilter

    user = make_user("trainer")
    ds = small_dataset(user)
    before = len(studio.audit.page(make_user.root(), AuditFilter(), limit=10000))
    for _ in range(3):
        studio.runs.plan(user, _settings("stories"), estimate="flops")  # what the form does as the user types
    assert len(studio.audit.page(make_user.root(), AuditFilter(), limit=10000)) == before
    run = studio.runs.start(user, _settings("stories"))
    entry = studio.audit.page(make_user.root(), AuditFilter(action="run.start"), limit=1)[0]
    assert entry.obj_id == str(run.id) and "stories" in str(entry.details)
    assert ds.id == run.dataset_id
    studio.runs.wait(user, run.id, timeout_s=120, poll_s=0.05)
