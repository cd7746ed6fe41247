import csv
import json

import pytest

from studio.core import operations as ops
from studio.core.errors import AccessDenied, ConflictError, NotFoundError, ValidationError
from studio.core.security import events, policy
from studio.core.services.base import Service
from studio.core.stores.audit import AuditFilter


@pytest.fixture
def models(monkeypatch):
    """A "model" object type backed by a dict {id: owner}, and a "run" implied by its model."""
    owners: dict[str, int] = {}
    runs: dict[str, str] = {}
    monkeypatch.setitem(policy._REGISTRY, "model", policy.ObjectType("model", lambda s, oid: owners.get(oid), None, None))
    monkeypatch.setitem(policy._REGISTRY, "run", policy.ObjectType(
        "run", lambda s, oid: None, lambda s, oid: [("model", runs.get(oid))], lambda s, oid: oid in runs))
    return owners, runs


def test_owner_grants_and_revokes_and_the_vault_hears_of_it(studio, make_user, models, monkeypatch):
    owners, _ = models
    alice, bob = make_user("trainer", "alice"), make_user("viewer", "bob")
    owners["1"] = alice.user_id
    heard = []
    monkeypatch.setattr(events, "_grant_listeners", [lambda s, actor, event, g: heard.append((event, g.user_name))])
    with pytest.raises(AccessDenied):
        with Service(studio).operation(bob, ops.MODEL_READ, "model", 1):
            pass
    grant = studio.grants.add(alice, "bob", "model", 1, "use")
    assert (grant.user_name, grant.permission, grant.granted_by) == ("bob", "use", alice.user_id)
    with Service(studio).operation(bob, ops.MODEL_READ, "model", 1):
        pass
    with pytest.raises(ConflictError):
        studio.grants.add(alice, "bob", "model", 1, "use")
    with pytest.raises(ValidationError, match="viewer can only be given"):
        studio.grants.add(alice, "bob", "model", 1, "export")
    assert [g.user_name for g in studio.grants.list(alice, obj_type="model", obj_id=1)] == ["bob"]
    assert [g.obj_id for g in studio.grants.list(bob)] == ["1"]  # one's own grants
    with pytest.raises(AccessDenied):
        studio.grants.list(bob, obj_type="model", obj_id=1)  # not the object's owner or manager
    studio.grants.revoke(alice, "bob", "model", 1, "use")
    with pytest.raises(AccessDenied):
        with Service(studio).operation(bob, ops.MODEL_READ, "model", 1):
            pass
    assert heard == [("added", "bob"), ("revoked", "bob")]


def test_grants_need_an_existing_object_and_a_known_permission(studio, admin, make_user, models):
    make_user("trainer", "alice")
    with pytest.raises(NotFoundError):
        studio.grants.add(admin, "alice", "model", 99, "use")
    models[0]["1"] = admin.user_id
    with pytest.raises(ValidationError):
        studio.grants.add(admin, "alice", "model", 1, "own")
    with pytest.raises(ValidationError):
        studio.grants.add(admin, "alice", "run", 1, "use")  # runs follow their model and dataset
    with pytest.raises(NotFoundError):
        studio.grants.add(admin, "nobody", "model", 1, "use")


def test_a_manager_may_grant_but_a_user_may_not(studio, make_user, models):
    owners, _ = models
    alice, bob, carol = make_user("trainer", "alice"), make_user("trainer", "bob"), make_user("trainer", "carol")
    owners["1"] = alice.user_id
    studio.grants.add(alice, "bob", "model", 1, "use")
    with pytest.raises(AccessDenied):
        studio.grants.add(bob, "carol", "model", 1, "use")
    studio.grants.add(alice, "bob", "model", 1, "manage")
    studio.grants.add(bob, "carol", "model", 1, "export")
    with Service(studio).operation(carol, ops.MODEL_EXPORT, "model", 1):
        pass


def test_a_grant_on_a_runs_model_lets_a_viewer_read_the_run(studio, make_user, models):
    owners, runs = models
    alice, vera = make_user("trainer", "alice"), make_user("viewer", "vera")
    owners["1"], runs["5"] = alice.user_id, "1"
    assert not Service(studio).can(vera, ops.RUN_READ, "run", 5)
    studio.grants.add(alice, "vera", "model", 1, "use")
    assert Service(studio).can(vera, ops.RUN_READ, "run", 5)
    assert not Service(studio).can(vera, ops.RUN_CONTROL, "run", 5)
    with Service(studio).operation(studio.accounts.login("vera", make_user.password), ops.RUN_LIST):
        pass
    with studio.db.session() as s:
        assert policy.visible_ids(s, vera, "run", ["5", "6"]) == ["5"]


def test_export_csv_and_jsonl_with_filters(studio, admin, make_user, tmp_path):
    make_user("viewer", "vera")
    n = studio.audit.export(admin, tmp_path / "all.jsonl")
    lines = [json.loads(x) for x in (tmp_path / "all.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(lines) == n and [e["seq"] for e in lines] == sorted(e["seq"] for e in lines)
    assert {"seq", "ts", "actor", "action", "outcome", "details", "mac"} <= set(lines[0])
    n = studio.audit.export(admin, tmp_path / "logins.csv", AuditFilter(action="auth.", user="vera"))
    with open(tmp_path / "logins.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == n == 1 and rows[0]["action"] == "auth.login" and rows[0]["actor"] == "vera"
    last = studio.audit_store.page(limit=1)[0]
    assert last.action == ops.AUDIT_EXPORT and last.details["entries"] == 1
    with pytest.raises(ValidationError):
        studio.audit.export(admin, tmp_path / "x.xlsx")
    vera = studio.accounts.login("vera", make_user.password)
    with pytest.raises(AccessDenied):
        studio.audit.export(vera, tmp_path / "v.csv")
    assert not (tmp_path / "v.csv").exists()


def test_filters_and_pages(studio, admin, make_user):
    for i in range(3):
        make_user("viewer", f"v{i}")
    store = studio.audit_store
    everything = store.page(limit=1000)
    assert [e.seq for e in everything] == sorted((e.seq for e in everything), reverse=True)
    first, second = store.page(limit=3), store.page(before_seq=store.page(limit=3)[-1].seq, limit=3)
    assert [e.seq for e in first + second] == [e.seq for e in everything[:6]]
    logins = store.page(AuditFilter(action=ops.AUTH_LOGIN))
    assert logins and all(e.action == ops.AUTH_LOGIN for e in logins)
    assert all(e.actor_name == "v1" for e in store.page(AuditFilter(user="v1")))
    assert [e.details["name"] for e in store.page(AuditFilter(text='"V2"'))] == ["v2"]  # case-insensitive
    mid = everything[len(everything) // 2].ts
    assert all(e.ts >= mid for e in store.page(AuditFilter(since=mid)))
    assert store.matching_seqs(AuditFilter(action="user.")) == [e.seq for e in store.page(AuditFilter(action="user."))]
