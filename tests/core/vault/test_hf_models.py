"""Hugging Face folders of every supported family in the vault: imported encrypted with their tokenizer files,
then run through the family interface by the run service (studio.runs.sample), as transformers runs them."""

from __future__ import annotations

import pytest
import torch

from studio.core.models.generate import SamplingConfig, generate
from tests.hf_families import FAMILIES, hf_model, save_folder, tokenizer_json

pytest.importorskip("transformers")


@pytest.mark.parametrize("name", list(FAMILIES))
def test_an_imported_folder_samples_what_transformers_generates(studio, make_user, tmp_path, name):
    from tokenizers import Tokenizer

    user = make_user("trainer")
    folder = save_folder(name, tmp_path / name)
    result = studio.vault.import_path(user, folder, name=f"tiny-{name}")
    assert result.version.number == 1
    files = studio.vault.load(user, f"tiny-{name}", roles={"config", "tokenizer"}).files
    assert {"config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json"} <= set(files)

    prompt = "Once"
    loaded = studio.runs.load_model(user, f"model:tiny-{name}")
    hf_tok = Tokenizer.from_str(tokenizer_json(FAMILIES[name][3]))
    ids = hf_tok.encode(prompt).ids
    assert loaded.tokenizer.encode(prompt) == ids and loaded.tokenizer.stop_ids[:2] == (257, 259)
    ref = hf_model(name).generate(torch.tensor([ids]), max_new_tokens=6, do_sample=False, pad_token_id=0,
                                  eos_token_id=None)[0, len(ids):].tolist()
    assert list(generate(loaded.model, ids, SamplingConfig(max_new_tokens=6, greedy=True))) == ref

    # the text stream: up to the first stop id, whole characters only (a byte-level token may end mid-character)
    text = "".join(studio.runs.sample(user, f"model:tiny-{name}", prompt, SamplingConfig(max_new_tokens=6, greedy=True)))
    ref = ref[: next((n for n, i in enumerate(ref) if i in (257, 259)), len(ref))]
    assert text in {hf_tok.decode(ref[:k], skip_special_tokens=True) for k in range(len(ref) + 1)}
