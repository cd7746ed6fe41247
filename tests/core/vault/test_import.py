"""Import: safetensors validated before anything is stored, HF folders, pickle weights (.pt/.bin) refused unread
(a malicious one never runs), and nothing left behind by any failure."""

from __future__ import annotations

import json
import os
import pickle
import struct
import zipfile

import pytest
import torch
from safetensors.torch import save_file

from studio.core.errors import ValidationError
from studio.core.vault import safetensors_io

from .conftest import blob_files


def _st(header: dict, data: bytes, raw_header: bytes | None = None) -> bytes:
    body = raw_header if raw_header is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(body)) + body + data


F32x2 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
BAD_FILES = {
    "header size beyond the file": struct.pack("<Q", 10_000) + b"{}",
    "header over 100 MB": struct.pack("<Q", 100_000_001) + b"{" + b" " * 20,
    "shorter than 8 bytes": b"\x01\x02",
    "not json": _st({}, b"", b"{nope"),
    "not starting with {": _st({}, b"", b' {"a": 1}'),
    "duplicate names": _st({}, bytes(16), b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                                          b'"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}'),
    "offsets outside": _st({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, bytes(4)),
    "overlap": _st({"a": F32x2, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, bytes(12)),
    "hole": _st({"a": F32x2, "b": {"dtype": "F32", "shape": [2], "data_offsets": [12, 20]}}, bytes(20)),
    "trailing bytes": _st({"a": F32x2}, bytes(12)),
    "dtype/shape mismatch": _st({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, bytes(8)),
    "unknown dtype": _st({"a": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}, bytes(16)),
    "negative shape": _st({"a": {"dtype": "U8", "shape": [-2], "data_offsets": [0, 0]}}, b""),
    "malformed entry": _st({"a": {"dtype": "F32", "shape": [2]}}, bytes(8)),
    "metadata not strings": _st({"__metadata__": {"a": 1}, "a": F32x2}, bytes(8)),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_invalid_safetensors_is_refused_and_nothing_stored(studio, admin, make_user, tmp_path, case):
    alice = make_user()
    path = tmp_path / "bad.safetensors"
    path.write_bytes(BAD_FILES[case])
    with pytest.raises(ValidationError) as info:
        studio.vault.import_path(alice, path, name="bad")
    assert "not a valid safetensors file" in str(info.value)
    assert studio.vault.list_models(admin) == []
    assert blob_files(studio) == []


def test_validator_accepts_what_safetensors_writes(tmp_path, tensors):
    path = tmp_path / "ok.safetensors"
    save_file(tensors, str(path))
    layout = safetensors_io.validate_file(path)
    assert {t.name for t in layout.tensors} == set(tensors)
    assert layout.parameter_count == sum(t.numel() for t in tensors.values())


def test_streaming_writer_is_read_back_by_safetensors(tensors):
    import io

    from safetensors.torch import load

    buf = io.BytesIO()
    n = safetensors_io.write_tensors(buf, tensors, {"k": "v"})
    assert n == len(buf.getvalue()) == safetensors_io.serialized_size(tensors, {"k": "v"})
    back = load(buf.getvalue())
    assert all(torch.equal(back[k], tensors[k]) for k in tensors)
    views = safetensors_io.tensors_from_buffer(bytearray(buf.getvalue()))
    assert all(torch.equal(views[k], tensors[k]) and views[k].dtype == tensors[k].dtype for k in tensors)


def test_import_a_safetensors_file(studio, admin, make_user, st_file, tensors):
    alice = make_user()
    result = studio.vault.import_path(alice, st_file, name="tiny", tags=["demo"], notes="hello")
    v = result.version
    assert (v.model_name, v.number, v.kind, v.dtype) == ("tiny", 1, "import", "float32")
    assert v.parameter_count == sum(t.numel() for t in tensors.values())
    assert [a.name for a in v.artifacts] == ["tiny.safetensors"]
    # the vault holds ciphertext only: no run of the plaintext appears in any file
    plain = st_file.read_bytes()
    for name in blob_files(studio):
        stored = (studio.paths.vault / "blobs" / name).read_bytes()
        assert all(plain[i:i + 32] not in stored for i in range(0, len(plain) - 32, 97))
    loaded = studio.vault.load(alice, "tiny")
    assert set(loaded.tensors) == set(tensors)
    assert all(torch.equal(loaded.tensors[k], tensors[k]) for k in tensors)
    model = studio.vault.list_models(alice)[0]
    assert model.tags == ("demo",) and model.notes == "hello" and model.owner_id == alice.user_id
    assert st_file.exists()


def test_import_can_remove_the_original(studio, admin, make_user, st_file):
    alice = make_user()
    result = studio.vault.import_path(alice, st_file, name="tiny", remove_original=True)
    assert not st_file.exists() and result.removed_originals == (str(st_file),)
    assert studio.vault.load(alice, "tiny").tensors


def test_import_a_hugging_face_folder(studio, admin, make_user, hf_folder, hf_tensors):
    alice = make_user()
    result = studio.vault.import_path(alice, hf_folder)
    v = result.version
    assert v.model_name == "tiny-gpt" and v.architecture == "GPT2LMHeadModel"
    roles = {a.name: a.role for a in v.artifacts}
    assert roles == {
        "model-00001-of-00002.safetensors": "weights", "model-00002-of-00002.safetensors": "weights",
        "model.safetensors.index.json": "index", "config.json": "config", "generation_config.json": "config",
        "tokenizer.json": "tokenizer", "tokenizer_config.json": "tokenizer",
    }
    assert sorted(result.skipped) == ["README.md", "modeling_evil.py"]
    loaded = studio.vault.load(alice, "tiny-gpt")
    assert all(torch.equal(loaded.tensors[k], hf_tensors[k]) for k in hf_tensors)
    assert loaded.config["model_type"] == "gpt2"
    assert json.loads(loaded.tokenizer)["model"]["type"] == "BPE"
    assert "tokenizer_config.json" in loaded.files


def test_hf_folder_whose_index_disagrees_with_its_shards_is_refused(studio, admin, make_user, hf_folder):
    alice = make_user()
    index = json.loads((hf_folder / "model.safetensors.index.json").read_text())
    index["weight_map"]["ghost"] = "model-00001-of-00002.safetensors"
    (hf_folder / "model.safetensors.index.json").write_text(json.dumps(index))
    with pytest.raises(ValidationError, match="does not match the shards"):
        studio.vault.import_path(alice, hf_folder)
    assert blob_files(studio) == []


@pytest.mark.parametrize("suffix", [".pt", ".pth", ".bin"])
@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "legacy-pickle"])
def test_pickle_weights_are_refused_unread_with_the_conversion_command(studio, admin, make_user, tmp_path, tensors,
                                                                       zipped, suffix, monkeypatch):
    """Even a pickle of plain tensors: torch.load(weights_only=True) would still run an unpickler over it."""
    alice = make_user()
    path = tmp_path / f"old{suffix}"
    torch.save(tensors, path, _use_new_zipfile_serialization=zipped)

    def never(*args, **kwargs):
        raise AssertionError("a user's pickle was opened")

    monkeypatch.setattr(torch, "load", never)
    monkeypatch.setattr(pickle, "load", never)
    monkeypatch.setattr(pickle, "Unpickler", never)
    with pytest.raises(ValidationError, match=rf"old\{suffix} is a PyTorch pickle file.*never unpickles") as refused:
        studio.vault.import_path(alice, path, name="old")
    assert f"save_file(torch.load('old{suffix}'), 'old.safetensors')" in str(refused.value)
    assert "weights_only=False" not in str(refused.value) and "\x1b" not in str(refused.value)  # never advised
    assert studio.vault.list_models(admin) == [] and blob_files(studio) == []


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("container", ["raw-pickle", "torch-zip"])
def test_a_malicious_pickle_never_runs(studio, admin, make_user, tmp_path, container):
    alice = make_user()
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"weight": _Payload(marker)}, protocol=2)
    # the payload is real: plain unpickling of the same payload (aimed at a second marker) runs it
    control = tmp_path / "control"
    pickle.loads(pickle.dumps({"weight": _Payload(control)}, protocol=2))
    assert control.exists()
    path = tmp_path / "evil.bin"
    if container == "raw-pickle":
        path.write_bytes(payload)
    else:
        torch.save({"weight": torch.zeros(2)}, path)  # a genuine torch zip, then its data.pkl replaced
        with zipfile.ZipFile(path) as z:
            members = {i.filename: z.read(i.filename) for i in z.infolist()}
        pkl = next(n for n in members if n.endswith("data.pkl"))
        members[pkl] = payload
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
            for name, data in members.items():
                z.writestr(name, data)
    with pytest.raises(ValidationError, match="never unpickles"):
        studio.vault.import_path(alice, path, name="evil")
    assert not marker.exists()
    assert studio.vault.list_models(admin) == [] and blob_files(studio) == []


