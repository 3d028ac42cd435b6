"""The optimiser of a training run and its learning-rate schedule: AdamW or SGD, weight
decay on the weight matrices only, the encoder of a fine-tuned classifier at its own
share of the learning rate, warm-up then cosine decay (schedule.py)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ssl_studio.core.config import TrainConfig
from ssl_studio.core.engine.schedule import warmup_cosine

# Parameters (by the last part of their name) that weight decay would pull towards zero for
# nothing: the ViT's class token and learned position embedding, MAE's and ts-patch's mask
# token, ts-patch's learned positions. A position seen rarely (MAE hides 75 % of patches)
# gets little gradient, so decay would wear its position information away (DeiT and MoCo v3
# leave them out too).
NO_DECAY = frozenset({"class_token", "pos_embedding", "mask_token", "pos"})


def decays(name: str, param: torch.Tensor, exempt: frozenset[str]) -> bool:
    """Whether weight decay applies: not to biases and norms (1-D) nor to ``exempt``."""
    return param.ndim > 1 and name.rsplit(".", 1)[-1] not in exempt


def param_groups(
    task: nn.Module, cfg: TrainConfig, exempt: frozenset[str] = NO_DECAY
) -> list[dict[str, Any]]:
    """Weight decay except on biases, norms and the parameters named in ``exempt``
    (tokens and position embeddings); a task with ``encoder_lr_scale`` (fine-tuning)
    trains its encoder at that share of the learning rate."""
    scale = float(getattr(task, "encoder_lr_scale", 1.0))
    in_encoder = {id(q) for q in task.encoder.parameters()} if scale != 1.0 else set()
    groups = []
    for encoder_part in (False, True):
        named = [
            (name, q)
            for name, q in task.named_parameters()
            if q.requires_grad and (id(q) in in_encoder) == encoder_part
        ]
        lr = cfg.lr * (scale if encoder_part else 1.0)
        decay = [q for name, q in named if decays(name, q, exempt)]
        no_decay = [q for name, q in named if not decays(name, q, exempt)]
        groups += [
            {"params": decay, "weight_decay": cfg.weight_decay, "lr": lr},
            {"params": no_decay, "weight_decay": 0.0, "lr": lr},
        ]
    return [g for g in groups if g["params"]]


def build_optimizer(
    task: nn.Module, cfg: TrainConfig, total: int, exempt: frozenset[str] = NO_DECAY
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    """The optimiser of ``task``'s parameters (``param_groups``) and its schedule over
    ``total`` optimiser steps (warm-up for ``cfg.warmup_fraction`` of them)."""
    groups = param_groups(task, cfg, exempt)
    optimizer: torch.optim.Optimizer
    if cfg.optimizer == "sgd":
        optimizer = torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum)
    else:
        optimizer = torch.optim.AdamW(groups, lr=cfg.lr)
    warmup = round(cfg.warmup_fraction * total)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: warmup_cosine(s, total, warmup)
    )
    return optimizer, scheduler
