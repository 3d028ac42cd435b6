"""Augmentation-aware two-view learning (AugSelf, Lee et al., NeurIPS 2021).

Two-view tasks (SimCLR, MoCo, BYOL) teach the encoder to describe both views of an image
alike, so it learns to ignore whatever the augmentation changes. For medical images some of
that is the finding itself: the overall brightness and haze of a chest X-ray carry much of a
pneumonia, and an encoder made blind to brightness and contrast loses it. Here a small head
must also tell, from the two views' features side by side, how their random draws of
framing (crop area), display window, brightness, contrast and gamma differ. To do so the
features must keep exposure and extent, while the task's own loss still matches the anatomy.
Jigsaw and rotation, which otherwise see one view of each image, then see two (each view a
puzzle or four turns of its own) for the head to compare; their features are made blind
less by matching than by specialising, and the head keeps them broad too.

On the 400 demo chest X-rays (150 steps, seeds 0-2, tests/bench/bench_pretext_knn.py) the
kNN accuracy of SimCLR's features rose from 0.870 to 0.908 with a weight of 10, jigsaw's
from 0.853 to 0.908 and rotation's from 0.821 to 0.895, against 0.890 for the random
encoder (jigsaw and rotation measured on a prototype of this code, which the shipped
code matched on seed 0); see the README's benchmark section.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ssl_studio.core.config import option
from ssl_studio.core.data.loaders import ImageBatch
from ssl_studio.core.errors import ConfigError

HIDDEN = 256  # width of the head's hidden layer


class AugmentAwareHead(nn.Module):
    """Predicts the differences of two views' augmentation draws from their features.

    ``h1, h2: [N, dim]`` encoder features of the two views -> ``[N, draws]``; trained on
    ``2 * (d1 - d2)``, the draws being uniform numbers in [0, 1) (so targets lie in (-2, 2)).
    """

    def __init__(self, dim: int, draws: int) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(2 * dim, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, draws))

    def loss(self, h1: Tensor, h2: Tensor, d1: Tensor, d2: Tensor) -> Tensor:
        """Mean squared error of the predicted differences; d1, d2: [N, draws] in [0, 1)."""
        predicted = self.mlp(torch.cat([h1, h2], dim=1))
        return F.mse_loss(predicted.float(), 2.0 * (d1 - d2).float())


def aware_head(cfg: Any, dim: int, augment: nn.Module | None) -> AugmentAwareHead | None:
    """The head for features of width ``dim`` weighted by ``cfg.augment_aware``, or None
    when that is 0 or the augmentation draws nothing it could predict (no augmentation,
    or all of ``AWARE_DRAWS`` switched off); then ``cfg.augment_aware`` is set to 0, so
    the options the run records say what it trained (and rebuild the same network)."""
    draws = len(getattr(augment, "aware_draws", ()))
    if cfg.augment_aware > 0 and draws > 0:
        return AugmentAwareHead(dim, draws)
    cfg.augment_aware = 0.0
    return None


def two_views(augment: nn.Module, batch: ImageBatch, with_draws: bool) -> tuple[Tensor, ...]:
    """(view 1, view 2) of batch.x [N, C, S, S], each [N, C, s, s]; with ``with_draws``
    also (draws 1, draws 2), each [N, P], for ``AugmentAwareHead.loss``."""
    args = (batch.x, batch.low, batch.high, batch.boxes)
    if not with_draws:
        return augment(*args), augment(*args)
    (v1, d1), (v2, d2) = augment.view_and_draws(*args), augment.view_and_draws(*args)
    return v1, v2, d1, d2


# the value of ``augment_aware`` for runs recorded before the option existed (they trained
# without the head, and their checkpoints hold none): see registry.recorded_options
BEFORE_IT_EXISTED = {"augment_aware": 0.0}


def aware_option(two_views_needed: bool = False) -> float:
    """The ``augment_aware`` field of a task config; ``two_views_needed``: the task sees
    one view of each image otherwise (the option makes it two, at twice the cost)."""
    extra = " Shows each image twice, so a step takes twice as long." if two_views_needed else ""
    return option(
        10.0,
        "Weight of also telling how two copies' framing, window, brightness, contrast "
        f"and gamma differ; keeps exposure and haze in the features (0: off).{extra}",
    )


def check_weight(task: str, weight: float) -> None:
    """ConfigError unless ``weight`` is a finite number >= 0."""
    if not (weight >= 0 and weight != float("inf")):
        raise ConfigError(f"{task}: augment_aware must be 0 (off) or a positive number.")


def single_task_views(
    augment: nn.Module | None, batch: ImageBatch, aware: bool
) -> tuple[Tensor, tuple[Tensor, ...]]:
    """The views a single-view task (jigsaw, rotation) trains on, and the draws for
    ``AugmentAwareHead.loss``: with ``aware``, two views of each image ([2N, C, s, s]:
    all first views, then all second views) and (draws 1, draws 2), each [N, P]; else one
    view ([N, ...]; batch.x as it is without an augmentation) and ()."""
    if aware and augment is not None:
        v1, v2, d1, d2 = two_views(augment, batch, with_draws=True)
        return torch.cat([v1, v2]), (d1, d2)
    if augment is not None:
        return augment(batch.x, batch.low, batch.high, batch.boxes), ()
    return batch.x, ()