def test_unknown_sources_are_refused(studio, admin, make_user, tmp_path):
    alice = make_user()
    (tmp_path / "model.gguf").write_bytes(b"GGUF")
    with pytest.raises(ValidationError, match="imports .safetensors"):
        studio.vault.import_path(alice, tmp_path / "model.gguf")
    with pytest.raises(ValidationError, match="does not exist"):
        studio.vault.import_path(alice, tmp_path / "nothing.safetensors")
    (tmp_path / "folder").mkdir()
    with pytest.raises(ValidationError, match="no config.json"):
        studio.vault.import_path(alice, tmp_path / "folder")


def test_cancel_leaves_nothing(studio, admin, make_user, tmp_path):
    from studio.core.errors import Cancelled
    from studio.core.tasks import TaskState

    alice = make_user()
    big = {"w": torch.randn(64, 1024)}  # 256 KiB: a thousand 256-byte chunks
    path = tmp_path / "big.safetensors"
    save_file(big, str(path))
    seen = []

    def on_progress(p):
        seen.append(p.fraction)
        if p.fraction > 0.3:
            state.cancel()

    state = TaskState(on_progress=on_progress, min_interval_s=0)
    with pytest.raises(Cancelled):
        studio.vault.import_path(alice, path, name="big", state=state)
    assert seen and max(seen) < 1.0
    assert studio.vault.list_models(admin) == [] and blob_files(studio) == []
    assert not [p for p in (studio.paths.vault / "blobs").iterdir()]  # no temp file either


