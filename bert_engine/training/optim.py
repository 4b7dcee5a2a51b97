"""AdamW with the usual BERT split: no weight decay on biases and normalisation weights.

Decay pulls weights towards zero. That regularises matrices, but for a bias or a LayerNorm
gain (which should sit near 1) it only does harm, so those go into a group with
`weight_decay=0`. We decide by module type *and* by shape, so it works for any model: a
parameter is excluded when it belongs to a normalisation layer (LayerNorm, RMSNorm, BatchNorm,
GroupNorm, anything named like `LayerNorm`) or has fewer than two dimensions (biases, gains).
Embedding matrices are 2-D and keep their decay, as in the original BERT recipe.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

_NORM_TYPES: tuple[type[nn.Module], ...] = (
    nn.LayerNorm,
    nn.GroupNorm,
    nn.LocalResponseNorm,
    nn.modules.batchnorm._BatchNorm,
    nn.modules.instancenorm._InstanceNorm,
) + ((nn.RMSNorm,) if hasattr(nn, "RMSNorm") else ())


def _is_norm_module(module: nn.Module) -> bool:
    # Custom norms (e.g. a hand-written BertLayerNorm) are caught by their class name.
    name = type(module).__name__.lower()
    return isinstance(module, _NORM_TYPES) or "layernorm" in name or "rmsnorm" in name


def split_decay_parameters(model: nn.Module) -> tuple[list[str], list[str]]:
    """Names of trainable parameters that get weight decay, and those that do not.

    Shared (tied) parameters are listed once, under their first name.
    """
    no_decay_ids: set[int] = set()
    for module in model.modules():
        if _is_norm_module(module):
            no_decay_ids.update(id(p) for p in module.parameters(recurse=False))
    decay: list[str] = []
    no_decay: list[str] = []
    for name, param in model.named_parameters():  # deduplicates tied parameters
        if not param.requires_grad:
            continue
        if param.ndim < 2 or id(param) in no_decay_ids:
            no_decay.append(name)
        else:
            decay.append(name)
    return decay, no_decay


def parameter_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Two optimizer parameter groups: decayed weights and everything else (decay 0)."""
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
    decay_names, no_decay_names = split_decay_parameters(model)
    params = dict(model.named_parameters())
    groups = [
        {
            "params": [params[n] for n in decay_names],
            "weight_decay": weight_decay,
            "group": "decay",
        },
        {"params": [params[n] for n in no_decay_names], "weight_decay": 0.0, "group": "no_decay"},
    ]
    # An empty group is legal for torch, but it only clutters state dicts and logs.
    return [g for g in groups if g["params"]]


def build_optimizer(
    model: nn.Module,
    lr: float,
    weight_decay: float = 0.01,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    fused: bool | None = None,
) -> torch.optim.AdamW:
    """AdamW over `parameter_groups(model, weight_decay)`.

    `fused=None` lets torch pick its fast implementation where available.
    """
    if lr <= 0:
        raise ValueError(f"learning rate must be > 0, got {lr}")
    groups = parameter_groups(model, weight_decay)
    if not groups:
        raise ValueError("the model has no trainable parameters (all have requires_grad=False)")
    kwargs: dict[str, Any] = {"lr": lr, "betas": betas, "eps": eps}
    if fused is not None:
        kwargs["fused"] = fused
    return torch.optim.AdamW(groups, **kwargs)
