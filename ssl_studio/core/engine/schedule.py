"""Learning-rate schedule: linear warm-up, then cosine decay to a floor; and how many
optimiser steps a run plans."""

from __future__ import annotations

import math

from ssl_studio.core.config import TrainConfig


def warmup_cosine(step: int, total: int, warmup: int, floor: float = 0.01) -> float:
    """Multiplier of the base learning rate at ``step`` (0-based) of ``total`` steps."""
    if warmup > 0 and step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def planned_steps(cfg: TrainConfig, batches_per_epoch: int) -> int:
    """Optimiser steps of a whole run: ``cfg.steps``, else its epochs of
    ``batches_per_epoch`` micro-batches (``cfg.accumulate`` to a step)."""
    if cfg.steps:
        return cfg.steps
    per_epoch = max(1, batches_per_epoch // cfg.accumulate)
    return max(1, (cfg.epochs or 1) * per_epoch)
