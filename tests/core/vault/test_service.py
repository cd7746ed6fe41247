"""The vault service: loading, versions and lineage, export, bundles, sharing, revocation with rotation,
crypto-shredding, verification, and locked means locked."""

from __future__ import annotations

import io
import json
import sqlite3

import pytest
import torch
from sqlalchemy import text

from studio.core.actor import Actor
from studio.core.errors import AccessDenied, ConflictError, NotFoundError, ValidationError
from studio.core.stores.vault import LineageEdge
from studio.core.vault import files, safetensors_io, stream
from studio.core.vault.errors import VaultError, VaultIntegrityError, VaultKeyError, VaultLockedError
from studio.core.vault.stream import ArtifactRef
from studio.core.vault.wrap import raw_private
from tests.conftest import TEST_PASSWORD

from .conftest import blob_files, tiny_tensors

NEW_PASSWORD = "Granite-Otter-5528"


@pytest.fixture
def alice(admin, make_user):  # the administrators first: they hold the recovery key from the first store on
    return make_user("trainer", "alice")


@pytest.fixture
def bob(make_user):
    return make_user("trainer", "bob")


@pytest.fixture
def stored(studio, alice, st_file):
    return studio.vault.import_path(alice, st_file, name="tiny").version


def _same(a, b):
    return set(a) == set(b) and all(torch.equal(a[k], b[k]) for k in a)


def _damage(studio, artifact, pos=-1):
    path = studio.paths.vault / "blobs" / artifact.blob
    data = bytearray(path.read_bytes())
    data[pos] ^= 1
    path.write_bytes(data)


def test_add_version_from_tensors_with_lineage_and_load_any_version(studio, alice, stored, tensors):
    newer = tiny_tensors(seed=1)
    optim = {"exp_avg.0": torch.ones(3)}
    v2 = studio.vault.add_version(
        alice, "tiny", newer, config={"n_layer": 1, "vocab_size": 32}, tokenizer={"model": {"type": "BPE"}},
        optimizer=optim, kind="checkpoint",
        lineage=[LineageEdge("dataset", "7", "shakespeare"), LineageEdge("run", "3", "run 3"),
                 LineageEdge("source_version", str(stored.id))], metadata={"step": 200})
    assert v2.number == 2 and v2.kind == "checkpoint" and v2.metadata["step"] == 200
    assert {a.role for a in v2.artifacts} == {"weights", "config", "tokenizer", "optimizer"}
    first, second = studio.vault.load(alice, "tiny", 1), studio.vault.load(alice, "tiny")
    assert _same(first.tensors, tensors) and first.config is None
    assert _same(second.tensors, newer) and _same(second.optimizer, optim)
    assert second.config == {"n_layer": 1, "vocab_size": 32}
    assert json.loads(second.tokenizer) == {"model": {"type": "BPE"}}
    only = studio.vault.load(alice, "tiny", roles={"optimizer"})
    assert only.tensors == {} and _same(only.optimizer, optim)
    # a compressed model elsewhere, made from version 2
    small = studio.vault.add_version(alice, None, {"w": torch.ones(2)}, name="tiny-pruned", kind="compressed",
                                     lineage=[LineageEdge("source_version", str(v2.id)),
                                              LineageEdge("recipe", "", '{"prune": 0.5}')])
    details = studio.vault.show(alice, "tiny")
    assert [v.number for v in details.versions] == [1, 2]
    assert [(d.model_name, d.kind) for d in details.derived] == [("tiny-pruned", "compressed")]
    assert {e.kind for e in details.versions[1].lineage} == {"dataset", "run", "source_version"}
    assert small.lineage[1].label == '{"prune": 0.5}'
    with pytest.raises(NotFoundError):
        studio.vault.load(alice, "tiny", 9)
    with pytest.raises(NotFoundError):
        studio.vault.add_version(alice, "tiny", newer, lineage=[LineageEdge("source_version", "999")])


