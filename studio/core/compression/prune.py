"""Magnitude masks over several matrices (the "global" scope), and structured pruning of the native GPT.

Unstructured pruning of any family is in methods/ (magnitude, wanda, sparsegpt, admm) over the family's Linear
layers; `magnitude_masks` ranks matrices together for the global scope (one threshold over all of them). The
zeros shrink nothing by themselves; storage.py keeps such matrices in sparse form when that is smaller.

Structured: remove whole attention heads and MLP neurons, the same share in every layer, choosing the least
important ones, and slice the tensors so the model really gets smaller (see "For pruning and quantization"
in docs/architecture.md for which rows and columns belong to a head or a neuron). A unit's importance is the
product of its input and output weight norms.
"""

from __future__ import annotations

from typing import Any

import torch

from studio.core.compression.recipe import Recipe
from studio.core.models.config import GPTConfig, parameter_count
from studio.core.models.gpt import config_for_tensors


def magnitude_masks(tensors: dict[str, torch.Tensor], names: list[str], sparsity: float,
                    scope: str = "layer") -> dict[str, torch.Tensor]:
    """Boolean keep-masks zeroing the `sparsity` smallest |w| of each matrix, or of all of them together."""
    if scope == "global":
        total = sum(tensors[n].numel() for n in names)
        k = int(round(total * sparsity))
        if k == 0:
            return {n: torch.ones_like(tensors[n], dtype=torch.bool) for n in names}
        magnitudes = torch.cat([tensors[n].detach().abs().float().reshape(-1) for n in names])
        threshold = torch.kthvalue(magnitudes, k).values
        del magnitudes
        masks = {n: tensors[n].detach().abs() > threshold for n in names}
        # Ties at the threshold could remove more than asked; keep exactly total - k by restoring the excess.
        _fix_ties(tensors, masks, threshold, total - k)
        return masks
    masks = {}
    for n in names:
        w = tensors[n].detach().abs().float().reshape(-1)
        k = int(round(w.numel() * sparsity))
        keep = torch.ones_like(w, dtype=torch.bool)
        if k > 0:
            keep[torch.topk(w, k, largest=False).indices] = False
        masks[n] = keep.reshape(tensors[n].shape)
    return masks


def _fix_ties(tensors, masks, threshold, want_kept: int) -> None:
    kept = sum(int(m.sum()) for m in masks.values())
    need = want_kept - kept
    for n, m in masks.items():
        if need <= 0:
            return
        ties = ((tensors[n].detach().abs() == threshold) & ~m).reshape(-1).nonzero().reshape(-1)[:need]
        m.view(-1)[ties] = True
        need -= ties.numel()


# --- structured ------------------------------------------------------------------------------------------


def _norm_rows(w: torch.Tensor) -> torch.Tensor:
    return w.float().norm(dim=1)


def _norm_cols(w: torch.Tensor) -> torch.Tensor:
    return w.float().norm(dim=0)


def unit_importance(config: GPTConfig, tensors: dict[str, torch.Tensor]) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """(head importance per layer, neuron importance per layer): the norm of a unit's input weights times the
    norm of its output weights. (Activation-based and first-order Taylor scores were tried on trained test
    models and removed no better at 25% and worse at 50%; the recovery fine-tune is the remedy for loss.)"""
    heads_imp, mlp_imp = [], []
    hd = config.head_dim
    for i in range(config.n_layer):
        p = f"transformer.h.{i}."
        qkv, proj = tensors[p + "attn.c_attn.weight"], tensors[p + "attn.c_proj.weight"]
        n_heads = proj.shape[1] // hd
        rows = qkv.float().reshape(3, n_heads, hd, -1)  # the q, k and v rows of each head
        inp = rows.pow(2).sum(dim=(0, 2, 3)).sqrt()
        out = proj.float().reshape(proj.shape[0], n_heads, hd).pow(2).sum(dim=(0, 2)).sqrt()
        heads_imp.append(inp * out)
        mlp_imp.append(tensors[p + "mlp.c_fc.weight"].float().norm(dim=1)
                       * tensors[p + "mlp.c_proj.weight"].float().norm(dim=0))
    return heads_imp, mlp_imp


def prune_structured(config: GPTConfig, tensors: dict[str, torch.Tensor], recipe: Recipe,
                     ) -> tuple[GPTConfig, dict[str, torch.Tensor]]:
    """Remove the least important heads and neurons of every layer; returns the smaller config and tensors."""
    config = config_for_tensors(config, tensors)
    heads_imp, mlp_imp = unit_importance(config, tensors)
    keep_heads, keep_mlp = recipe.pruned_widths(config)
    hd = config.head_dim
    out = dict(tensors)
    for i in range(config.n_layer):
        p = f"transformer.h.{i}."
        n_heads = config.heads(i)
        heads = torch.sort(torch.topk(heads_imp[i], keep_heads[i]).indices).values
        neurons = torch.sort(torch.topk(mlp_imp[i], keep_mlp[i]).indices).values
        # attention: rows of q, k and v for the kept heads; columns of the output projection
        cols = (heads[:, None] * hd + torch.arange(hd)).reshape(-1)
        qkv_rows = torch.cat([part * n_heads * hd + cols for part in range(3)])
        out[p + "attn.c_attn.weight"] = tensors[p + "attn.c_attn.weight"][qkv_rows].contiguous()
        if p + "attn.c_attn.bias" in tensors:
            out[p + "attn.c_attn.bias"] = tensors[p + "attn.c_attn.bias"][qkv_rows].contiguous()
        out[p + "attn.c_proj.weight"] = tensors[p + "attn.c_proj.weight"][:, cols].contiguous()
        # MLP: rows of the input projection, columns of the output projection
        out[p + "mlp.c_fc.weight"] = tensors[p + "mlp.c_fc.weight"][neurons].contiguous()
        if p + "mlp.c_fc.bias" in tensors:
            out[p + "mlp.c_fc.bias"] = tensors[p + "mlp.c_fc.bias"][neurons].contiguous()
        out[p + "mlp.c_proj.weight"] = tensors[p + "mlp.c_proj.weight"][:, neurons].contiguous()
    return config_for_tensors(config, out), out


class NativeStructured:
    """Structured pruning as the pipeline calls it for the native GPT family (config.json dicts in and out)."""

    @staticmethod
    def _gpt(config: dict[str, Any], tensors: dict[str, torch.Tensor]) -> GPTConfig:
        from studio.core.models.families.gpt import gpt_config

        return config_for_tensors(gpt_config(config)[0], tensors)

    def check(self, config: dict[str, Any], tensors: dict[str, torch.Tensor], recipe: Recipe) -> None:
        recipe.check_model(self._gpt(config, tensors))

    def prune(self, config: dict[str, Any], tensors: dict[str, torch.Tensor], recipe: Recipe
              ) -> tuple[dict[str, Any], dict[str, torch.Tensor], str]:
        gpt = self._gpt(config, tensors)
        before = parameter_count(gpt)
        gpt, out = prune_structured(gpt, tensors, recipe)
        message = (f"Removed heads and neurons: {before:,} -> {parameter_count(gpt):,} parameters "
                   f"(heads per layer {[gpt.heads(i) for i in range(gpt.n_layer)]}, "
                   f"MLP widths {[gpt.mlp(i) for i in range(gpt.n_layer)]}).")
        return gpt.to_dict(), out, message


# Structured pruning by family name: it needs to know which rows and columns make a head or a neuron, which
# the family interface does not say; the native GPT's layout is known here.
STRUCTURED_PRUNING = {"gpt": NativeStructured()}