def test_import_adds_a_version_to_an_existing_model(studio, admin, make_user, st_file, hf_folder):
    alice, bob = make_user(), make_user()
    studio.vault.import_path(alice, st_file, name="tiny")
    assert studio.vault.import_path(alice, hf_folder, name="tiny").version.number == 2
    from studio.core.errors import ConflictError

    assert studio.vault.import_path(bob, st_file, name="tiny").version.number == 1  # his own "tiny"
    assert [v.number for v in studio.vault.versions(alice, "tiny")] == [1, 2]  # hers is untouched
    with pytest.raises(ConflictError, match="Several models you can see are called 'tiny'"):
        studio.vault.show(admin, "tiny")  # an administrator sees both: the id decides


def test_a_model_you_cannot_see_does_not_exist_for_you(studio, make_user, st_file):
    """Names are the owner's (issue 14: importing under the name of a model one could not see was refused as
    "exists and is not shared with you", which told that it existed). Every name-based verb answers for a model
    one cannot see exactly as for a name nobody uses."""
    from studio.core.errors import NotFoundError

    alice, bob = make_user(), make_user()
    studio.vault.import_path(alice, st_file, name="secret-project")
    from tests.core.datasets.test_access import statements_of

    answers = {}
    for name in ("secret-project", "no-such-model"):
        for verb in ("show", "load", "verify", "rotate", "delete"):
            statements, error = statements_of(studio, lambda verb=verb, name=name: getattr(studio.vault, verb)(bob, name))
            assert isinstance(error, NotFoundError), (verb, name, error)
            answers.setdefault(verb, []).append((str(error).replace(name, "NAME"), statements))
    assert all(a == b for a, b in answers.values()), answers  # same message, same queries
    mine = studio.vault.import_path(bob, st_file, name="secret-project")  # the name is free for him
    assert (mine.version.number, [m.name for m in studio.vault.list_models(bob)]) == (1, ["secret-project"])
    assert studio.vault.show(alice, "secret-project").model.owner_id == alice.user_id
    studio.vault.share(alice, "secret-project", bob.user_name)
    assert studio.vault.show(bob, "secret-project").model.owner_id == bob.user_id  # his own first