def test_a_version_of_the_studios_gpt_is_labelled_from_its_config_in_notation(studio, alice):
    """Not a blank architecture, and no English prose a caller wrote: the family's notation, as runs and the
    compressor label theirs (the GUI translates words, never this)."""
    config = {"n_layer": 8, "n_head": 4, "n_embd": 128, "block_size": 64, "vocab_size": 65}
    v = studio.vault.add_version(alice, None, tiny_tensors(), name="gpt-8", config=config)
    assert v.architecture == "GPT 8L/128d"
    hf = studio.vault.add_version(alice, None, tiny_tensors(), name="hf", config={"model_type": "llama"})
    assert hf.architecture == "llama"  # a config that names its type keeps it
    odd = studio.vault.add_version(alice, None, tiny_tensors(), name="odd", config={"a": 1})
    assert odd.architecture == ""  # nothing describes it: unknown rather than a guess


def test_a_failed_tag_anywhere_hands_nothing_over(studio, alice, monkeypatch):
    v = studio.vault.add_version(alice, None, tiny_tensors(), name="m", config={"a": 1})
    weights = next(a for a in v.artifacts if a.role == "weights")
    config = next(a for a in v.artifacts if a.role == "config")
    handed = []
    monkeypatch.setattr(safetensors_io, "tensors_from_buffer", lambda *a, **k: handed.append(a))
    zeroed = []
    real_zero = stream.zero
    monkeypatch.setattr(stream, "zero", lambda buf: (zeroed.append(len(buf)), real_zero(buf)))
    _damage(studio, config)  # the LAST file's last tag: the weights decrypted fine before it
    with pytest.raises(VaultIntegrityError) as info:
        studio.vault.load(alice, "m")
    assert info.value.reason == "chunk_damaged"
    assert handed == []
    assert weights.plaintext_size in zeroed  # the weights already decrypted were overwritten


def test_export_safetensors_and_hf_folder(studio, alice, hf_folder, st_file, tmp_path, hf_tensors):
    studio.vault.import_path(alice, st_file, name="single")
    studio.vault.import_path(alice, hf_folder, name="sharded")
    one = studio.vault.export(alice, "single", tmp_path / "out" / "one.safetensors")
    assert one.read_bytes() == st_file.read_bytes()  # byte for byte what was imported
    merged = studio.vault.export(alice, "sharded", tmp_path / "out" / "merged.safetensors")
    from safetensors.torch import load_file

    assert _same(load_file(str(merged)), hf_tensors)
    folder = studio.vault.export(alice, "sharded", tmp_path / "out" / "hf", format="hf")
    for name in ("config.json", "tokenizer.json", "model.safetensors.index.json", "model-00001-of-00002.safetensors"):
        assert (folder / name).read_bytes() == (hf_folder / name).read_bytes()
    with pytest.raises(ConflictError):
        studio.vault.export(alice, "single", one)
    with pytest.raises(ValidationError):
        studio.vault.export(alice, "single", tmp_path / "x", format="gguf")


def test_a_file_grown_on_disk_is_refused_before_allocating(studio, alice, stored):
    path = studio.paths.vault / "blobs" / stored.artifacts[0].blob
    with open(path, "r+b") as fh:
        fh.truncate(10 << 30)  # sparse: 10 GB of nothing appended
    with pytest.raises(VaultIntegrityError) as info:
        studio.vault.load(alice, "tiny")
    assert info.value.reason == "trailing_data"


def test_export_of_a_damaged_model_leaves_nothing(studio, alice, stored, tmp_path):
    _damage(studio, stored.artifacts[0], pos=200)
    out = tmp_path / "out"
    out.mkdir()
    for fmt, target in (("safetensors", out / "m.safetensors"), ("hf", out / "hf")):
        with pytest.raises(VaultIntegrityError):
            studio.vault.export(alice, "tiny", target, format=fmt)
    assert list(out.iterdir()) == []


def _opens(studio, who, artifact_id) -> bool:
    """Whether `who`'s own keys open the artifact's data key (the cryptographic half of access)."""
    from studio.core.db.tables.vault import VaultArtifactRow

    with studio.db.session() as s:
        return studio.vault.keyring(s, who).can_open(s.get(VaultArtifactRow, artifact_id))


