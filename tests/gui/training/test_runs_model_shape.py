"""The runs table's model cell: layers and width read through the run's family, for the native GPT and a
Hugging Face config alike (an HF run showed "355k · ?L/?d")."""

from __future__ import annotations

from types import SimpleNamespace

from studio.gui.panes.training.runs_model import model_size


def test_native_and_hf_runs_show_layers_and_width():
    native = SimpleNamespace(parameters=818_432, model_config={
        "n_layer": 4, "n_head": 4, "n_embd": 128, "block_size": 128, "vocab_size": 65})
    llama = SimpleNamespace(parameters=355_000, model_config={
        "model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 256, "hidden_size": 64,
        "num_hidden_layers": 2, "num_attention_heads": 4, "max_position_embeddings": 128})
    neox = SimpleNamespace(parameters=0, model_config={"model_type": "gpt_neox", "vocab_size": 256, "hidden_size": 48,
                                                      "num_hidden_layers": 3, "num_attention_heads": 4})
    assert model_size(native).endswith("4L/128d")
    assert model_size(llama).endswith("· 2L/64d")
    assert model_size(neox) == "3L/48d"
    assert model_size(SimpleNamespace(parameters=0, model_config={})) == "?L/?d"  # no config: nothing invented
