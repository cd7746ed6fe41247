"""Which back-end can serve a vault version, told from what the vault keeps in the clear (nothing decrypted).

    backend_refusal("llama.cpp", version)   # None, or why not, in a sentence for people

`studio.serving.start` (what `studio serve --backend` and the Serving pane's Start call) refuses with this
reason before any model is decrypted, and the Serving pane disables a back-end with it as the tooltip. The
llama.cpp runner then checks the built model itself (the GGUF export's plan: a pruned GPT's layer widths, a
RoPE variant), which metadata cannot tell. Imported by the CLI's argument parser: nothing heavy here.
"""

from __future__ import annotations

import os
from typing import Any

from studio.core.messages import Message, msg

BACKENDS = ("torch", "llama.cpp")


def llama_cpp_available() -> bool:
    """llama-cpp-python is installed (a source install's dev dependency; not in the packaged app) and this
    system has memfd_create (the GGUF is written into anonymous memory, never to disk)."""
    import importlib.util

    return importlib.util.find_spec("llama_cpp") is not None and hasattr(os, "memfd_create")


def backend_refusal(backend: str, version: Any = None) -> Message | None:
    """Why `backend` cannot serve `version` (a VersionInfo; None: only whether the back-end is there at all),
    or None when it can. A Message: `str()` is the English sentence, the GUI translates it."""
    if backend == "torch":
        return None
    if backend != "llama.cpp":
        return msg("Unknown back-end {backend}; choose one of {choices}.", backend=repr(backend),
                   choices=", ".join(BACKENDS))
    if not llama_cpp_available():
        return msg("llama.cpp is not installed: the llama.cpp back-end needs llama-cpp-python, which a source "
                   "install has (make setup) and the packaged app does not. The torch back-end serves every model.")
    if version is None:
        return None
    from studio.core.exports.gguf_arch import GGUF_MODEL_TYPES
    from studio.core.vault.facts import version_facts

    facts = version_facts(version)
    label = f"{version.model_name}:{version.number}"
    if facts.adapter:
        return msg("{model} is a LoRA adapter; merge it into its base model to serve it.", model=label)
    if facts.model_type is not None and facts.model_type not in GGUF_MODEL_TYPES:
        kinds = ", ".join(sorted(GGUF_MODEL_TYPES - {"gpt"}))
        return msg("llama.cpp runs what the GGUF export writes (the studio's GPT and {kinds} models); {model} is "
                   "a {model_type} model. The torch back-end serves it.", kinds=kinds, model=label,
                   model_type=repr(facts.model_type))
    recipe = ((version.metadata or {}).get("compression") or {}).get("recipe") or {}
    if recipe.get("quant") not in (None, "none"):
        return msg("{model} is quantized by the studio; the llama.cpp back-end serves float models only (export it "
                   "as a quantized GGUF for llama.cpp itself). The torch back-end serves it.", model=label)
    if recipe.get("structured"):
        return msg("{model} is structurally pruned (layers of different widths), which llama.cpp's architectures "
                   "cannot hold. The torch back-end serves it.", model=label)
    return None
