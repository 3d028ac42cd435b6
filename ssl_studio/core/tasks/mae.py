"""MAE (He et al. 2022): hide most patches of a view and redraw their pixels.

The ViT encoder sees only the visible patches; a light transformer decoder gets their
encodings back in patch order with a shared learned mask token in every hidden place,
plus fixed 2-D sine-cosine position embeddings, and predicts each patch's pixels. The loss
is the mean squared error over the hidden patches only.

Nothing in that loss needs the class token, which is what the encoder hands on (the
embedding map, the kNN gauge, fine-tuning): the decoder redraws hidden patches from the
visible patches' tokens. On the demo chest X-rays the class token of plain MAE stayed
nearly one vector for every image, and its kNN accuracy fell below the random encoder's.
So by default the class token must also predict a coarse picture of the whole view, each
patch's mean, hidden patches included (``thumbnail``): a masked-prediction target at the
scale of the image, which makes it sum the image up (README, Benchmarks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ssl_studio.core.config import option
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.models.backbones import Backbone
from ssl_studio.core.models.vit import ViTEncoder
from ssl_studio.core.tasks.base import PretextTask
from ssl_studio.core.tasks.losses import masked_mse
from ssl_studio.core.tasks.masking import gather_tokens, num_visible, patchify, random_masking

if TYPE_CHECKING:
    from ssl_studio.core.data.loaders import ImageBatch


@dataclass
class MAEConfig:
    """Options of MAE; the defaults follow the paper, with a smaller decoder."""

    mask_ratio: float = option(0.75, "Share of the image patches hidden from the encoder.")
    decoder_dim: int = option(128, "Width of the light decoder that redraws hidden patches.")
    decoder_depth: int = option(2, "Transformer blocks in the decoder.")
    decoder_heads: int = option(4, "Attention heads in each decoder block.")
    norm_pix_loss: bool = option(
        True, "Redraw each patch relative to its own mean and contrast (sharper features)."
    )
    thumbnail: float = option(
        1.0,
        "Weight of a second target: the class token predicts each patch's mean brightness, "
        "hidden ones too, so that it sums up the image (0: MAE as published).",
    )
    # runs recorded before the option existed trained without it
    before_it_existed: ClassVar[dict[str, Any]] = {"thumbnail": 0.0}

    def validate(self) -> None:
        """Raise ConfigError, with a message a user can act on, when a value is out of range."""
        if not 0 < self.mask_ratio < 1:
            raise ConfigError(f"mae: mask_ratio must be between 0 and 1, not {self.mask_ratio}.")
        if not 0 <= self.thumbnail < float("inf"):
            raise ConfigError(
                f"mae: thumbnail must be 0 (off) or a positive weight, not {self.thumbnail}."
            )
        if self.decoder_depth < 1 or self.decoder_heads < 1:
            raise ConfigError("mae: decoder_depth and decoder_heads must be at least 1.")
        if self.decoder_dim < 4 or self.decoder_dim % 4 or self.decoder_dim % self.decoder_heads:
            raise ConfigError(
                f"mae: decoder_dim {self.decoder_dim} must be a multiple of 4 and of "
                f"decoder_heads ({self.decoder_heads}), e.g. 128."
            )


def sincos_position_embedding(grid: int, dim: int) -> torch.Tensor:
    """Fixed 2-D sine-cosine embeddings of a ``grid x grid`` patch grid: [grid * grid, dim].

    A quarter of the channels each: sin and cos of the column, sin and cos of the row, at
    geometrically spaced frequencies (MAE's recipe). Patches are numbered row by row.
    """
    quarter = dim // 4
    freq = 1.0 / 10000 ** (torch.arange(quarter, dtype=torch.float64) / quarter)
    pos = torch.arange(grid, dtype=torch.float64)
    rows, cols = torch.meshgrid(pos, pos, indexing="ij")
    parts = []
    for coord in (cols.flatten(), rows.flatten()):
        angle = coord[:, None] * freq[None, :]  # [L, dim / 4]
        parts += [angle.sin(), angle.cos()]
    return torch.cat(parts, dim=1).float()


def normalize_patches(target: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Each patch minus its mean, over its standard deviation: [N, L, P] -> [N, L, P]."""
    mean = target.mean(dim=-1, keepdim=True)
    var = target.var(dim=-1, keepdim=True)
    return (target - mean) / (var + eps).sqrt()


class MAE(PretextTask):
    """Masked autoencoder on a ViT backbone; ``embed`` is the encoder's class token."""

    name = "mae"
    modalities = ("image",)
    backbones = ("vit-tiny", "vit-small")
    compiled_methods = ("embed", "encode")  # the encoder sees only the visible patches
    Config = MAEConfig
    summary = "Masked autoencoder: hide most image patches and redraw them (ViT backbones)."
    explanation = (
        "The image is cut into small square patches and most of them (75 % by default) are "
        "hidden at random. The model sees only the remaining patches and must redraw the "
        "hidden ones pixel by pixel. To fill in a missing piece of a lung field or a vertebra "
        "it has to learn what anatomy usually looks like and how its parts fit together. "
        "It also sketches the whole image, coarsely, from the patches it sees, so that "
        "its summary of an image keeps the overall density and haze. "
    ) + "It needs a vision-transformer backbone (vit-tiny or vit-small)."

    def __init__(
        self, cfg: MAEConfig, backbone: Backbone, augment: nn.Module | None = None
    ) -> None:
        if not isinstance(backbone.module, ViTEncoder):
            raise ConfigError(
                f"MAE needs a vision-transformer backbone, not {backbone.name}: "
                "choose vit-tiny or vit-small."
            )
        cfg.validate()
        super().__init__(cfg, backbone, augment)
        enc: ViTEncoder = backbone.module
        self.patch_size = enc.patch_size
        self.channels = enc.in_channels
        self.num_patches = enc.num_patches
        self.visible = num_visible(enc.num_patches, cfg.mask_ratio)
        if not 0 < self.visible < enc.num_patches:
            raise ConfigError(
                f"mae: mask_ratio {cfg.mask_ratio} leaves {self.visible} of "
                f"{enc.num_patches} patches visible; choose a ratio that hides some but not "
                "all patches, or smaller patches."
            )
        d = cfg.decoder_dim
        self.decoder_embed = nn.Linear(enc.dim, d)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, d))
        nn.init.normal_(self.mask_token, std=0.02)
        pos = torch.cat([torch.zeros(1, d), sincos_position_embedding(enc.grid_size, d)])
        self.register_buffer("decoder_pos", pos.unsqueeze(0), persistent=False)  # [1, 1+L, d]
        self.decoder = nn.Sequential(
            *(
                nn.TransformerEncoderLayer(
                    d,
                    cfg.decoder_heads,
                    dim_feedforward=4 * d,
                    dropout=0.0,
                    activation="gelu",
                    batch_first=True,
                    norm_first=True,
                )
                for _ in range(cfg.decoder_depth)
            )
        )
        self.decoder_norm = nn.LayerNorm(d)
        self.decoder_pred = nn.Linear(d, self.patch_size**2 * self.channels)
        # class token [N, D] -> each patch's mean [N, L] (None: plain MAE)
        self.thumbnail_head = (
            nn.Sequential(
                nn.Linear(enc.dim, enc.dim), nn.GELU(), nn.Linear(enc.dim, enc.num_patches)
            )
            if cfg.thumbnail > 0
            else None
        )

    def reconstruct(self, view: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Mask, encode, decode one view: [N, C, S, S] -> (pred, target, mask).

        pred, target: [N, L, p * p * C] per-patch pixels in patch order (target normalised
        per patch when ``norm_pix_loss``); mask: [N, L], 1 where the patch was hidden.
        """
        pred, target, mask, _ = self._masked_pass(view)
        return pred, target, mask

    def _masked_pass(
        self, view: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``reconstruct``'s (pred, target, mask) and the encoder's class token [N, D]."""
        target = patchify(view, self.patch_size)
        if self.cfg.norm_pix_loss:
            target = normalize_patches(target)
        tokens = self.encoder.embed(view)  # [N, L, D]
        n, length, _ = tokens.shape
        draw = random_masking(n, length, self.visible, device=view.device)
        latent = self.encoder.encode(gather_tokens(tokens, draw.keep))  # [N, 1 + K, D]
        x = self.decoder_embed(latent)  # [N, 1 + K, d]
        hidden = self.mask_token.expand(n, length - self.visible, -1)
        patches = gather_tokens(torch.cat([x[:, 1:], hidden], dim=1), draw.restore)
        x = torch.cat([x[:, :1], patches], dim=1) + self.decoder_pos  # [N, 1 + L, d]
        pred = self.decoder_pred(self.decoder_norm(self.decoder(x)))[:, 1:]
        return pred, target, draw.mask, latent[:, 0]

    def thumbnail_loss(self, view: torch.Tensor, cls: torch.Tensor) -> torch.Tensor:
        """Mean squared error of the class token's guess [N, D] -> [N, L] at each patch's
        mean over its pixels and channels (the view [N, C, S, S] as the encoder got it,
        hidden patches included)."""
        assert self.thumbnail_head is not None
        means = patchify(view, self.patch_size).mean(dim=-1)  # [N, L]
        return F.mse_loss(self.thumbnail_head(cls).float(), means.float())

    def training_step(self, batch: ImageBatch) -> tuple[torch.Tensor, dict[str, float]]:
        """Masked-patch MSE of one augmented view, plus ``thumbnail`` times the class
        token's thumbnail error; logs the fraction of patches hidden (and that error)."""
        view = (
            batch.x
            if self.augment is None
            else self.augment(batch.x, batch.low, batch.high, batch.boxes)
        )
        pred, target, mask, cls = self._masked_pass(view)
        loss = masked_mse(pred, target, mask)
        logs: dict[str, Any] = {"masked_fraction": 1.0 - self.visible / self.num_patches}
        if self.thumbnail_head is not None:
            coarse = self.thumbnail_loss(view, cls)
            loss = loss + self.cfg.thumbnail * coarse
            logs["thumbnail_loss"] = coarse.detach()  # (a tensor: no wait for the GPU)
        return loss, logs
