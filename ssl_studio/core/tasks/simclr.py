"""SimCLR: find the other view of the same image among all views of the batch (NT-Xent).

Two random views of each image go through the encoder and a projection MLP in one forward
pass ``[2N, C, S, S] -> [2N, out_dim]``; each of the 2N projections must pick out its partner
among the other 2N - 1 by cosine similarity (``losses.nt_xent``). Under torchrun each
process contrasts within its own batch (negatives are not gathered across processes).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ssl_studio.core.config import option
from ssl_studio.core.data.loaders import ImageBatch
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.models.backbones import Backbone
from ssl_studio.core.models.heads import projection_mlp
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

    def validate(self) -> None:
        """Raise ConfigError when a value is out of range."""
        if self.hidden_dim < 1 or self.out_dim < 1:
            raise ConfigError("simclr: hidden_dim and out_dim must be at least 1.")
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
        "(position, exposure, grain) and describe what does: the anatomy and any findings."
    )

    def __init__(
        self, cfg: SimCLRConfig, backbone: Backbone, augment: nn.Module | None = None
    ) -> None:
        cfg.validate()
        super().__init__(cfg, backbone, augment)
        self.projector = projection_mlp(self.dim, cfg.hidden_dim, cfg.out_dim)

    def training_step(self, batch: ImageBatch) -> tuple[Tensor, dict[str, float]]:
        """NT-Xent of two views of batch.x [N, C, S, S]; logs the partner-finding accuracy."""
        if self.augment is None:
            raise ConfigError("simclr needs an augmentation to make two views of each image.")
        args = (batch.x, batch.low, batch.high, batch.boxes)
        views = torch.cat([self.augment(*args), self.augment(*args)])  # [2N, C, s, s]
        z1, z2 = self.projector(self.encoder(views)).chunk(2)  # [N, out_dim] each
        loss = nt_xent(z1, z2, self.cfg.temperature)
        return loss, {"accuracy": partner_accuracy(z1.detach(), z2.detach())}


def partner_accuracy(z1: Tensor, z2: Tensor) -> Tensor:
    """Share of the 2N views whose most similar other view is their partner. z1, z2: [N, D]."""
    z = F.normalize(torch.cat([z1, z2]).float(), dim=1)
    n = z1.shape[0]
    sim = (z @ z.T).fill_diagonal_(float("-inf"))
    partner = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return (sim.argmax(dim=1) == partner).float().mean()
