"""Encrypted bundles: re-wrapped for one recipient, importable in another studio, refused when tampered."""

from __future__ import annotations

import pytest
import torch

from studio.core.errors import ConflictError
from studio.core.services import Studio
from studio.core.vault import bundle as bundle_format
from studio.core.vault.errors import VaultError, VaultIntegrityError, VaultKeyError
from tests.conftest import TEST_PASSWORD

from .conftest import blob_files


@pytest.fixture
def people(make_user):
    return make_user("trainer", "alice"), make_user("trainer", "bob")


def test_bundle_for_a_user_of_this_studio(studio, people, hf_folder, tmp_path, hf_tensors):
    alice, bob = people
    studio.vault.import_path(alice, hf_folder, name="gpt", tags=["t"], notes="made by alice")
    info = studio.vault.bundle(alice, "gpt", tmp_path / "gpt.msbundle", to_user="bob")
    assert info.entries == 1 + 7 and info.version == 1
    data = (tmp_path / "gpt.msbundle").read_bytes()
    assert b"made by alice" not in data and b"GPT2LMHeadModel" not in data  # metadata travels encrypted
    with pytest.raises(VaultKeyError, match="not for yours"):
        studio.vault.unbundle(alice, tmp_path / "gpt.msbundle")
    v = studio.vault.unbundle(bob, tmp_path / "gpt.msbundle", name="gpt-from-alice")
    assert (v.model_name, v.kind, v.architecture, v.metadata["bundle_from"]) == ("gpt-from-alice", "bundle",
                                                                                   "GPT2LMHeadModel", "alice")
    loaded = studio.vault.load(bob, "gpt-from-alice")
    assert all(torch.equal(loaded.tensors[k], hf_tensors[k]) for k in hf_tensors)
    assert loaded.config["model_type"] == "gpt2"
    model = studio.vault.show(bob, "gpt-from-alice").model
    assert model.tags == ("t",) and model.owner_id == bob.user_id
    with pytest.raises(ConflictError):
        studio.vault.bundle(alice, "gpt", tmp_path / "gpt.msbundle", to_user="bob")


def test_a_bundles_lineage_keeps_the_senders_labels_and_no_words_of_ours(studio, people, tmp_path):
    from studio.core.stores.vault import LineageEdge

    alice, bob = people
    studio.vault.add_version(alice, None, {"w": torch.ones(4)}, name="trained", kind="checkpoint",
                             lineage=[LineageEdge("dataset", "3", "stories"), LineageEdge("run", "7", "lr-sweep"),
                                      LineageEdge("recipe", "", '{"quant": "int8"}'), LineageEdge("dataset", "4", "")])
    studio.vault.bundle(alice, "trained", tmp_path / "t.msbundle", to_user="bob")
    v = studio.vault.unbundle(bob, tmp_path / "t.msbundle", name="from-alice")
    assert v.kind == "bundle"  # what the Vault shows, translated, as "from a bundle"
    assert [(e.kind, e.ref, e.label) for e in v.lineage] == [
        ("dataset", "", "stories"), ("run", "", "lr-sweep"), ("recipe", "", '{"quant": "int8"}'), ("dataset", "", "4")]


def test_bundle_to_another_studio_by_public_key(studio, people, st_file, tmp_path, tensors):
    alice, _ = people
    studio.vault.import_path(alice, st_file, name="tiny")
    elsewhere = Studio.open(tmp_path / "other-data", log_to_file=False)
    try:
        carol = elsewhere.accounts.create_first_admin("carol", TEST_PASSWORD)  # her key: `studio vault key` prints it
        studio.vault.bundle(alice, "tiny", tmp_path / "t.msbundle", to_public_key=carol.public_key)
        v = elsewhere.vault.unbundle(carol, tmp_path / "t.msbundle")
        assert v.model_name == "tiny"
        loaded = elsewhere.vault.load(carol, "tiny")
        assert all(torch.equal(loaded.tensors[k], tensors[k]) for k in tensors)
    finally:
        elsewhere.close()


def test_a_tampered_bundle_is_refused_and_leaves_nothing(studio, people, st_file, tmp_path):
    alice, bob = people
    studio.vault.import_path(alice, st_file, name="tiny")
    path = tmp_path / "t.msbundle"
    studio.vault.bundle(alice, "tiny", path, to_user=bob.user_id)
    good = path.read_bytes()
    with open(path, "rb") as fh:
        index, start = bundle_format.read_index(fh, len(good))
    manifest, weights = index.entries
    before = blob_files(studio)
    # one byte in: the magic, the index JSON, the manifest's chunks, the weights' first and last chunk
    for pos in (0, 20, start + manifest.offset + 100, start + weights.offset + 120, len(good) - 1):
        bad = bytearray(good)
        bad[pos] ^= 1
        path.write_bytes(bad)
        with pytest.raises(VaultError):
            studio.vault.unbundle(bob, path, name="tiny-b")
        assert blob_files(studio) == before
        assert [m.name for m in studio.vault.list_models(bob)] == []
    path.write_bytes(good[:-100])
    with pytest.raises(VaultIntegrityError):
        studio.vault.unbundle(bob, path, name="tiny-b")
    for extra in (b"\0", b"appended after the end" * 100):  # bytes no tag covers (issue 14: were accepted)
        path.write_bytes(good + extra)
        with pytest.raises(VaultIntegrityError) as info:
            studio.vault.unbundle(bob, path, name="tiny-b")
        assert info.value.reason == "trailing_data" and "after its last entry" in str(info.value)
    assert [m.name for m in studio.vault.list_models(bob)] == [] and blob_files(studio) == before
    path.write_bytes(good)
    assert studio.vault.unbundle(bob, path, name="tiny-b").model_name == "tiny-b"


def test_index_fields_are_bounded(tmp_path):
    import json
    import struct

    def bundle_with(doc):
        body = json.dumps(doc).encode()
        return struct.pack(">8sHI", bundle_format.MAGIC, 1, len(body)) + body

    base = {"format": 1, "bundle_id": "00" * 16, "recipient": "11" * 32, "chunk_size": 1024,
            "entries": [{"id": "22" * 16, "role": "manifest", "version": 0, "offset": 0, "length": 10, "key": "ab"}]}
    cases = [dict(base, chunk_size=1 << 30), dict(base, entries=[]), dict(base, recipient="zz"),
             dict(base, entries=[dict(base["entries"][0], length=1 << 40)]),
             dict(base, entries=[dict(base["entries"][0], role="../x")])]
    for doc in cases:
        data = bundle_with(doc) + bytes(10)
        path = tmp_path / "b"
        path.write_bytes(data)
        with open(path, "rb") as fh, pytest.raises(VaultIntegrityError):
            bundle_format.read_index(fh, len(data))
    huge = struct.pack(">8sHI", bundle_format.MAGIC, 1, 1 << 31)
    path.write_bytes(huge)
    with open(path, "rb") as fh, pytest.raises(VaultIntegrityError):
        bundle_format.read_index(fh, len(huge))

