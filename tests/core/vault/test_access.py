"""The vault with the real accounts: grants carry the keys (studio.grants or the vault's share/revoke, the
same thing), the policy and the keys agree, every operation and every refusal is in the audit log, and a
password reset or a failed rotation leaves nothing half done."""

from __future__ import annotations

import json

import pytest
import torch

from studio.core.db.tables.vault import VaultArtifactRow
from studio.core.errors import AccessDenied, ValidationError
from studio.core.vault.errors import VaultIntegrityError

from .conftest import blob_files

NEW_PASSWORD = "Granite-Otter-5528"


@pytest.fixture
def alice(admin, make_user):
    return make_user("trainer", "alice")


@pytest.fixture
def stored(studio, alice, st_file):
    return studio.vault.import_path(alice, st_file, name="tiny").version


def _entries(studio, n):
    return [(e.action, e.actor_name, e.outcome, json.loads(e.details_json)) for e in studio.audit_store.page(limit=n)]


def _last(studio, action):
    return next(e for e in _entries(studio, 50) if e[0] == action)


def _opens(studio, who, artifact_id) -> bool:
    with studio.db.session() as s:
        return studio.vault.keyring(s, who).can_open(s.get(VaultArtifactRow, artifact_id))


def _epochs(studio, who, model="tiny"):
    return [a.key_epoch for v in studio.vault.versions(who, model) for a in v.artifacts]


def test_a_viewer_granted_use_loads_but_never_exports_or_deletes(studio, alice, stored, make_user, tmp_path):
    viewer = make_user("viewer", "vic")
    studio.grants.add(alice, "vic", "model", stored.model_id, "use")  # the accounts' own door
    assert _opens(studio, viewer, stored.artifacts[0].id)  # the hook wrapped the key for him
    assert [m.name for m in studio.vault.list_models(viewer)] == ["tiny"]
    assert studio.vault.load(viewer, "tiny").tensors
    assert studio.vault.verify(viewer, "tiny").ok
    assert _entries(studio, 1)[0][:3] == ("model.verify", "vic", "allowed")
    refused = {
        "export": lambda: studio.vault.export(viewer, "tiny", tmp_path / "x.safetensors"),
        "bundle": lambda: studio.vault.bundle(viewer, "tiny", tmp_path / "x.msbundle", to_user="alice"),
        "delete": lambda: studio.vault.delete(viewer, "tiny"),
        "rotate": lambda: studio.vault.rotate(viewer, "tiny"),
        "share": lambda: studio.vault.share(viewer, "tiny", "admin"),
        "import": lambda: studio.vault.add_version(viewer, "tiny", {"w": torch.ones(1)}),
    }
    for name, call in refused.items():
        with pytest.raises(AccessDenied):
            call()
            pytest.fail(f"a viewer could {name}")
        action, actor, outcome, _ = _entries(studio, 1)[0]
        assert (actor, outcome) == ("vic", "denied"), name
    assert not list(tmp_path.glob("x.*"))
    with pytest.raises(ValidationError, match="viewer"):  # nobody can give a viewer more than use
        studio.vault.share(alice, "tiny", "vic", "export")


def test_the_export_grant_is_needed_to_export(studio, alice, stored, make_user, tmp_path, st_file):
    bob = make_user("trainer", "bob")
    assert studio.vault.share(alice, "tiny", "bob") == 1
    with pytest.raises(AccessDenied, match="needs the export grant"):
        studio.vault.export(bob, "tiny", tmp_path / "b.safetensors")
    assert _entries(studio, 1)[0][:3] == ("model.export", "bob", "denied")
    assert studio.vault.share(alice, "tiny", "bob", "export") == 0  # he holds the keys already
    out = studio.vault.export(bob, "tiny", tmp_path / "b.safetensors")
    assert out.read_bytes() == st_file.read_bytes()
    action, actor, outcome, details = _entries(studio, 1)[0]
    assert (action, actor, outcome, details["format"]) == ("model.export", "bob", "allowed", "safetensors")


def test_revoking_rotates_only_when_the_last_grant_goes(studio, alice, stored, make_user):
    bob = make_user("trainer", "bob")
    studio.grants.add(alice, "bob", "model", stored.model_id, "use")
    studio.grants.add(alice, "bob", "model", stored.model_id, "export")
    before = blob_files(studio)
    studio.grants.revoke(alice, "bob", "model", stored.model_id, "export")
    assert blob_files(studio) == before and studio.vault.load(bob, "tiny").tensors  # still holds use
    studio.grants.revoke(alice, "bob", "model", stored.model_id, "use")
    assert blob_files(studio) != before and _epochs(studio, alice) == [1]
    assert not _opens(studio, bob, stored.artifacts[0].id)
    _, actor, outcome, details = _last(studio, "grant.revoke")
    assert (actor, outcome, details["permission"]) == ("alice", "allowed", "use")


