"""The native GPT family: the studio's own nanoGPT-style model (models/gpt.py), for training from scratch,
structured pruning and every model the studio made. It also runs Hugging Face GPT-2 folders (model_type
"gpt2") whose options it can represent, as it always has: the weights are the same, only GPT-2's Conv1D
layout is transposed (as views when loading, so no second copy of the weights is made).

Stored configs are either GPTConfig.to_dict() (versions the studio made; no "model_type") or an imported
GPT-2 folder's config.json. What `config(model)` gives back is always the studio's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core.errors import ValidationError
from studio.core.models.config import GPTConfig
from studio.core.models.family import ExpectedTensor, ModelFamily, ModelSpec, check_tensor_shapes

if TYPE_CHECKING:
    import torch
    from torch import nn

    from studio.core.models.tokenizer import ModelTokenizer

# How the studio writes prompt/response and chat data for training (datasets/fields.py: "user: Hi\n
# assistant: Hello!\n"), as a chat template: a native model chats in the format it learned.
STUDIO_CHAT_TEMPLATE = (
    "{% for message in messages %}{{ message['role'] + ': ' + message['content'] + '\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}"
)
_COMPRESSED_PARTS = (".qweight", ".scales", ".mins", ".nzmask", ".nzvalues", ".nzshape")  # compression/storage.py
# A reply ends at the end-of-document token, or when the model starts the user's next turn itself.
STUDIO_STOP_STRINGS = ("\nuser:",)


def gpt_config(config: Mapping[str, Any]) -> tuple[GPTConfig, bool]:
    """(GPTConfig, is_hf_gpt2) of a stored config."""
    if "model_type" in config or "architectures" in config:
        from studio.core.models.hf import config_from_hf

        return config_from_hf(dict(config)), True
    return GPTConfig.from_dict(dict(config)), False


def _label(config: GPTConfig) -> str:
    return f"GPT {config.n_layer}L/{config.n_embd}d"


class NativeGPTFamily(ModelFamily):
    name = "gpt"
    label = "Studio GPT"

    def accepts(self, config: Mapping[str, Any]) -> bool:
        if "model_type" not in config and "architectures" not in config:
            return True
        if config.get("model_type") != "gpt2" or config.get("auto_map"):
            return False
        try:  # GPT-2 options the native model cannot represent go to the transformers family instead
            gpt_config(config)
        except ValidationError:
            return False
        return True

    def describe(self, config: Mapping[str, Any]) -> ModelSpec:
        cfg, is_hf = gpt_config(config)
        return ModelSpec(self.name, "gpt2" if is_hf else "gpt", "GPT2LMHeadModel" if is_hf else _label(cfg),
                         cfg.vocab_size, cfg.block_size, cfg.n_layer, cfg.n_embd, cfg.n_head)

    # --- building ----------------------------------------------------------------------------------------

    def expected_tensors(self, config: Mapping[str, Any]) -> dict[str, ExpectedTensor]:
        import torch

        from studio.core.models.gpt import GPT
        from studio.core.models.hf import is_conv1d

        cfg, is_hf = gpt_config(config)
        with torch.device("meta"):
            model = GPT(cfg)
        out = {}
        for name, t in model.state_dict().items():
            shape = tuple(t.shape)
            if is_hf and is_conv1d(name):
                shape = shape[::-1]
            out[name] = ExpectedTensor(shape, optional=name == "lm_head.weight" and cfg.tie_embeddings)
        return out

    def check_tensors(self, config: Mapping[str, Any], shapes: Mapping[str, tuple[int, ...]]) -> None:
        """Names as a GPT-2 checkpoint may spell them (with or without the `transformer.` prefix, with mask
        buffers) are read as the model's before the shapes are compared."""
        from studio.core.models.hf import hf_name

        _, is_hf = gpt_config(config)
        if is_hf:
            shapes = {hf_name(n): s for n, s in shapes.items() if hf_name(n) is not None}
        expected = self.expected_tensors(config)
        compressed = {n for n in shapes if n.endswith(_COMPRESSED_PARTS)}
        if compressed:  # a compressed version: its integer / sparse parts stand for the float weight
            for name in compressed:
                part = name.rsplit(".", 1)
                base = part[0] + ".weight" if part[1] in ("qweight", "scales", "mins") else part[0]
                if base not in expected:
                    check_tensor_shapes(expected, {name: shapes[name]})  # names it as not in the model
            bases = {n.rsplit(".", 1)[0] + ".weight" if n.endswith(("qweight", "scales", "mins"))
                     else n.rsplit(".", 1)[0] for n in compressed}
            shapes = {n: s for n, s in shapes.items() if n not in compressed}
            expected = {n: (e if n not in bases else ExpectedTensor(e.shape, True)) for n, e in expected.items()}
        check_tensor_shapes(expected, shapes)

    def build(self, config: Mapping[str, Any], tensors: Mapping[str, torch.Tensor], *,
              device: str | torch.device = "cpu") -> nn.Module:
        import torch

        from studio.core.compression.load import build_compressed, is_compressed
        from studio.core.models.gpt import GPT, config_for_tensors
        from studio.core.models.hf import tensors_from_hf

        tensors = dict(tensors)
        if is_compressed(tensors):  # quantized or sparse-stored: compression's loader, which calls back here
            return build_compressed(self, config, tensors, device=device)
        cfg, is_hf = gpt_config(config)
        if is_hf:
            tensors = tensors_from_hf(tensors, cfg, copy=False)
        cfg = config_for_tensors(cfg, tensors)
        with torch.device("meta"):
            model = GPT(cfg)
        expected = {n: ExpectedTensor(tuple(t.shape), n == "lm_head.weight" and cfg.tie_embeddings)
                    for n, t in model.state_dict().items()}
        check_tensor_shapes(expected, {n: tuple(t.shape) for n, t in tensors.items()})
        model.load_state_dict(tensors, strict=False, assign=True)
        if cfg.tie_embeddings:
            model.lm_head.weight = model.transformer.wte.weight
        return model.to(device).eval()

    def skeleton(self, config: Mapping[str, Any]) -> nn.Module:
        import torch

        from studio.core.models.gpt import GPT

        with torch.device("meta"):
            return GPT(gpt_config(config)[0])

    def initialise(self, config: Mapping[str, Any]) -> nn.Module:
        from studio.core.models.gpt import GPT

        return GPT(gpt_config(config)[0])

    def tensors(self, model: nn.Module) -> dict[str, torch.Tensor]:
        from studio.core.models.gpt import model_tensors

        return model_tensors(model)

    def config(self, model: nn.Module) -> dict[str, Any]:
        return model.config.to_dict()

    def owns(self, model: nn.Module) -> bool:
        from studio.core.models.gpt import GPT

        return isinstance(model, GPT)

    # --- running -----------------------------------------------------------------------------------------

    def vocab_size(self, model: nn.Module) -> int:
        return model.config.vocab_size

    def context_length(self, model: nn.Module) -> int:
        return model.config.block_size

    def new_cache(self, model: nn.Module, batch: int = 1) -> Any:
        from studio.core.models.gpt import KVCache

        p = next(model.parameters())
        return KVCache(model.config, batch, p.device, p.dtype)

    def forward(self, model: nn.Module, idx: torch.Tensor, targets: torch.Tensor | None = None, *,
                cache: Any = None, last_only: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        return model(idx, targets, cache=cache, last_only=last_only)

    def batch_runner(self, model: nn.Module, max_rows: int) -> Any:
        # one preallocated cache, rows at their own positions
        from studio.core.serving.gpt_runner import GPTRunner

        return GPTRunner(model, max_rows)

    def linear_layers(self, model: nn.Module) -> dict[str, nn.Linear]:
        from torch import nn

        return {f"transformer.h.{path}": m for path, m in model.transformer.h.named_modules()
                if isinstance(m, nn.Linear)}

    # --- tokenizer, chat, export -------------------------------------------------------------------------------

    def default_chat_template(self) -> str | None:
        return STUDIO_CHAT_TEMPLATE

    def tokenizer(self, files: Mapping[str, bytes | str], config: Mapping[str, Any] | None = None) -> ModelTokenizer:
        tok = super().tokenizer(files, config)
        if tok.chat_template == STUDIO_CHAT_TEMPLATE and not tok.stop_strings:
            tok.stop_strings = STUDIO_STOP_STRINGS
        return tok

    def export_hf(self, model: nn.Module, folder: Path, tokenizer: ModelTokenizer | None = None) -> list[str]:
        from studio.core.models.hf import config_to_hf, export_hf
        from studio.core.models.tokenizer import write_tokenizer_files

        if _has_quantized(model):
            raise ValidationError(
                "A Hugging Face GPT-2 folder holds float weights; this version is quantized. Export it as "
                "safetensors, or export the unquantized version as a Hugging Face folder.",
                field="format")
        config_to_hf(model.config)  # a pruned (non-uniform) model fails here with its own message
        export_hf(model, folder, eos_id=tokenizer.eos_id if tokenizer is not None else None)
        written = ["config.json", "model.safetensors"]
        if tokenizer is not None:
            written += write_tokenizer_files(folder, tokenizer, config_to_hf(model.config, tokenizer.eos_id))
        return written


def _has_quantized(model: nn.Module) -> bool:
    from studio.core.compression.runtime import QuantEmbedding, QuantLinear

    return any(isinstance(m, QuantLinear | QuantEmbedding) for m in model.modules())


FAMILY = NativeGPTFamily()
