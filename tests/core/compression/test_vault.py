"""Compression against the real encrypted vault, as real users: the result is a new version with its
lineage, it decrypts and runs in its quantized form with the same outputs, and access is the policy's."""

import pytest
import torch

from studio.core.compression.evaluate import EvalSettings
from studio.core.compression.load import load_model
from studio.core.compression.pipeline import compress
from studio.core.compression.recipe import Recipe
from studio.core.errors import AccessDenied
from studio.core.services.compression import CompressionService, EvalData
from tests.compression_doubles import MemoryDatasets

QUICK = EvalSettings(max_windows=4, speed_repeats=1, gen_tokens=4, sample_tokens=4)


@pytest.fixture
def setup(studio, make_user, trained, splits, codec):
    config, tensors = trained
    owner = make_user("trainer", "owner")
    studio.vault.add_version(owner, None, tensors, name="words", config=config.to_dict())
    datasets = MemoryDatasets()
    datasets.add(EvalData("corpus", {"train": splits[0], "val": splits[1], "test": splits[1]}, codec, config.vocab_size))
    service = CompressionService(studio, datasets=datasets)  # the real vault
    return service, owner


@pytest.mark.parametrize("recipe", [Recipe(quant="int8"), Recipe(quant="int4", group_size=32),
                                    Recipe(sparsity=0.5, quant="int8"), Recipe(sparsity=0.25, structured=True)],
                         ids=lambda r: r.label())
def test_results_round_trip_through_the_vault(studio, setup, trained, recipe):
    service, owner = setup
    config, tensors = trained
    out = service.compress(owner, "words", recipe, evaluate=False)
    assert (out.version.model_name, out.version.version) == ("words", 2)
    details = studio.vault.show(owner, "words")
    v2 = details.versions[-1]
    assert v2.kind == "compressed" and v2.metadata["compression"]["label"] == recipe.label()
    edges = {e.kind: e for e in v2.lineage}
    assert edges["source_version"].ref == str(details.versions[0].id)
    assert Recipe.from_dict(__import__("json").loads(edges["recipe"].label)) == recipe

    loaded = studio.vault.load(owner, "words", 2)
    from_vault = load_model(service.models.load(owner, "words", 2).config, loaded.tensors)
    direct = compress(config, tensors, recipe)
    reference = load_model(direct.config, direct.tensors)
    x = torch.randint(0, config.vocab_size, (2, 16), generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        assert torch.equal(from_vault(x)[0], reference(x)[0])


def test_access_follows_the_policy_and_every_step_is_audited(studio, setup, make_user, tmp_path):
    service, owner = setup
    other = make_user("trainer", "other")
    words = studio.vault.show(owner, "words").model.id  # a model he cannot see: by name it does not exist for him
    with pytest.raises(AccessDenied, match="compress.run"):
        service.compress(other, words, Recipe(quant="int8"))
    studio.vault.share(owner, "words", "other", "use")
    # a grantee may compress, but only the owner adds versions to the model: refused before any work
    with pytest.raises(AccessDenied, match="new name to store it as a model of your own"):
        service.compress(other, "words", Recipe(quant="int8"))
    assert len(studio.vault.versions(owner, "words")) == 1
    out = service.compress(other, "words", Recipe(quant="int8"), name="words-int8", dataset="corpus", settings=QUICK)
    assert (out.version.model_name, out.version.version) == ("words-int8", 1) and out.results[1].perplexity > 1
    assert studio.vault.show(other, "words-int8").model.owner_id == other.user_id
    # the vault and the report count the same parameters (not the int8 scales) for the same version
    assert studio.vault.show(other, "words-int8").versions[-1].parameter_count == out.results[1].parameters
    with pytest.raises(AccessDenied, match="model.export"):
        service.export(other, "words", tmp_path / "w.safetensors")
    assert not (tmp_path / "w.safetensors").exists()
    studio.vault.share(owner, "words", "other", "export")
    service.export(other, "words", tmp_path / "w.safetensors")
    entries = [(e.action, e.outcome) for e in studio.audit.page(make_user.root(), limit=1000)]
    for expected in (("compress.run", "denied"), ("model.compress", "denied"), ("model.read", "allowed"),
                     ("model.compress", "allowed"),
                     ("compress.run", "allowed"), ("model.export", "denied"), ("model.export", "allowed")):
        assert expected in entries, expected
