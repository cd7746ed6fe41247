"""The transformers family: every causal language model that Hugging Face `transformers` implements itself
(Llama incl. SmolLM2 and Llama 3 RoPE scaling, Qwen2/Qwen3, Mistral, Phi-3, Gemma 2/3, GPT-2, GPT-NeoX, and
any other `model_type` in its causal-LM mapping, accepted with a warning when the studio's tests do not cover
it), built from config.json alone: the model class comes from transformers' own mapping of config classes,
never from code in the model's folder (`auto_map` is refused, `trust_remote_code` is never set), and nothing
is downloaded.

Loading: the model is built with its parameters on the meta device (buffers such as RoPE frequencies are
computed on the CPU as usual, they are small), then the decrypted tensors are assigned (`load_state_dict(...,
assign=True)`): the parameters are the vault's buffers, so a model of N bytes needs N bytes, in the dtype it
was stored in.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import re
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core.errors import ValidationError
from studio.core.models.family import ExpectedTensor, ModelFamily, ModelSpec, check_tensor_shapes

if TYPE_CHECKING:
    import torch
    from torch import nn

    from studio.core.models.tokenizer import ModelTokenizer

# model_type values the studio's tests build, import, run, chat with and export (tests/core/models/families).
TESTED_TYPES = frozenset({"llama", "qwen2", "qwen3", "mistral", "phi3", "gemma2", "gemma3_text", "gpt2", "gpt_neox"})
REMOTE_CODE_MESSAGE = (
    "This model needs code from its own folder to run (config.json has \"auto_map\"): the studio never runs a "
    "model's own code. Use a model whose architecture transformers implements itself.")

_FIELDS = {  # config.json spellings, in order of preference
    "vocab_size": ("vocab_size",),
    "context_length": ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length", "n_ctx"),
    "layers": ("num_hidden_layers", "n_layer", "num_layers"),
    "hidden_size": ("hidden_size", "n_embd", "d_model"),
    "heads": ("num_attention_heads", "n_head", "num_heads"),
}


def _text_config(config: Mapping[str, Any]) -> Mapping[str, Any]:
    """The language model's part of a config (multimodal configs nest it under text_config)."""
    inner = config.get("text_config")
    return inner if isinstance(inner, Mapping) and "vocab_size" not in config else config


def _field(config: Mapping[str, Any], name: str) -> int:
    for key in _FIELDS[name]:
        value = config.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return 0


def _mappings() -> tuple[Any, Any, Any]:
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING, CONFIG_MAPPING_NAMES
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    return CONFIG_MAPPING, CONFIG_MAPPING_NAMES, MODEL_FOR_CAUSAL_LM_MAPPING_NAMES


def hf_config(config: Mapping[str, Any]) -> Any:
    """transformers' config object for a stored config.json (checked first: no remote code)."""
    FAMILY.check_config(config)
    config_mapping, _, _ = _mappings()
    cls = config_mapping[config["model_type"]]
    try:
        return cls.from_dict(dict(config))
    except Exception as error:  # noqa: BLE001 - transformers' validators raise their own kinds
        raise ValidationError(f"config.json is not a valid {config['model_type']!r} configuration: {error}") from None


def model_class(hf_cfg: Any) -> type:
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING

    try:
        return MODEL_FOR_CAUSAL_LM_MAPPING[type(hf_cfg)]
    except KeyError:
        raise ValidationError(f"transformers has no causal language model for {hf_cfg.model_type!r}.") from None


_BUILDING = threading.local()  # set while this thread builds a model with parameters_on_meta
_PATCH = {"original": None, "users": 0}  # nn.Module.register_parameter as torch defines it; active builds
_PATCH_LOCK = threading.Lock()


def _register_on_meta(module: Any, name: str, param: Any) -> None:
    import torch

    _PATCH["original"](module, name, param)
    if getattr(_BUILDING, "active", False) and param is not None and param.device.type != "meta":
        p = module._parameters[name]
        kwargs = dict(p.__dict__)
        kwargs["requires_grad"] = p.requires_grad
        module._parameters[name] = type(p)(p.to(torch.device("meta")), **kwargs)


