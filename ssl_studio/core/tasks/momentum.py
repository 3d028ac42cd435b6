"""Momentum (EMA) copies of networks, shared by MoCo and BYOL, and a cross-rank gather."""

from __future__ import annotations

import copy
import math

import torch
import torch.distributed as dist
from torch import Tensor, nn


def momentum_at(step: int, total_steps: int, base: float) -> float:
    """Cosine schedule of the momentum: ``base`` at step 0, rising to 1.0 at total_steps."""
    progress = min(max(step / max(total_steps, 1), 0.0), 1.0)
    return 1.0 - (1.0 - base) * (math.cos(math.pi * progress) + 1.0) / 2.0


def frozen_copy(module: nn.Module) -> nn.Module:
    """A deep copy of ``module`` whose parameters never receive gradients (requires_grad off)."""
    twin = copy.deepcopy(module)
    for p in twin.parameters():
        p.requires_grad_(False)
    return twin


@torch.no_grad()
def ema_update(target: nn.Module, online: nn.Module, m: float) -> None:
    """target <- m * target + (1 - m) * online, parameter by parameter (buffers are kept)."""
    for t, o in zip(target.parameters(), online.parameters(), strict=True):
        t.lerp_(o.detach(), 1.0 - m)


def gather_from_all_ranks(t: Tensor) -> Tensor:
    """t: [n_r, ...] on each rank -> [sum of n_r, ...] in rank order (t itself when alone).

    Ranks may hold different n_r (each is padded to the largest for ``all_gather``).
    """
    if not (dist.is_available() and dist.is_initialized()):
        return t
    world = dist.get_world_size()
    size = torch.tensor([t.shape[0]], device=t.device)
    sizes = [torch.zeros_like(size) for _ in range(world)]
    dist.all_gather(sizes, size)
    counts = [int(s) for s in sizes]
    padded = t.new_zeros((max(counts), *t.shape[1:]))
    padded[: t.shape[0]] = t
    parts = [torch.empty_like(padded) for _ in range(world)]
    dist.all_gather(parts, padded.contiguous())
    return torch.cat([part[:n] for part, n in zip(parts, counts, strict=True)])