def test_share_then_revoke_rotates_every_key(studio, alice, bob, stored, tensors):
    assert not any(m.name == "tiny" for m in studio.vault.list_models(bob))
    # Both halves refuse: the policy (no grant; it answers first) and the keys (no wrap for bob).
    with pytest.raises(AccessDenied):  # by id; by name, a model he cannot see does not exist for him
        studio.vault.load(bob, stored.model_id)
    assert not _opens(studio, bob, stored.artifacts[0].id)
    assert studio.vault.share(alice, "tiny", bob.user_id) == 1
    assert _same(studio.vault.load(bob, "tiny").tensors, tensors)
    # what bob could have kept: the data key, and the encrypted file
    art = stored.artifacts[0]
    old_path = studio.paths.vault / "blobs" / art.blob
    old_bytes = old_path.read_bytes()
    ref = ArtifactRef(_vault_id(studio), bytes.fromhex(art.uid), 1, "weights")
    from studio.core.db.tables.vault import VaultArtifactRow

    with studio.db.session() as s:
        keyring = studio.vault.keyring(s, bob)
        old_key = keyring.data_key(s.get(VaultArtifactRow, art.id))
    assert studio.vault.revoke(alice, "tiny", bob.user_id) == 1
    with pytest.raises(AccessDenied):
        studio.vault.load(bob, stored.model_id)
    with pytest.raises(NotFoundError):  # by name: no longer his to see
        studio.vault.load(bob, "tiny")
    assert not _opens(studio, bob, art.id)
    new = studio.vault.show(alice, "tiny").versions[0].artifacts[0]
    assert new.key_epoch == 1 and new.blob != art.blob and not old_path.exists()
    with pytest.raises(VaultIntegrityError) as info:  # bob's old key opens nothing current
        files.verify_file(studio.paths.vault / "blobs" / new.blob, old_key, ref)
    assert info.value.reason == "header_auth"
    assert stream.decrypt_to_bytes(io.BytesIO(old_bytes), old_key, ref)  # only the old copy
    assert _same(studio.vault.load(alice, "tiny").tensors, tensors)
    with pytest.raises(ValidationError):
        studio.vault.revoke(alice, "tiny", alice.user_id)


def _vault_id(studio):
    with studio.db.session() as s:
        return studio.vault.store.meta(s).vault_id


def test_new_versions_are_wrapped_for_everyone_it_is_shared_with(studio, alice, bob, stored):
    studio.vault.share(alice, "tiny", bob.user_id)
    studio.vault.add_version(alice, "tiny", tiny_tensors(3))
    assert studio.vault.load(bob, "tiny").version.number == 2


def test_administrators_recover_through_the_recovery_key(studio, admin, alice, stored, make_user, tensors):
    root = make_user.root()
    for holder in (root, admin):  # both administrators got the recovery key when the vault was made
        assert _same(studio.vault.load(holder, "tiny").tensors, tensors)
    late_admin = make_user("admin", "late")  # created after the vault: the role hook wrapped it for them
    assert _same(studio.vault.load(late_admin, "tiny").tensors, tensors)
    assert studio.vault.revoke_recovery(admin, late_admin.user_id)
    with pytest.raises(VaultKeyError):  # the policy lets an administrator in; the keys do not
        studio.vault.load(late_admin, "tiny")
    studio.vault.share_recovery(admin, late_admin.user_id)
    assert _same(studio.vault.load(late_admin, "tiny").tensors, tensors)
    for other in (late_admin, root):
        assert studio.vault.revoke_recovery(admin, other.user_id)
    with pytest.raises(Exception, match="last administrator"):
        studio.vault.revoke_recovery(admin, admin.user_id)
    with pytest.raises(ValidationError):  # a trainer cannot hold the recovery key
        studio.vault.share_recovery(admin, alice.user_id)


def test_the_recovery_key_follows_the_admin_role(studio, admin, alice, bob, stored, make_user):
    bobs = studio.vault.add_version(bob, None, tiny_tensors(5), name="bobs")
    studio.accounts.set_role(admin, "alice", "admin")  # the same session: the policy reads the role afresh
    assert studio.vault.load(alice, "bobs").version.id == bobs.id  # through the recovery key
    studio.accounts.set_role(admin, "alice", "trainer")
    with pytest.raises(AccessDenied):
        studio.vault.load(alice, bobs.model_id)
    root = make_user.root()
    with studio.db.session() as s:
        assert studio.vault.store.recovery_holders(s) == [root.user_id, admin.user_id]
    # Demoting the last holder of the recovery key is refused, and the role change is undone with it.
    studio.vault.revoke_recovery(admin, root.user_id)
    with pytest.raises(VaultError, match="last administrator"):
        studio.accounts.set_role(root, "admin", "trainer")
    assert studio.accounts.user("admin").role == "admin"
    assert studio.vault.load(admin, "bobs").version.id == bobs.id