def test_a_revocation_whose_rotation_fails_is_undone(studio, alice, stored, make_user):
    bob = make_user("trainer", "bob")
    studio.vault.share(alice, "tiny", "bob")
    blob = studio.paths.vault / "blobs" / stored.artifacts[0].blob
    data = bytearray(blob.read_bytes())
    data[-1] ^= 1
    blob.write_bytes(data)
    before = blob_files(studio)
    with pytest.raises(VaultIntegrityError):
        studio.vault.revoke(alice, "tiny", "bob")
    assert blob_files(studio) == before  # no new file left; the old one untouched
    assert [g.permission for g in studio.accounts_store.grants(user_id=bob.user_id)] == ["use"]
    assert _opens(studio, bob, stored.artifacts[0].id)
    assert _entries(studio, 1)[0][:3] == ("grant.revoke", "alice", "failed")


def test_a_password_reset_rotates_what_was_granted_and_rewraps_what_is_owned(studio, admin, alice, stored,
                                                                              make_user):
    bob = make_user("trainer", "bob")
    studio.vault.add_version(bob, None, {"w": torch.ones(2)}, name="bobs")
    studio.vault.share(alice, "tiny", "bob")
    studio.accounts.reset_password(admin, "bob", NEW_PASSWORD)
    bob = studio.accounts.login("bob", NEW_PASSWORD)
    assert studio.vault.load(bob, "bobs").tensors["w"].tolist() == [1.0, 1.0]  # re-wrapped to the new key
    with pytest.raises(AccessDenied):  # the reset revoked his grant on tiny (by id: the policy answers)...
        studio.vault.load(bob, stored.model_id)
    assert _epochs(studio, alice) == [1]  # ...and tiny was re-encrypted under a new key
    assert not _opens(studio, bob, stored.artifacts[0].id)
    _, actor, outcome, details = _last(studio, "user.reset_password")
    assert (actor, outcome, details["revoked_grants"]) == ("admin", "allowed", [f"use model:{stored.model_id}"])


def test_deleting_a_model_deletes_its_grants(studio, alice, stored, make_user, st_file):
    make_user("trainer", "bob")
    studio.vault.share(alice, "tiny", "bob", "export")
    studio.vault.delete(alice, "tiny")
    assert studio.accounts_store.grants(obj_type="model") == []  # a later model may get the same id
    action, _, outcome, details = _entries(studio, 1)[0]
    assert (action, outcome, len(details["revoked_grants"])) == ("model.delete", "allowed", 1)


def test_operations_are_audited_with_their_outcome(studio, alice, stored, tmp_path, make_user):
    studio.vault.load(alice, "tiny")  # opening the weights is recorded, with the model's name beside its id
    action, actor, outcome, details = _entries(studio, 1)[0]
    assert (action, actor, outcome, details) == ("model.read", "alice", "allowed", {"name": "tiny", "version": 1})
    before = studio.audit_store.max_seq()
    studio.vault.list_models(alice)  # a list, and the description the Vault pane shows on a click: checked only
    studio.vault.show(alice, "tiny")
    assert studio.audit_store.max_seq() == before
    with pytest.raises(AccessDenied):  # ...but a refusal is recorded all the same
        studio.vault.show(make_user("trainer", "eve"), stored.model_id)
    action, actor, outcome, details = _entries(studio, 1)[0]
    assert (action, actor, outcome, details["name"]) == ("model.read", "eve", "denied", "tiny")
    blob = studio.paths.vault / "blobs" / stored.artifacts[0].blob
    data = bytearray(blob.read_bytes())
    data[100] ^= 1
    blob.write_bytes(data)
    with pytest.raises(VaultIntegrityError):
        studio.vault.export(alice, "tiny", tmp_path / "bad.safetensors")
    action, actor, outcome, details = _entries(studio, 1)[0]
    assert (action, actor, outcome, details["error"]) == ("model.export", "alice", "failed", "VaultIntegrityError")
    report = studio.vault.verify(alice)
    action, _, outcome, details = _entries(studio, 1)[0]
    assert (action, outcome, details["damaged"]) == ("vault.verify", "allowed", 1) and not report.ok


def test_rotate_and_verify_are_recorded_under_their_own_names(studio, alice, stored):
    studio.vault.rotate(alice, "tiny")
    studio.vault.verify(alice, "tiny")
    entries = _entries(studio, 2)
    assert [(e[0], e[3]["name"]) for e in entries] == [("model.verify", "tiny"), ("model.rotate", "tiny")]
    assert entries[1][3]["rotated"] == 1


def test_a_manager_shares_onward_with_the_keys_the_grant_gave_them(studio, alice, stored, make_user):
    bob, carol = make_user("trainer", "bob"), make_user("trainer", "carol")
    studio.vault.share(alice, "tiny", "bob", "manage")
    assert studio.vault.share(bob, "tiny", "carol") == 1  # wrapped from bob's own key
    assert studio.vault.load(carol, "tiny").tensors
    assert studio.vault.revoke(bob, "tiny", "carol") == 1
    assert not _opens(studio, carol, stored.artifacts[0].id)
    studio.vault.share(bob, "tiny", "carol", "export")
    with pytest.raises(AccessDenied, match="needs the manage grant"):  # export does not let her pass it on
        studio.vault.share(carol, "tiny", "admin")