@contextlib.contextmanager
def parameters_on_meta() -> Iterator[None]:
    """Modules this thread builds inside get their parameters on the meta device and their buffers on the CPU
    (what accelerate's init_empty_weights(include_buffers=False) does): weights cost nothing until assigned,
    and computed buffers (RoPE frequencies, masks) are real. Other threads building modules meanwhile (a GUI
    task, a server) are not affected: the patch acts for the building thread only, and is removed when the
    last build ends."""
    from torch import nn

    with _PATCH_LOCK:
        if _PATCH["users"] == 0:
            _PATCH["original"] = nn.Module.register_parameter
            nn.Module.register_parameter = _register_on_meta  # type: ignore[method-assign]
        _PATCH["users"] += 1
    _BUILDING.active = True
    try:
        yield
    finally:
        _BUILDING.active = False
        with _PATCH_LOCK:
            _PATCH["users"] -= 1
            if _PATCH["users"] == 0:
                nn.Module.register_parameter = _PATCH["original"]  # type: ignore[method-assign]


def _empty_model(hf_cfg: Any, dtype: Any) -> Any:
    # transformers' no_init_weights() would skip the (meta, hence free) initialisation too, but it patches
    # torch.nn.init for every thread: a model another thread initialises meanwhile would keep garbage.
    cls = model_class(hf_cfg)
    with parameters_on_meta():
        model = cls._from_config(hf_cfg, dtype=dtype) if dtype is not None else cls._from_config(hf_cfg)
    return model


def _tied_targets(model: Any) -> set[str]:
    tied = getattr(model, "all_tied_weights_keys", None)
    if tied is None:  # older transformers
        tied = {k: None for k in (getattr(model, "_tied_weights_keys", None) or [])}
        if not getattr(model.config, "tie_word_embeddings", False):
            tied = {}
    return set(tied)


def _ignored(model: Any, attribute: str) -> list[re.Pattern]:
    return [re.compile(p) for p in (getattr(model, attribute, None) or [])]


def _renamer(model: Any) -> Any:
    """transformers' own renaming of checkpoint keys (legacy names such as GPT-NeoX's embed_out, a bare base
    model's missing prefix), as from_pretrained applies it; None when this transformers has none."""
    try:
        from transformers.conversion_mapping import get_model_conversion_mapping
        from transformers.core_model_loading import WeightConverter, WeightRenaming, rename_source_key
    except ImportError:  # pragma: no cover - the pinned transformers has them
        return None
    transforms = get_model_conversion_mapping(model)
    renamings = [t for t in transforms if isinstance(t, WeightRenaming)]
    converters = [t for t in transforms if isinstance(t, WeightConverter)]
    meta = model.state_dict()
    prefix = getattr(model, "base_model_prefix", None) or None

    def rename(name: str) -> str:
        new, converted = rename_source_key(name, renamings, converters, prefix, meta)
        if converted is not None:
            raise ValidationError(f"The checkpoint stores {name!r} in a layout that transformers converts while "
                                  "loading (merged or split weights); the studio does not convert weights yet.")
        return new

    return rename


def _names(model: Any, names: Mapping[str, Any]) -> dict[str, Any]:
    """A checkpoint's tensor names as the model's: transformers' renamings (legacy names, a bare base
    model's prefix), buffers transformers ignores on load left out."""
    own = set(model.state_dict())
    prefix = getattr(model, "base_model_prefix", "") or ""
    rename = _renamer(model)
    skip = _ignored(model, "_keys_to_ignore_on_load_unexpected")
    out = {}
    for name, value in names.items():
        if rename is not None:
            name = rename(name)
        elif name not in own and prefix and f"{prefix}.{name}" in own:
            name = f"{prefix}.{name}"
        if name not in own and any(p.search(name) for p in skip):
            continue
        out[name] = value
    return out


def _expected(model: Any) -> dict[str, ExpectedTensor]:
    tied = _tied_targets(model)
    optional = _ignored(model, "_keys_to_ignore_on_load_missing")
    return {n: ExpectedTensor(tuple(t.shape), n in tied or any(p.search(n) for p in optional))
            for n, t in model.state_dict().items()}


def _stored_dtype(tensors: Mapping[str, Any]) -> Any:
    """The dtype most of the floating-point weights have (what the model runs in)."""
    sizes: dict[Any, int] = {}
    for t in tensors.values():
        if t.is_floating_point():
            sizes[t.dtype] = sizes.get(t.dtype, 0) + t.numel()
    return max(sizes, key=sizes.__getitem__) if sizes else None


