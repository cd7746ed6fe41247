"""What the Vault lists of a version without decrypting it: family, context, tokenizer, chat template, and an
adapter's base (studio.core.vault.facts)."""

from datetime import UTC, datetime

from studio.core.stores.vault import ArtifactInfo, VersionInfo
from studio.core.vault.facts import version_facts


def _version(metadata, files=()):
    artifacts = tuple(ArtifactInfo(i, "00", role, name, 1, 1, 1, 1, "b") for i, (name, role) in enumerate(files))
    return VersionInfo(1, 1, "m", 1, "ready", "import", "", 0, "float32", 0, "", None, datetime.now(UTC), metadata,
                       artifacts)


def test_an_imported_folder_says_everything():
    f = version_facts(_version({"model": {"family": "transformers", "model_type": "qwen2", "context_length": 4096,
                                          "tokenizer": "huggingface", "chat_template": True}}))
    assert (f.family, f.model_type, f.context_length, f.tokenizer, f.chat_template) == (
        "Hugging Face transformers", "qwen2", 4096, "huggingface", True)
    assert not f.adapter


def test_a_studio_gpt_is_described_from_its_config_summary_and_its_files():
    f = version_facts(_version({"config": {"n_layer": 2, "n_head": 2, "n_embd": 16, "block_size": 64,
                                           "vocab_size": 256}}, [("model.safetensors", "weights"),
                                                                 ("tokenizer.json", "tokenizer")]))
    assert (f.family, f.model_type, f.context_length, f.tokenizer) == ("Studio GPT", "gpt", 64, "stored")
    assert f.chat_template is None  # not known without the tokenizer files' contents


def test_a_summary_without_a_context_does_not_make_one_up():
    f = version_facts(_version({"config": {"model_type": "llama", "hidden_size": 32, "num_hidden_layers": 2,
                                           "num_attention_heads": 4, "vocab_size": 272}},
                               [("tokenizer.json", "tokenizer"), ("tokenizer_config.json", "tokenizer")]))
    assert f.model_type == "llama" and f.context_length is None and f.tokenizer == "huggingface"


def test_an_adapter_names_its_base_and_rank():
    f = version_facts(_version({"lora": {"rank": 8}, "base": {"model_id": 3, "version": 2, "label": "tl:2"}},
                               [("adapter_config.json", "config")]))
    assert f.adapter and f.lora_rank == 8 and f.is_adapter_of(3) and not f.is_adapter_of(4)
    assert (f.base_version, f.base_label) == (2, "tl:2")
    assert version_facts(None).family is None and version_facts(_version({})).tokenizer is None
