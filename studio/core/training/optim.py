"""Optimizers (AdamW, Adam, Adagrad, SGD with momentum) with nanoGPT's weight-decay groups, and their state
flattened into named tensors + JSON so that a checkpoint needs no pickle.

Optimizer state is keyed by parameter *name* in the flattened form (torch keys it by position), so a
checkpoint says what each tensor belongs to and a mismatch is a clear error instead of silent misuse.
"""

from __future__ import annotations

from typing import Any

import torch

from studio.core.errors import ValidationError
from studio.core.training.config import TrainConfig


def make_optimizer(model: torch.nn.Module, cfg: TrainConfig, device: torch.device) -> torch.optim.Optimizer:
    # Decay matrices and embeddings (2-D and up); never biases or LayerNorm gains.
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    groups = [
        {"params": [p for _, p in params if p.dim() >= 2], "weight_decay": cfg.weight_decay},
        {"params": [p for _, p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    if cfg.optimizer in ("adamw", "adam"):
        cls = torch.optim.AdamW if cfg.optimizer == "adamw" else torch.optim.Adam
        extra = {"fused": True} if device.type == "cuda" else {}
        return cls(groups, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), **extra)
    if cfg.optimizer == "adagrad":
        return torch.optim.Adagrad(groups, lr=cfg.lr)
    return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum)


def _names_in_order(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> list[str]:
    by_id = {id(p): n for n, p in model.named_parameters()}
    return [by_id[id(p)] for g in optimizer.param_groups for p in g["params"]]


def optimizer_to_flat(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(tensors named "optim/<param>/<key>", JSON-ready dict with param groups and non-tensor state)."""
    sd = optimizer.state_dict()
    names = _names_in_order(model, optimizer)
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for idx, state in sd["state"].items():
        for key, value in state.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optim/{names[idx]}/{key}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(names[idx], {})[key] = value
    groups = []
    for g in sd["param_groups"]:
        g = dict(g)
        g["params"] = [names[i] for i in g["params"]]
        groups.append(g)
    return tensors, {"param_groups": groups, "scalars": scalars}


def optimizer_from_flat(model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                        tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    names = _names_in_order(model, optimizer)
    index = {n: i for i, n in enumerate(names)}
    try:
        saved_groups = meta["param_groups"]
        if [n for g in saved_groups for n in g["params"]] != names:
            raise ValidationError("The saved optimizer state belongs to different parameters than this model's.")
        state: dict[int, dict[str, Any]] = {}
        for key, value in tensors.items():
            _, pname, field = key.split("/", 2)
            if pname not in index:
                raise ValidationError(f"The saved optimizer state names an unknown parameter {pname!r}.")
            state.setdefault(index[pname], {})[field] = value
        for pname, fields_ in meta.get("scalars", {}).items():
            state.setdefault(index[pname], {}).update(fields_)
        groups = []
        for saved, current in zip(saved_groups, optimizer.state_dict()["param_groups"], strict=True):
            g = dict(saved)
            g["params"] = [index[n] for n in saved["params"]]
            for k, v in g.items():  # JSON turned tuples (betas) into lists
                if isinstance(current.get(k), tuple) and isinstance(v, list):
                    g[k] = tuple(v)
            groups.append(g)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(f"The saved optimizer state is unreadable: {exc}.") from exc
    optimizer.load_state_dict({"state": state, "param_groups": groups})
