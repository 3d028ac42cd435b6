"""RotNet (Gidaris et al. 2018): by how many quarter turns was the view rotated?

Label k means the view was turned k * 90 degrees counter-clockwise as displayed (row 0 at
the top), by ``torch.rot90(view, k, dims=(2, 3))``: exact, lossless, for square views.
With ``augment_aware`` > 0 each image gives two views (twice the encoder work per step),
and a head also predicts how the two views' augmentation draws differ from their features
(``augment_aware.py``), weighted by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ssl_studio.core.config import option
from ssl_studio.core.models.backbones import Backbone
from ssl_studio.core.tasks.augment_aware import (
    BEFORE_IT_EXISTED,
    aware_head,
    aware_option,
    check_weight,
    single_task_views,
)
from ssl_studio.core.tasks.base import PretextTask

if TYPE_CHECKING:
    from ssl_studio.core.data.loaders import ImageBatch

TURNS = 4  # 0, 90, 180 and 270 degrees


def rotate(x: torch.Tensor, turns: torch.Tensor) -> torch.Tensor:
    """Turn each image by its own number of quarter turns counter-clockwise.

    x: [N, C, S, S] (square); turns: [N] long in 0..3 -> [N, C, S, S].
    """
    out = x.clone()
    for k in range(1, TURNS):
        chosen = turns == k
        out[chosen] = torch.rot90(x[chosen], k, dims=(2, 3))
    return out


def all_rotations(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Every image at every turn: x: [N, C, S, S] -> (views [4N, C, S, S], labels [4N]).

    Block layout: rows ``k * N .. (k + 1) * N - 1`` hold the whole batch turned k times,
    so ``views[k * N + i]`` is image i turned by k * 90 degrees and its label is k.
    """
    views = torch.cat([torch.rot90(x, k, dims=(2, 3)) for k in range(TURNS)])
    labels = torch.arange(TURNS, device=x.device).repeat_interleave(x.shape[0])
    return views, labels


@dataclass
class RotationConfig:
    """Options of the rotation task."""

    all_rotations: bool = option(
        True, "Show every image at all four turns (4x the batch); else one random turn each."
    )
    augment_aware: float = aware_option(two_views_needed=True)
    before_it_existed: ClassVar[dict[str, Any]] = BEFORE_IT_EXISTED

    def validate(self) -> None:
        """Raise ConfigError when a value is out of range."""
        check_weight("rotation", self.augment_aware)


class Rotation(PretextTask):
    """Four-way rotation classification on any image backbone, with a linear head."""

    name = "rotation"
    modalities = ("image",)
    Config = RotationConfig
    summary = "Predict whether the image was turned by 0, 90, 180 or 270 degrees."
    explanation = (
        "Each image is shown turned by 0, 90, 180 or 270 degrees, and the model must say "
        "which. Answering needs knowing how anatomy normally looks upright, such as where "
        "the heart, the diaphragm and the spine lie, so the model learns to recognise them. "
        "This makes sense for images with a standard orientation, such as chest X-rays, and "
        "less for images without one, such as microscopy. The turns are exact quarter turns "
        "of the square view, so no pixels are lost or blurred. Each image is shown as two "
        "altered copies, and the model must also tell how they differ in framing, "
        "brightness and contrast, so its description keeps the overall density and haze "
        "that can be findings themselves."
    )

    def __init__(
        self, cfg: RotationConfig, backbone: Backbone, augment: nn.Module | None = None
    ) -> None:
        cfg.validate()
        super().__init__(cfg, backbone, augment)
        self.head = nn.Linear(self.dim, TURNS)
        self.aware = aware_head(cfg, self.dim, augment)

    def make_rotations(self, view: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Rotated views and their labels (quarter turns counter-clockwise).

        view: [N, C, S, S] -> ([4N, C, S, S], [4N]) laid out as in ``all_rotations`` when
        ``all_rotations`` is set, else ([N, C, S, S], [N]) with one random turn per sample.
        """
        if self.cfg.all_rotations:
            return all_rotations(view)
        turns = torch.randint(TURNS, (view.shape[0],), device=view.device)
        return rotate(view, turns), turns

    def training_step(self, batch: ImageBatch) -> tuple[torch.Tensor, dict[str, float]]:
        """Cross-entropy of the number of quarter turns of one augmented view of batch.x
        [N, C, S, S] (with ``augment_aware``: of two views, plus the weighted augment-aware
        loss of each image's pair); logs accuracy (and the augment-aware error)."""
        view, draws = single_task_views(self.augment, batch, self.aware is not None)
        views, labels = self.make_rotations(view)
        h = self.encoder(views)
        logits = self.head(h)
        loss = F.cross_entropy(logits, labels)
        logs = {"accuracy": (logits.argmax(dim=1) == labels).float().mean().detach()}
        if self.aware is not None:  # rows 0..2N-1: each view once (unturned with all turns)
            aware = self.aware.loss(*h[: len(view)].chunk(2), *draws)
            loss = loss + self.cfg.augment_aware * aware
            logs["augment_error"] = aware.detach()
        return loss, logs