class HFCache:
    """transformers' DynamicCache (sliding-window layers included, from the config), with `length`."""

    def __init__(self, model: Any):
        from transformers import DynamicCache

        self.kv = DynamicCache(config=model.config)

    @property
    def length(self) -> int:
        return int(self.kv.get_seq_length())


class TransformersFamily(ModelFamily):
    name = "transformers"
    label = "Hugging Face transformers"

    def accepts(self, config: Mapping[str, Any]) -> bool:
        return isinstance(config.get("model_type"), str)

    def describe(self, config: Mapping[str, Any]) -> ModelSpec:
        text = _text_config(config)
        model_type = str(config.get("model_type", ""))
        archs = config.get("architectures")
        arch = str(archs[0]) if isinstance(archs, list) and archs else model_type
        tested = model_type in TESTED_TYPES
        notes = () if tested else (
            f"The model type {model_type!r} is supported by transformers but not tested by the studio; "
            "check its outputs before relying on it.",)
        return ModelSpec(self.name, model_type, arch, _field(text, "vocab_size"), _field(text, "context_length"),
                         _field(text, "layers"), _field(text, "hidden_size"), _field(text, "heads"), tested, notes)

    def check_config(self, config: Mapping[str, Any]) -> ModelSpec:
        if config.get("auto_map") or _text_config(config).get("auto_map"):
            raise ValidationError(REMOTE_CODE_MESSAGE)
        model_type = config.get("model_type")
        if not isinstance(model_type, str) or not model_type:
            raise ValidationError("config.json has no model_type: the studio cannot tell what network it is.")
        _, config_names, causal_names = _mappings()
        if model_type not in config_names:
            import transformers

            raise ValidationError(f"The model type {model_type!r} is not one that transformers "
                                  f"{transformers.__version__} implements; the studio cannot run it.")
        if model_type not in causal_names:
            raise ValidationError(f"A {model_type!r} model is not a causal language model (text generation); "
                                  "the studio runs causal language models only.")
        spec = self.describe(config)
        if spec.vocab_size <= 0:
            raise ValidationError("config.json has no vocab_size.")
        return spec

    # --- building ----------------------------------------------------------------------------------------

    def expected_tensors(self, config: Mapping[str, Any]) -> dict[str, ExpectedTensor]:
        return _expected(_empty_model(hf_config(config), None))

    def skeleton(self, config: Mapping[str, Any]) -> nn.Module:
        return _empty_model(hf_config(config), None)

    def check_tensors(self, config: Mapping[str, Any], shapes: Mapping[str, tuple[int, ...]]) -> None:
        model = _empty_model(hf_config(config), None)
        check_tensor_shapes(_expected(model), _names(model, shapes))

    def build(self, config: Mapping[str, Any], tensors: Mapping[str, torch.Tensor], *,
              device: str | torch.device = "cpu") -> nn.Module:
        from studio.core.compression.load import build_compressed, is_compressed

        if is_compressed(tensors):  # quantized or sparse-stored: compression's loader, which calls back here
            return build_compressed(self, config, tensors, device=device)
        hf_cfg = hf_config(config)
        dtype = _stored_dtype(tensors)
        model = _empty_model(hf_cfg, dtype)
        tensors = _names(model, tensors)
        check_tensor_shapes(_expected(model), {n: tuple(t.shape) for n, t in tensors.items()})
        model.load_state_dict(tensors, strict=False, assign=True)
        if _tied_targets(model):
            model.tie_weights()
        left = [n for n, t in list(model.named_parameters()) + list(model.named_buffers()) if t.is_meta]
        if left:
            raise ValidationError(f"The weights leave {', '.join(left[:5])} unset.")
        return model.to(device).eval()

    def tensors(self, model: nn.Module) -> dict[str, torch.Tensor]:
        state = model.state_dict()
        tied = {n for n in _tied_targets(model) if n in state}
        out = {}
        for name, t in state.items():
            if name in tied:
                continue
            out[name] = t.detach().contiguous()
        return out

    def config(self, model: nn.Module) -> dict[str, Any]:
        doc = model.config.to_dict()
        doc["architectures"] = [type(model).__name__]
        dtype = _stored_dtype(dict(model.named_parameters()))
        if dtype is not None:
            doc["dtype"] = str(dtype).removeprefix("torch.")
        return json.loads(json.dumps(doc))  # plain JSON types only

    def owns(self, model: nn.Module) -> bool:
        if "transformers" not in sys.modules:  # nothing built by this family exists yet
            return False
        from transformers import PreTrainedModel

        return isinstance(model, PreTrainedModel)

    # --- running -----------------------------------------------------------------------------------------

    def vocab_size(self, model: nn.Module) -> int:
        return int(model.get_output_embeddings().weight.shape[0])

    def context_length(self, model: nn.Module) -> int:
        return self.describe(model.config.to_dict()).context_length or 2048

    def new_cache(self, model: nn.Module, batch: int = 1) -> Any:
        return HFCache(model)

    def forward(self, model: nn.Module, idx: torch.Tensor, targets: torch.Tensor | None = None, *,
                cache: Any = None, last_only: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        from torch.nn import functional as F

        kwargs: dict[str, Any] = {"use_cache": cache is not None}
        if cache is not None:
            kwargs[cache_argument(type(model))] = cache.kv
        keep = last_only and takes(type(model), "logits_to_keep")
        if keep:
            kwargs["logits_to_keep"] = 1
        logits = model(input_ids=idx, **kwargs).logits
        if last_only and not keep:
            logits = logits[:, -1:, :]
        loss = None
        if targets is not None:
            flat = targets.reshape(-1)
            total = F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), flat, ignore_index=-1, reduction="sum")
            loss = total / (flat != -1).sum().clamp(min=1)
        return logits, loss

    def batch_runner(self, model: nn.Module, max_rows: int) -> Any:
        from studio.core.serving import hf_runner  # rows left-padded in one DynamicCache, masked

        if hf_runner.supports(model):
            return hf_runner.PaddedRunner(model, max_rows)
        return super().batch_runner(model, max_rows)

    def linear_layers(self, model: nn.Module) -> dict[str, nn.Linear]:
        from torch import nn

        head = model.get_output_embeddings()
        return {path: m for path, m in model.named_modules() if isinstance(m, nn.Linear) and m is not head}

    def lora_layers(self, model: nn.Module) -> dict[str, nn.Module]:
        # GPT-2's blocks (a GPT-2 the native family cannot represent, e.g. another activation) hold Conv1D
        # layers, not nn.Linear: peft adapts them (fan_in_fan_out), the compressor's Linear code would not
        from torch import nn
        from transformers.pytorch_utils import Conv1D

        head = model.get_output_embeddings()
        return {path: m for path, m in model.named_modules() if isinstance(m, nn.Linear | Conv1D) and m is not head}

    # --- export ------------------------------------------------------------------------------------------------

    def export_hf(self, model: nn.Module, folder: Path, tokenizer: ModelTokenizer | None = None) -> list[str]:
        from safetensors.torch import save_file

        from studio.core.fsutil import atomic_writer, fsync_dir
        from studio.core.models.tokenizer import write_tokenizer_files

        folder = Path(folder)
        config = self.config(model)
        with atomic_writer(folder / "config.json") as fh:
            fh.write((json.dumps(config, indent=2) + "\n").encode())
        tmp = folder / ".model.safetensors.tmp"
        try:
            save_file({k: v.cpu() for k, v in self.tensors(model).items()}, str(tmp), metadata={"format": "pt"})
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, folder / "model.safetensors")
        finally:
            tmp.unlink(missing_ok=True)
        written = ["config.json", "model.safetensors"]
        if tokenizer is not None:
            written += write_tokenizer_files(folder, tokenizer, config)
        fsync_dir(folder)
        return written


_PARAMETERS: dict[type, frozenset[str]] = {}


def takes(cls: type, argument: str) -> bool:
    if cls not in _PARAMETERS:
        _PARAMETERS[cls] = frozenset(inspect.signature(cls.forward).parameters)
    return argument in _PARAMETERS[cls]


def cache_argument(cls: type) -> str:
    """transformers 5.24 renamed `past_key_values` to `cache` (the old name warns until 5.40)."""
    return "cache" if takes(cls, "cache") else "past_key_values"


FAMILY = TransformersFamily()
