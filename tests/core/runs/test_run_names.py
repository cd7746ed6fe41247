"""Run names are the owner's (issue 14, 12; migration 0014): a run one cannot see neither blocks a name nor
answers differently from a name nobody uses."""

import pytest

from studio.core.errors import AccessDenied, ConflictError, NotFoundError
from tests.core.datasets.test_access import statements_of


def _done(studio, user, run):
    return studio.runs.wait(user, run.id, timeout_s=60, poll_s=0.05)


def test_a_run_you_cannot_see_does_not_exist_for_you(studio, make_user, settings, small_dataset, in_thread):
    alice, bob, carol = make_user("trainer", "alice"), make_user("trainer", "bob"), make_user("trainer", "carol")
    admin = make_user("admin", "root")
    short = {"max_steps": 4, "eval_every": 4}
    # runs are seen through their dataset (or model): a grant on alice's dataset shows her runs on it
    hers, his = small_dataset(alice, encrypt=False), small_dataset(bob, encrypt=False)
    secret = _done(studio, alice, studio.runs.start(alice, settings(name="secret-run", train=short, data=None,
                                                                    dataset=hers.id)))
    verbs = {
        "get": lambda n: studio.runs.get(bob, n), "metrics": lambda n: studio.runs.metrics(bob, n),
        "events": lambda n: studio.runs.events(bob, n), "checkpoints": lambda n: studio.runs.checkpoints(bob, n),
        "log": lambda n: studio.runs.read_log(bob, n), "rename": lambda n: studio.runs.update(bob, n, name="x"),
        "stop": lambda n: studio.runs.stop(bob, n), "kill": lambda n: studio.runs.kill(bob, n),
        "resume": lambda n: studio.runs.resume(bob, n), "join": lambda n: studio.runs.join(bob, n, 1),
        "delete": lambda n: studio.runs.delete(bob, n), "samples": lambda n: studio.runs.samples(bob, n),
    }
    answers: dict[str, list] = {}
    for name in ("secret-run", "SECRET-RUN", "no-such-run"):
        for verb, call in verbs.items():
            statements, error = statements_of(studio, lambda call=call, name=name: call(name))
            assert isinstance(error, NotFoundError), (verb, name, error)
            answers.setdefault(verb, []).append((str(error).replace(name, "NAME"), statements))
    assert all(a == b == c for a, b, c in answers.values()), answers  # same text, same SQL
    # `studio sample NAME` falls through to the vault's models, as for a name nobody uses
    for name in ("secret-run", "no-such-run"):
        with pytest.raises(NotFoundError, match="model"):
            studio.runs.load_model(bob, name)
    with pytest.raises(AccessDenied):  # by id the policy decides, and records the refusal
        studio.runs.get(bob, secret.id)

    # the name is free for him (it was "already exists" before: that told him the run existed)
    mine = _done(studio, bob, studio.runs.start(bob, settings(name="secret-run", train=short, data=None,
                                                              dataset=his.id)))
    assert mine.id != secret.id and [r.id for r in studio.runs.list(bob)] == [mine.id]
    assert studio.runs.get(alice, "secret-run").id == secret.id
    assert studio.runs.get(bob, "secret-run").id == mine.id
    assert studio.runs.get(alice, "Secret-Run").id == secret.id  # another case: the one run she can see
    with pytest.raises(ConflictError, match="already"):  # still unique per owner
        studio.runs.start(bob, settings(name="secret-run", train=short))
    other = studio.runs.start(bob, settings(name="other", train=short))
    _done(studio, bob, other)
    with pytest.raises(ConflictError, match="already"):
        studio.runs.update(bob, other.id, name="secret-run")
    assert studio.runs.update(alice, secret.id, name="other").name == "other"  # his "other" is his
    studio.runs.update(alice, secret.id, name="secret-run")

    # shared with him: his own comes first; carol sees alice's alone, then both (she must give the id)
    studio.grants.add(alice, "bob", "dataset", hers.id, "use")
    assert studio.runs.get(bob, "secret-run").id == mine.id and studio.runs.get(bob, secret.id).id == secret.id
    studio.grants.add(alice, "carol", "dataset", hers.id, "use")
    assert studio.runs.get(carol, "secret-run").id == secret.id
    studio.grants.add(bob, "carol", "dataset", his.id, "use")
    for who in (carol, admin):
        with pytest.raises(ConflictError, match=rf"Several runs you can see are called 'secret-run' "
                                                rf"\(ids {secret.id} \(alice's\), {mine.id} \(bob's\)\); give the id"):
            studio.runs.get(who, "secret-run")
    assert studio.runs.get(carol, mine.id).owner_name == "bob"  # by id
    # each owner's default names are their own too
    first = studio.runs.start(alice, settings(train=short))
    second = studio.runs.start(bob, settings(train=short))
    assert first.name == second.name
    _done(studio, alice, first), _done(studio, bob, second)
