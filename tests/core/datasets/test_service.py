"""DatasetService: the one door (import, list, show, rename, tag, delete, open), cancel and failure."""

import os
import time

import numpy as np
import pytest

from studio.core.datasets.options import ImportOptions
from studio.core.errors import Cancelled, ConflictError, NotFoundError, ValidationError
from studio.core.tasks import TaskState


@pytest.fixture
def corpus(tmp_path):
    src = tmp_path / "corpus.txt"
    src.write_text("\n\n".join(f"Document {i} says hello to number {i * 7 % 13}." for i in range(400)))
    return src


def options(path, name="demo", **kw):
    kw.setdefault("tokenizer", "byte")
    return ImportOptions(path=str(path), name=name, **kw)


def leftovers(studio):
    return sorted(p.name for p in studio.paths.datasets.iterdir())


def test_import_then_list_show_rename_tag_delete(studio, admin, corpus):
    svc = studio.datasets
    info = svc.import_dataset(admin, options(corpus, tags=("demo", "small")))
    assert (info.name, info.owner_id, info.owner_name, info.kind, info.tokenizer) == ("demo", admin.user_id, "admin", "text", "byte")
    assert info.documents == 400 and info.tags == ("demo", "small") and info.dtype == "uint16"
    assert info.stats.documents == 400 and sum(s.tokens for s in info.stats.splits) == info.tokens
    assert info.stats.tokens_per_document["p50"] > 30 and info.stats.top_tokens[0].count > 0
    assert leftovers(studio) == [info.storage_key]
    assert [d.id for d in svc.list(admin)] == [info.id]
    assert svc.get(admin, "demo") == svc.get(admin, info.id) == svc.get(admin, str(info.id))
    renamed = svc.rename(admin, "demo", "  greetings ")
    assert renamed.name == "greetings"
    assert svc.set_tags(admin, info.id, ["x", "x", "y"]).tags == ("x", "y")
    with pytest.raises(NotFoundError):
        svc.get(admin, "demo")
    svc.delete(admin, "greetings")
    assert svc.list(admin) == [] and leftovers(studio) == []


def test_names_must_be_free_and_valid(studio, admin, corpus):
    studio.datasets.import_dataset(admin, options(corpus, name="one"))
    with pytest.raises(ConflictError, match="exists already"):
        studio.datasets.import_dataset(admin, options(corpus, name="one"))
    studio.datasets.import_dataset(admin, options(corpus, name="two"))
    with pytest.raises(ConflictError):
        studio.datasets.rename(admin, "two", "one")
    for bad in ("", "   ", "123", "x" * 201):
        with pytest.raises(ValidationError):
            studio.datasets.rename(admin, "two", bad)
    with pytest.raises(ValidationError):
        studio.datasets.set_tags(admin, "two", ["a,b"])


def test_delete_is_refused_while_a_run_depends_on_it(studio, admin, corpus):
    info = studio.datasets.import_dataset(admin, options(corpus))
    studio.datasets.add_dependents_finder(lambda session, dataset_id: [f"run 7 (tiny, on {dataset_id})"])
    assert studio.datasets.dependents(admin, info.id) == [f"run 7 (tiny, on {info.id})"]
    with pytest.raises(ConflictError, match=f"used by run 7 \\(tiny, on {info.id}\\)"):
        studio.datasets.delete(admin, info.id)
    assert studio.datasets.get(admin, info.id).name == "demo"
    assert leftovers(studio) == [info.storage_key]


class CancelAt(TaskState):
    def __init__(self, phase):
        super().__init__()
        self.phase = phase
        self.messages = []

    def report(self, fraction, message="", force=False):
        self.messages.append(message)
        if message.startswith(self.phase):
            self.cancel()
        super().report(fraction, message, force)


@pytest.mark.parametrize("phase,tokenizer,workers,encrypt", [
    ("Reading", "byte", None, True), ("Training", "bpe", None, True), ("Tokenizing", "char", None, True),
    ("Tokenizing", "bpe", 2, True), ("Tokenizing", "bpe", 2, False),
])
def test_a_cancelled_import_leaves_nothing_behind(studio, admin, corpus, phase, tokenizer, workers, encrypt):
    state = CancelAt(phase)
    with pytest.raises(Cancelled):
        studio.datasets.import_dataset(admin, options(corpus, tokenizer=tokenizer, vocab_size=300, encrypt=encrypt),
                                       state=state, block_bytes=1024, workers=workers)
    assert any(m.startswith(phase) for m in state.messages)
    assert studio.datasets.list(admin) == []
    assert leftovers(studio) == []


def test_a_failed_import_leaves_nothing_behind(studio, admin, tmp_path):
    src = tmp_path / "d.jsonl"
    src.write_text("".join(f'{{"text": "row {i}"}}\n' for i in range(5000)) + "{broken\n")
    with pytest.raises(ValidationError, match="line 5001"):
        studio.datasets.import_dataset(admin, options(src), block_bytes=1024)
    assert studio.datasets.list(admin) == [] and leftovers(studio) == []


