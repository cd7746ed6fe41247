"""The full role matrix: every operation in the catalogue x every role x granted / not granted, through the
real door (Service.operation) with a real change inside. A denial must change nothing and be audited."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from studio.core import operations as ops
from studio.core.db.tables.accounts import GrantRow
from studio.core.db.tables.settings import SettingRow
from studio.core.errors import AccessDenied
from studio.core.security import policy
from studio.core.services.base import Service

# Expected outcomes, written from the description of the roles (not from the code):
# admin: everything; trainer: datasets, runs, compression, models they own or are granted; viewer: sees runs,
# metrics and models granted to them, generates with them, no export, no delete, no management.
# Each column is "<not granted><granted>" for the actor on an object owned by another trainer. "granted" means
# the operation's own grant (manage where it has none); for runs, that grant is on the run's model.
# User and login operations act on another user's account. vault.verify checks every model the actor can
# open (no one object); vault.recovery hands the administrators' recovery key around (acts on a user).
EXPECTED = """
user.create             YY  NN  NN
user.list               YY  NN  NN
user.update             YY  NN  NN
user.reset_password     YY  NN  NN
user.change_password    YY  NN  NN
auth.login              YY  NN  NN
auth.logout             YY  NN  NN
grant.add               YY  NY  NN
grant.revoke            YY  NY  NN
grant.list              YY  NY  NY
audit.read              YY  NN  NN
audit.verify            YY  NN  NN
audit.export            YY  NN  NN
audit.reseal            YY  NN  NN
dataset.import          YY  YY  NN
dataset.list            YY  YY  YY
dataset.read            YY  NY  NY
dataset.update          YY  NY  NN
dataset.delete          YY  NY  NN
model.import            YY  YY  NN
model.list              YY  YY  YY
model.read              YY  NY  NY
model.update            YY  NY  NN
model.rotate            YY  NY  NN
model.verify            YY  NY  NY
model.compress          YY  YY  NN
model.merge             YY  YY  NN
model.export            YY  NY  NN
model.delete            YY  NY  NN
run.start               YY  YY  NN
run.list                YY  YY  YY
run.read                YY  NY  NY
run.control             YY  NN  NN
run.delete              YY  NN  NN
compress.run            YY  NY  NN
vault.verify            YY  YY  YY
vault.recovery          YY  NN  NN
"""
ROLES = ("admin", "trainer", "viewer")
TABLE = {line.split()[0]: dict(zip(ROLES, line.split()[1:], strict=True)) for line in EXPECTED.strip().splitlines()}

# Creation and list operations act on no object yet.
GLOBAL = {ops.USER_CREATE, ops.USER_LIST, ops.AUDIT_READ, ops.AUDIT_VERIFY, ops.AUDIT_EXPORT, ops.AUDIT_RESEAL, ops.DATASET_IMPORT,
          ops.DATASET_LIST, ops.MODEL_IMPORT, ops.MODEL_COMPRESS, ops.MODEL_MERGE, ops.MODEL_LIST, ops.RUN_START,
          ops.RUN_LIST, ops.VAULT_VERIFY,
          ops.KEY_LIST, ops.SERVE_RECORD_TEXT, ops.SERVE_STOP}
MODEL_ID, DATASET_ID, RUN_ID = "7", "8", "9"


def expected_by_rule(name: str, role: str, granted: bool, has_object: bool) -> bool:
    """For operations added to the catalogue after this table was written: the documented rule."""
    spec = ops.OPERATIONS[name]
    if role not in spec.roles:
        return False
    if role == "admin" or not has_object:
        return True
    if spec.obj_type == "user" or spec.grant is None:
        return False
    if spec.obj_type == "run":  # a grant on the run's model lets its holder read the run, nothing more
        return granted and spec.grant == "use"
    return granted


def test_the_table_covers_the_catalogue_as_written():
    assert set(TABLE) <= set(ops.OPERATIONS), "an operation in the table was renamed or removed"


@pytest.fixture
def world(studio, make_user, monkeypatch):
    """Three actors, an owner of every object, another user, and test object types backed by a dict."""
    owner = make_user("trainer", "owner")
    other = make_user("trainer", "other")
    owners = {("model", MODEL_ID): owner.user_id, ("dataset", DATASET_ID): owner.user_id,
              ("run", RUN_ID): owner.user_id}
    for obj_type in ("model", "dataset", "run"):
        monkeypatch.setitem(policy._REGISTRY, obj_type, policy.ObjectType(
            obj_type, owner_of=lambda s, oid, t=obj_type: owners.get((t, oid)),
            implied_by=(lambda s, oid: [("model", MODEL_ID), ("dataset", DATASET_ID)]) if obj_type == "run" else None,
            exists=None))
    actors = {"admin": make_user("admin", "admin2"), "trainer": make_user("trainer", "trainee"),
              "viewer": make_user("viewer", "watcher")}
    return {"owner": owner, "other": other, "actors": actors}


def target(name: str, world) -> tuple[str | None, str | None, str | None]:
    """(obj_type, obj_id, grant type:id to give for "granted") for an operation."""
    spec = ops.OPERATIONS[name]
    if name in GLOBAL:
        return spec.obj_type, None, None
    if spec.obj_type == "user":
        return "user", str(world["other"].user_id), None
    if spec.obj_type is None:  # grant operations act on the object they grant
        return "model", MODEL_ID, ("model", MODEL_ID)
    if spec.obj_type == "run":
        return "run", RUN_ID, ("model", MODEL_ID)
    return spec.obj_type, {"model": MODEL_ID, "dataset": DATASET_ID}.get(spec.obj_type, "1"), \
        (spec.obj_type, {"model": MODEL_ID, "dataset": DATASET_ID}.get(spec.obj_type, "1"))


def last_entry(studio):
    return studio.audit_store.page(limit=1)[0]


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_for_every_role_granted_or_not(studio, world, role):
    service = Service(studio)
    actor = world["actors"][role]
    checked = 0
    for n, name in enumerate(sorted(ops.OPERATIONS)):
        spec = ops.OPERATIONS[name]
        obj_type, obj_id, grant_on = target(name, world)
        for granted in (False, True):
            if granted and grant_on is not None:  # given by the owner (authenticated like any grant)
                with service.acting_session(world["owner"]) as s:
                    s.add(GrantRow(user_id=actor.user_id, obj_type=grant_on[0], obj_id=grant_on[1],
                                   permission=spec.grant or "manage", granted_at=studio.accounts.now()))
            if name in TABLE:
                want = TABLE[name][role][int(granted)] == "Y"
            else:
                want = expected_by_rule(name, role, granted, obj_id is not None)
            key = f"matrix.{role}.{n}.{int(granted)}"
            before = studio.audit_store.max_seq()
            try:
                with service.operation(actor, name, obj_type, obj_id, probe=key) as op:
                    op.session.add(SettingRow(key=key, value_json="1"))
                got = True
            except AccessDenied as error:
                got = False
                assert name in str(error)
            assert got == want, f"{role} {'with' if granted else 'without'} grant: {name} should be " \
                                f"{'allowed' if want else 'denied'}"
            with studio.db.session() as s:
                changed = s.get(SettingRow, key) is not None
            assert changed == want, f"{name} by {role}: the change {'is missing' if want else 'happened anyway'}"
            entry = last_entry(studio)
            assert entry.seq == before + 1  # exactly one entry per attempt
            assert (entry.action, entry.actor_name, entry.outcome) == (name, actor.user_name,
                                                                        "allowed" if want else "denied")
            assert entry.obj_id == obj_id and json.loads(entry.details_json)["probe"] == key
            if granted and grant_on is not None:
                with service.acting_session(world["owner"]) as s:
                    for grant in s.scalars(select(GrantRow).where(GrantRow.user_id == actor.user_id)):
                        s.delete(grant)
            checked += 1
    assert checked == 2 * len(ops.OPERATIONS)


def test_owners_do_everything_their_role_allows_on_their_objects(studio, world):
    service = Service(studio)
    owner = world["owner"]
    for name in sorted(ops.OPERATIONS):
        obj_type, obj_id, _ = target(name, world)
        if obj_id is None or obj_type == "user":
            continue
        with service.operation(owner, name, obj_type, obj_id):
            pass
    # ...and a role change takes effect at once, on the same session object: a viewer-owner may not delete.
    studio.accounts.set_role(world["actors"]["admin"], "owner", "viewer")
    with pytest.raises(AccessDenied, match="viewer role may not"):
        with service.operation(owner, ops.MODEL_DELETE, "model", MODEL_ID):
            pass
    with service.operation(owner, ops.MODEL_READ, "model", MODEL_ID):
        pass


def test_users_act_on_their_own_account_only(studio, world):
    service = Service(studio)
    me = world["actors"]["viewer"]
    for name in (ops.USER_CHANGE_PASSWORD, ops.AUTH_LOGOUT, ops.GRANT_LIST):
        with service.operation(me, name, "user", me.user_id):
            pass
        with pytest.raises(AccessDenied):
            with service.operation(me, name, "user", world["other"].user_id):
                pass


def test_disabled_or_locked_sessions_are_refused(studio, world):
    service = Service(studio)
    trainer = world["actors"]["trainer"]
    studio.accounts.set_disabled(world["actors"]["admin"], trainer.user_name, True)
    with pytest.raises(AccessDenied, match="disabled"):
        with service.operation(trainer, ops.MODEL_LIST):
            pass
    viewer = world["actors"]["viewer"]
    viewer.lock()
    with pytest.raises(AccessDenied, match="locked"):
        with service.operation(viewer, ops.MODEL_LIST):
            pass
    assert [e.outcome for e in studio.audit_store.page(limit=2)] == ["denied", "denied"]


def test_higher_grants_include_lower_ones(studio, world):
    service = Service(studio)
    trainer = world["actors"]["trainer"]
    with service.acting_session(world["owner"]) as s:
        s.add(GrantRow(user_id=trainer.user_id, obj_type="model", obj_id=MODEL_ID, permission="export",
                       granted_at=studio.accounts.now()))
    for name, allowed in ((ops.MODEL_READ, True), (ops.MODEL_EXPORT, True), (ops.MODEL_DELETE, False)):
        try:
            with service.operation(trainer, name, "model", MODEL_ID):
                pass
            assert allowed, name
        except AccessDenied:
            assert not allowed, name
    with studio.db.session() as s:
        assert s.scalars(select(GrantRow.permission).where(GrantRow.user_id == trainer.user_id)).all() == ["export"]
