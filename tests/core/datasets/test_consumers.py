"""What other domains read from a dataset, through their own seams: compression's DatasetsProvider (evaluation
data) opens an encrypted dataset with the user's keys and refuses a user without a grant."""

from __future__ import annotations

import numpy as np
import pytest

from studio.core.datasets.options import ImportOptions
from studio.core.errors import AccessDenied


def test_compression_evaluates_on_an_encrypted_dataset(studio, admin, make_user, tmp_path):
    alice, bob = make_user("trainer", "alice"), make_user("trainer", "bob")
    src = tmp_path / "eval.txt"
    src.write_text("\n\n".join(f"held-out sentence number {i}." for i in range(200)))
    info = studio.datasets.import_dataset(alice, ImportOptions(path=str(src), name="heldout", tokenizer="byte"))
    assert info.encrypted
    data = studio.compression.datasets.open(alice, info.id)
    arrays = studio.datasets.open_arrays(alice, info.id)
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(np.asarray(data.splits[split].tokens), arrays.split(split))
    assert (data.vocab_size, data.eos_id) == (257, 256)
    assert [name for _id, name in studio.compression.datasets.list(alice)] == ["heldout"]
    assert studio.compression.datasets.list(bob) == []
    with pytest.raises(AccessDenied):
        studio.compression.datasets.open(bob, info.id)
