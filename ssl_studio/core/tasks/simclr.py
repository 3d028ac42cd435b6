"""SimCLR: find the other view of the same image among all views of the batch (NT-Xent).

Two random views of each image go through the encoder and a projection MLP in one forward
pass ``[2N, C, S, S] -> [2N, out_dim]``; each of the 2N projections must pick out its partner
among the other 2N - 1 by cosine similarity (``losses.nt_xent``). With ``augment_aware``
> 0 a head also predicts how the two views' augmentation draws differ from their encoder
features (``augment_aware.py``), weighted by it. Under torchrun each process contrasts
within its own batch (negatives are not gathered across processes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ssl_studio.core.config import option
from ssl_studio.core.data.loaders import ImageBatch
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.models.backbones import Backbone
from ssl_studio.core.models.heads import projection_mlp
from ssl_studio.core.tasks.augment_aware import (
    BEFORE_IT_EXISTED,
    aware_head,
    aware_option,
    check_weight,
    two_views,
)
from ssl_studio.core.tasks.base import PretextTask
from ssl_studio.core.tasks.losses import nt_xent


@dataclass
class SimCLRConfig:
    """Options of SimCLR; the defaults suit a CPU and a batch of 64 to 256 images."""

    hidden_dim: int = option(512, "Width of the projection head's hidden layer.")
    out_dim: int = option(128, "Length of the vectors that are compared (projection output).")
    temperature: float = option(
        0.2, "Sharpness of the comparison: lower values focus on the most similar decoys."
    )
    augment_aware: float = aware_option()
    before_it_existed: ClassVar[dict[str, Any]] = BEFORE_IT_EXISTED

    def validate(self) -> None:
        """Raise ConfigError when a value is out of range."""
        if self.hidden_dim < 1 or self.out_dim < 1:
            raise ConfigError("simclr: hidden_dim and out_dim must be at least 1.")
        check_weight("simclr", self.augment_aware)
        if not self.temperature > 0:
            raise ConfigError("simclr: temperature must be a positive number (default 0.2).")


class SimCLR(PretextTask):
    """SimCLR on any image backbone: encoder + projector, NT-Xent over the 2N views."""

    name = "simclr"
    modalities = ("image",)
    min_batch_size = 2  # the other images are the decoys; the projector's BatchNorm
    Config = SimCLRConfig
    summary = "Contrastive: recognise two altered copies of the same image among the batch."
    explanation = (
        "Each image is shown twice, each time with a different random crop, slight rotation "
        "and change of brightness, contrast and noise, as if it had been acquired twice. The "
        "model must tell which two pictures in the batch come from the same image, while all "
        "the other images serve as decoys. To succeed it has to ignore what does not matter "
        "(position, exposure, grain) and describe what does: the anatomy and any findings. It "
        "must also tell how the two copies differ in framing, brightness and contrast, so its "
        "description keeps the overall density and haze that can be findings themselves."
    )

    def __init__(
        self, cfg: SimCLRConfig, backbone: Backbone, augment: nn.Module | None = None
    ) -> None:
        cfg.validate()
        super().__init__(cfg, backbone, augment)
        self.projector = projection_mlp(self.dim, cfg.hidden_dim, cfg.out_dim)
        self.aware = aware_head(cfg, self.dim, augment)

    def training_step(self, batch: ImageBatch) -> tuple[Tensor, dict[str, float]]:
        """NT-Xent of two views of batch.x [N, C, S, S] (plus the weighted augment-aware
        loss); logs the partner-finding accuracy (and the augment-aware error)."""
        if self.augment is None:
            raise ConfigError("simclr needs an augmentation to make two views of each image.")
        v1, v2, *draws = two_views(self.augment, batch, self.aware is not None)
        h = self.encoder(torch.cat([v1, v2]))  # [2N, dim]
        z1, z2 = self.projector(h).chunk(2)  # [N, out_dim] each
        loss = nt_xent(z1, z2, self.cfg.temperature)
        logs = {"accuracy": partner_accuracy(z1.detach(), z2.detach())}
        if self.aware is not None:
            aware = self.aware.loss(*h.chunk(2), *draws)
            loss = loss + self.cfg.augment_aware * aware
            logs["augment_error"] = aware.detach()
        return loss, logs


def partner_accuracy(z1: Tensor, z2: Tensor) -> Tensor:
    """Share of the 2N views whose most similar other view is their partner. z1, z2: [N, D]."""
    z = F.normalize(torch.cat([z1, z2]).float(), dim=1)
    n = z1.shape[0]
    sim = (z @ z.T).fill_diagonal_(float("-inf"))
    partner = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return (sim.argmax(dim=1) == partner).float().mean()
