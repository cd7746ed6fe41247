"""Compression: pruning and quantization of GPT models, their evaluation, report and export (issue 8).

`recipe` is plain data (no torch); every other module imports torch, so import them where used:
prune.py, quantize.py + packing.py (integer formats), runtime.py (quantized layers and kernels),
dynamic.py (torch's quantize_dynamic, wrapped), pipeline.py (run a recipe), load.py (build any stored
model), storage.py (the file layout), evaluate.py, report.py, export.py.
"""

from studio.core.compression.recipe import GROUP_SIZES, QUANT_METHODS, Recipe

__all__ = ["GROUP_SIZES", "QUANT_METHODS", "Recipe"]