def test_rewrap_after_a_key_pair_reset(studio, admin, alice, stored, tensors):
    old_key = raw_private(alice.private_key())
    studio.accounts.reset_password(admin, "alice", NEW_PASSWORD)  # a new key pair; the hook re-wraps
    with pytest.raises(AccessDenied, match="password reset"):
        studio.vault.load(alice, "tiny")  # the old session holds the old key pair
    reset = studio.accounts.login("alice", NEW_PASSWORD)
    assert raw_private(reset.private_key()) != old_key
    assert _same(studio.vault.load(reset, "tiny").tensors, tensors)
    assert studio.vault.rewrap_user(admin, alice.user_id) == 1  # by hand: a repair, the same result
    assert _same(studio.vault.load(reset, "tiny").tensors, tensors)
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from studio.core.security.session import UserSession

    old = UserSession(alice.user_id, "alice", "trainer", X25519PrivateKey.from_private_bytes(old_key), None)
    assert not _opens(studio, old, stored.artifacts[0].id)  # the old key pair opens nothing any more


def test_rotate_keeps_the_content(studio, alice, stored, tensors):
    before = blob_files(studio)
    assert studio.vault.rotate(alice, "tiny") == 1
    after = blob_files(studio)
    assert len(after) == 1 and after != before and after[0].endswith(".1.msv")
    assert _same(studio.vault.load(alice, "tiny").tensors, tensors)


def test_rotation_of_a_damaged_model_changes_nothing(studio, alice, stored):
    studio.vault.add_version(alice, "tiny", tiny_tensors(4))
    versions = studio.vault.versions(alice, "tiny")
    _damage(studio, versions[1].artifacts[0])
    before = blob_files(studio)
    with pytest.raises(VaultIntegrityError):
        studio.vault.rotate(alice, "tiny")
    assert blob_files(studio) == before  # new files removed; the old ones untouched
    assert studio.vault.load(alice, "tiny", 1).tensors


def test_delete_crypto_shreds(studio, alice, stored):
    from sqlalchemy import event

    # this SQLite may be built with secure_delete on by default: turn it off, so that only the vault's
    # own PRAGMA can be what erases the deleted keys
    event.listen(studio.db.engine, "connect", lambda conn, _: conn.execute("PRAGMA secure_delete=OFF"))
    studio.db.engine.dispose()
    with studio.db.session() as s:
        wrapped = [r[0] for r in s.execute(text("SELECT wrapped FROM vault_wrapped_keys"))]
    assert wrapped
    assert studio.vault.delete(alice, "tiny") == 1
    assert blob_files(studio) == []
    assert studio.vault.list_models(alice) == []
    raw = b"".join(p.read_bytes() for p in studio.paths.root.glob("studio.db*"))
    assert not any(w in raw for w in wrapped)  # no page of the database keeps a wrapped key
    with sqlite3.connect(studio.paths.db) as conn:
        assert conn.execute("SELECT count(*) FROM vault_artifacts").fetchone()[0] == 0


def test_verify_reports_each_damaged_artifact_by_name(studio, alice, hf_folder, stored):
    studio.vault.import_path(alice, hf_folder, name="gpt")
    report = studio.vault.verify(alice)
    assert report.ok and report.models == 2 and report.files == 8
    gpt = studio.vault.show(alice, "gpt").versions[0]
    config = next(a for a in gpt.artifacts if a.name == "config.json")
    shard = next(a for a in gpt.artifacts if a.name.startswith("model-00002"))
    _damage(studio, config)
    (studio.paths.vault / "blobs" / shard.blob).unlink()
    report = studio.vault.verify(alice)
    assert not report.ok
    assert {(d.model, d.artifact, d.reason) for d in report.damaged} == {
        ("gpt", "config.json", "chunk_damaged"), ("gpt", "model-00002-of-00002.safetensors", "missing")}
    assert studio.vault.verify(alice, "tiny").ok