def test_progress_is_reported_with_an_eta(studio, admin, corpus):
    seen = []
    state = TaskState(on_progress=seen.append, min_interval_s=0)
    studio.datasets.import_dataset(admin, options(corpus, tokenizer="bpe", vocab_size=300), state=state, block_bytes=1024)
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert {"Reading corpus.txt", "Training the BPE tokenizer", "Tokenizing"} <= {p.message for p in seen}
    assert any(p.eta_s is not None for p in seen)


def test_others_see_only_their_own_datasets(studio, admin, make_user, corpus):
    alice, bob = make_user("trainer"), make_user("trainer")
    studio.datasets.import_dataset(alice, options(corpus, name="alices"))
    assert [d.name for d in studio.datasets.list(alice)] == ["alices"]
    assert studio.datasets.list(bob) == []
    assert [d.owner_name for d in studio.datasets.list(admin)] == [alice.user_name]


@pytest.mark.parametrize("encrypt", [False, True])
def test_open_arrays_for_training(studio, admin, corpus, tmp_path, encrypt):
    info = studio.datasets.import_dataset(admin, options(corpus, split=(0.8, 0.1, 0.1), encrypt=encrypt))
    assert info.encrypted == encrypt and info.storage_format == ("vault-v1" if encrypt else "plain-v1")
    arrays = studio.datasets.open_arrays(admin, info.id)
    assert arrays.dtype == np.uint16 and arrays.vocab_size == 257 and arrays.eos_id == 256
    # plaintext: memory maps; encrypted: decrypted into memory, read-only
    assert isinstance(arrays.train, np.memmap) == (not encrypt) and not arrays.has_masks
    assert not arrays.train.flags.writeable
    total_docs = sum(int((arrays.split(s) == arrays.eos_id).sum()) for s in ("train", "val", "test"))
    assert total_docs == 400
    assert len(arrays.train) + len(arrays.val) + len(arrays.test) == info.tokens
    assert '"byte"' in arrays.tokenizer_json
    pairs = tmp_path / "p.jsonl"
    pairs.write_text("".join(f'{{"prompt": "q{i}", "response": "a{i}"}}\n' for i in range(50)))
    sft = studio.datasets.open_arrays(admin, studio.datasets.import_dataset(admin, options(pairs, name="sft",
                                                                                            encrypt=encrypt)).id)
    assert sft.kind == "sft" and sft.has_masks and len(sft.train_mask) == len(sft.train)
    assert 0 < sft.train_mask.mean() < 1


@pytest.mark.parametrize("encrypt,message", [(False, "incomplete"), (True, "train.tokens is damaged")])
def test_open_arrays_notices_damaged_files(studio, admin, corpus, encrypt, message):
    info = studio.datasets.import_dataset(admin, options(corpus, encrypt=encrypt))
    path = studio.paths.datasets / info.storage_key / "train.tokens"
    path.write_bytes(path.read_bytes()[:-2])
    with pytest.raises(Exception, match=message):
        studio.datasets.open_arrays(admin, info.id)


def test_leftovers_of_crashed_imports_are_removed_at_once_unless_their_writer_lives(studio, admin, corpus):
    """A writer holds `.staging-<key>.lock` from before its staging folder exists until its row commits; what
    no live writer holds goes at once (no age to wait out), what one holds stays, however old."""
    from studio.core.fsutil import WriterLock

    info = studio.datasets.import_dataset(admin, options(corpus))
    folder = studio.paths.datasets
    (folder / ".staging-dead").mkdir()
    (folder / ".staging-dead.lock").write_text("")  # its writer was killed: nobody holds the lock
    (folder / ".staging-older.pid").write_text("999999")  # an older studio's
    live_lock = WriterLock(folder / ".staging-live.lock")
    (folder / ".staging-live").mkdir()
    old = time.time() - 24 * 3600
    os.utime(folder / ".staging-live", (old, old))
    (folder / "0123abcd").mkdir()  # moved into place, the row never committed, its writer gone
    moving = WriterLock(folder / ".staging-4567cdef.lock")
    (folder / "4567cdef").mkdir()  # moved into place, its row not committed yet
    (folder / ".deleting-x").mkdir()
    try:
        assert studio.datasets.remove_leftovers() == 3
        assert leftovers(studio) == sorted(["4567cdef", ".staging-4567cdef.lock", ".staging-live",
                                            ".staging-live.lock", info.storage_key])
    finally:
        live_lock.release()
        moving.release()
    assert studio.datasets.remove_leftovers() == 2
    assert leftovers(studio) == [info.storage_key]


def test_a_bpe_smaller_than_asked_says_so(studio, admin, corpus):
    info = studio.datasets.import_dataset(admin, options(corpus, tokenizer="bpe", vocab_size=8192))
    assert info.vocab_size < 8192 and info.vocab_asked == 8192  # the text holds fewer merges
    assert studio.datasets.get(admin, info.id).vocab_asked == 8192
    exact = studio.datasets.import_dataset(admin, options(corpus, name="bytes"))
    assert exact.vocab_asked is None
