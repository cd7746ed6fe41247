"""Compression methods, one module each behind the interface in base.py (a function over one Linear layer's
weight and its calibration inputs). The registry is static: a new method is a new module here, listed below.

Pruning: magnitude (baseline), wanda, sparsegpt, admm. Quantization: rtn (baseline), gptq, awq.
"""

from __future__ import annotations

import importlib

from studio.core.errors import ValidationError

PRUNERS = ("magnitude", "wanda", "sparsegpt", "admm")
QUANTIZERS = ("rtn", "gptq", "awq")
# Imported by name when chosen; the frozen build's spec lists these (PyInstaller cannot see a dynamic import).
METHOD_MODULES = tuple(f"studio.core.compression.methods.{name}" for name in PRUNERS + QUANTIZERS)


def pruner_named(name: str):
    if name not in PRUNERS:
        raise ValidationError(f"Unknown pruning method {name!r}; choose one of {', '.join(PRUNERS)}.", field="method")
    return importlib.import_module(f"studio.core.compression.methods.{name}").METHOD


def quantizer_named(name: str):
    if name not in QUANTIZERS:
        raise ValidationError(f"Unknown quantization method {name!r}; choose one of {', '.join(QUANTIZERS)}.",
                              field="quant_method")
    return importlib.import_module(f"studio.core.compression.methods.{name}").METHOD