def test_update_and_name_rules(studio, alice, stored, st_file):
    info = studio.vault.update(alice, "tiny", name="tiny-2", tags=["b", "a", "a"], notes="n")
    assert (info.name, info.tags, info.notes) == ("tiny-2", ("a", "b"), "n")
    assert studio.vault.list_models(alice, search="A")[0].name == "tiny-2"
    assert studio.vault.list_models(alice, search="zzz") == []
    studio.vault.import_path(alice, st_file, name="other")
    with pytest.raises(ConflictError):
        studio.vault.update(alice, "other", name="tiny-2")
    for bad in ("", "   ", "123", "x" * 201, "a\nb"):
        with pytest.raises(ValidationError):
            studio.vault.update(alice, "other", name=bad)


def test_the_first_store_wraps_the_recovery_key_for_every_administrator(studio, admin, make_user):
    # With the test doubles used before the accounts were merged, a studio could have no administrator, and
    # its first store failed; with real accounts the first user is an administrator and the last one cannot
    # leave, so this checks the other half: a trainer's first store gives every administrator the recovery key.
    lonely = make_user()
    studio.vault.add_version(lonely, None, {"w": torch.ones(1)}, name="x")
    with studio.db.session() as s:
        assert studio.vault.store.recovery_holders(s) == [make_user.root().user_id, admin.user_id]
    assert studio.vault.load(admin, "x").tensors["w"].tolist() == [1.0]


# --- locked means locked ---------------------------------------------------------------------------------


def _every_operation(studio, who, other_id, st_file, tmp_path, pending_id):
    v = studio.vault
    return {
        "list": lambda: v.list_models(who),
        "show": lambda: v.show(who, "tiny"),
        "versions": lambda: v.versions(who, "tiny"),
        "import": lambda: v.import_path(who, st_file, name="again"),
        "add_version": lambda: v.add_version(who, "tiny", {"w": torch.ones(1)}),
        "load": lambda: v.load(who, "tiny"),
        "export": lambda: v.export(who, "tiny", tmp_path / "locked.safetensors"),
        "bundle": lambda: v.bundle(who, "tiny", tmp_path / "locked.msbundle", to_user=other_id),
        "unbundle": lambda: v.unbundle(who, tmp_path / "shared.msbundle"),
        "verify": lambda: v.verify(who),
        "verify_one": lambda: v.verify(who, "tiny"),
        "rotate": lambda: v.rotate(who, "tiny"),
        "share": lambda: v.share(who, "tiny", other_id),
        "revoke": lambda: v.revoke(who, "tiny", other_id),
        "update": lambda: v.update(who, "tiny", notes="x"),
        "delete": lambda: v.delete(who, "tiny"),
        "reserve": lambda: v.reserve_version(who, "tiny"),
        "share_recovery": lambda: v.share_recovery(who, other_id),
        "revoke_recovery": lambda: v.revoke_recovery(who, other_id),
        "rewrap_user": lambda: v.rewrap_user(who, other_id),
    }


@pytest.mark.parametrize("how", ["plain-actor", "locked-session"])
def test_locked_means_locked(studio, alice, bob, stored, st_file, tmp_path, how):
    studio.vault.bundle(alice, "tiny", tmp_path / "shared.msbundle", to_user="bob")
    pending = studio.vault.reserve_version(alice, "tiny")
    if how == "plain-actor":
        who = Actor(alice.user_id, alice.user_name, "admin")  # even an administrator without a key
    else:
        who = alice
        alice.lock()
    before = (blob_files(studio), sorted(p.name for p in tmp_path.iterdir()))
    denied = _denials(studio)
    calls = _every_operation(studio, who, bob.user_id, st_file, tmp_path, pending.version_id)
    for name, call in calls.items():
        with pytest.raises(VaultLockedError):
            call()
            pytest.fail(f"{name} ran while locked")
    assert (blob_files(studio), sorted(p.name for p in tmp_path.iterdir())) == before
    assert _denials(studio) == denied + len(calls)  # each refusal is in the audit log
    alice = studio.accounts.login("alice", TEST_PASSWORD)  # logged in again, everything is there
    assert studio.vault.load(alice, "tiny").tensors


def _denials(studio) -> int:
    with studio.db.session() as s:
        return s.scalar(text("SELECT count(*) FROM audit_log WHERE outcome = 'denied'"))
