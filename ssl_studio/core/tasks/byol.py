"""BYOL: predict, from one view, what a slowly moving copy of the model makes of the other.

Online network: encoder -> projector -> predictor. Target network: a momentum (EMA) copy of
encoder + projector (no gradients, not optimised) that moves towards the online one by
``1 - tau`` after each optimiser step, ``tau`` rising on a cosine from ``momentum`` to 1.0
over the run. The loss is ``byol_regression`` on both view orders (summed, as in the paper).
There are no negatives, so the batch size matters less than for contrastive tasks.
With ``augment_aware`` > 0 a head also predicts how the two views' augmentation draws differ
from their online encoder features (``augment_aware.py``), weighted by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from ssl_studio.core.config import option
from ssl_studio.core.data.loaders import ImageBatch
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.models.backbones import Backbone
from ssl_studio.core.models.heads import prediction_mlp, projection_mlp
from ssl_studio.core.tasks.augment_aware import (
    BEFORE_IT_EXISTED,
    aware_head,
    aware_option,
    check_weight,
    two_views,
)
from ssl_studio.core.tasks.base import PretextTask
from ssl_studio.core.tasks.losses import byol_regression
from ssl_studio.core.tasks.momentum import ema_update, frozen_copy, momentum_at


@dataclass
class BYOLConfig:
    """Options of BYOL; the defaults suit a CPU."""

    hidden_dim: int = option(512, "Width of the hidden layer of the projection/prediction heads.")
    out_dim: int = option(128, "Length of the vectors that are predicted.")
    momentum: float = option(
        0.99, "How slowly the target copy follows the model (rises to 1.0 by the end of the run)."
    )
    augment_aware: float = aware_option()
    before_it_existed: ClassVar[dict[str, Any]] = BEFORE_IT_EXISTED

    def validate(self) -> None:
        """Raise ConfigError when a value is out of range."""
        if self.hidden_dim < 1 or self.out_dim < 1:
            raise ConfigError("byol: hidden_dim and out_dim must be at least 1.")
        if not 0.0 <= self.momentum <= 1.0:
            raise ConfigError("byol: momentum must be between 0 and 1 (default 0.99).")
        check_weight("byol", self.augment_aware)


class BYOL(PretextTask):
    """Bootstrap Your Own Latent: online predictor regresses the target's projection."""

    name = "byol"
    modalities = ("image",)
    min_batch_size = 2  # its heads' BatchNorm over two views of one image would be degenerate
    Config = BYOLConfig
    summary = "Self-distillation: predict how a slowly updated twin describes another copy."
    explanation = (
        "Each image is shown twice with a different random crop and change of brightness, "
        "contrast and noise. From one copy, the model must predict how a twin of itself that "
        "follows it slowly (an average of its recent versions) describes the other copy. No "
        "other images are used as decoys, so it works with small batches and never pushes "
        "apart two scans that merely look alike; giving the same description despite the "
        "changes teaches the model to capture anatomy and findings, not position or exposure; "
        "telling how the two copies differ in framing, brightness and contrast keeps the "
        "overall density and haze that can be findings themselves."
    )

    def __init__(self, cfg: BYOLConfig, backbone: Backbone, augment: nn.Module | None = None):
        cfg.validate()
        super().__init__(cfg, backbone, augment)
        self.projector = projection_mlp(self.dim, cfg.hidden_dim, cfg.out_dim)
        self.predictor = prediction_mlp(cfg.out_dim, cfg.hidden_dim, cfg.out_dim)
        self.target_encoder = frozen_copy(self.encoder)
        self.target_projector = frozen_copy(self.projector)
        self.aware = aware_head(cfg, self.dim, augment)

    def training_step(self, batch: ImageBatch) -> tuple[Tensor, dict[str, float]]:
        """Symmetric BYOL loss of two views of batch.x [N, C, S, S] (plus the weighted
        augment-aware loss); logs the mean cosine (and the augment-aware error)."""
        if self.augment is None:
            raise ConfigError("byol needs an augmentation to make two views of each image.")
        v1, v2, *draws = two_views(self.augment, batch, self.aware is not None)
        views = torch.cat([v1, v2])  # [2N, C, s, s]
        h = self.encoder(views)  # [2N, dim]
        p1, p2 = self.predictor(self.projector(h)).chunk(2)
        with torch.no_grad():
            z1, z2 = self.target_projector(self.target_encoder(views)).chunk(2)
        byol_loss = byol_regression(p1, z2) + byol_regression(p2, z1)
        # each term is 2 - 2 cos; the mean cosine of prediction and target, from 1 to -1
        logs = {"cosine": 1.0 - byol_loss.detach() / 4.0}
        if self.aware is None:
            return byol_loss, logs
        aware = self.aware.loss(*h.chunk(2), *draws)
        logs["augment_error"] = aware.detach()
        return byol_loss + self.cfg.augment_aware * aware, logs

    @torch.no_grad()
    def on_step_end(self, step: int, total_steps: int) -> None:
        """Move the target network towards the online one (tau on a cosine schedule)."""
        tau = momentum_at(step, total_steps, self.cfg.momentum)
        ema_update(self.target_encoder, self.encoder, tau)
        ema_update(self.target_projector, self.projector, tau)
