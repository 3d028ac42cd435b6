"""A Vision Transformer encoder split into ``embed`` and ``encode``, so MAE can drop patches.

The parameters are torchvision's own ``VisionTransformer`` modules (``conv_proj``,
``class_token``, ``encoder.pos_embedding``, ``encoder.layers``, ``encoder.ln``) with their
initialisation kept; only the classification head is dropped. Parameter names therefore
match torchvision's, without ``heads.*``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn
from torchvision.models.vision_transformer import VisionTransformer

from ssl_studio.core.errors import ConfigError


class ViTSize(NamedTuple):
    """Width, depth, attention heads and MLP width of one ViT variant."""

    dim: int
    depth: int
    heads: int
    mlp_dim: int


VIT_SIZES: dict[str, ViTSize] = {
    "vit-tiny": ViTSize(dim=192, depth=12, heads=3, mlp_dim=768),
    "vit-small": ViTSize(dim=384, depth=12, heads=6, mlp_dim=1536),
}


def default_patch_size(image_size: int) -> int:
    """16 px patches for images of 128 px and more, 8 px from 48 px, else 4 px."""
    if image_size >= 128:
        return 16
    if image_size >= 48:
        return 8
    return 4


class ViTEncoder(nn.Module):
    """A ViT whose ``forward(x: [N, C, H, W]) -> [N, dim]`` is the class-token output.

    ``embed`` and ``encode`` split the forward pass so that a subset of the patch tokens
    (MAE's visible patches) can be encoded; patches are numbered row-major over the
    ``grid_size`` x ``grid_size`` grid, ``num_patches = grid_size ** 2``.
    """

    def __init__(
        self,
        size: ViTSize,
        *,
        in_channels: int,
        image_size: int,
        patch_size: int | None = None,
        name: str = "vit",
    ) -> None:
        super().__init__()
        patch = default_patch_size(image_size) if patch_size is None else patch_size
        _check_patches(name, image_size, patch)
        vit = VisionTransformer(
            image_size=image_size,
            patch_size=patch,
            num_layers=size.depth,
            num_heads=size.heads,
            hidden_dim=size.dim,
            mlp_dim=size.mlp_dim,
        )
        conv = nn.Conv2d(in_channels, size.dim, kernel_size=patch, stride=patch)
        # torchvision's own initialisation of the patchify stem, for the new channel count.
        nn.init.trunc_normal_(conv.weight, std=math.sqrt(1 / (in_channels * patch * patch)))
        nn.init.zeros_(conv.bias)
        self.conv_proj = conv
        self.class_token = vit.class_token
        self.encoder = vit.encoder
        self.in_channels = in_channels
        self.image_size = image_size
        self.patch_size = patch
        self.grid_size = image_size // patch
        self.num_patches = self.grid_size**2
        self.dim = size.dim

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Patch embeddings plus their position embeddings, no class token.

        x: [N, C, H, W] with H == W == image_size -> [N, L, D], L = num_patches.
        """
        h, w = x.shape[-2], x.shape[-1]
        if h != self.image_size or w != self.image_size:  # (written so TorchScript compiles it)
            raise ValueError(
                f"This ViT was built for {self.image_size}x{self.image_size} images, got {h}x{w}."
            )
        tokens = self.conv_proj(x).flatten(2).transpose(1, 2)
        return tokens + self.encoder.pos_embedding[:, 1:]

    def encode(self, tokens: torch.Tensor) -> torch.Tensor:
        """Prepend the class token and run the transformer blocks and the final norm.

        tokens: [N, L', D], any subset (L' <= L) of ``embed``'s output -> [N, 1 + L', D].
        """
        cls = self.class_token + self.encoder.pos_embedding[:, :1]
        x = torch.cat([cls.expand(tokens.shape[0], -1, -1), tokens], dim=1)
        return self.encoder.ln(self.encoder.layers(self.encoder.dropout(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: [N, C, H, W] -> [N, D], the class-token output of ``encode(embed(x))``."""
        return self.encode(self.embed(x))[:, 0]


def _check_patches(name: str, image_size: int, patch_size: int) -> None:
    """Raise ConfigError unless ``patch_size`` tiles ``image_size`` exactly."""
    if patch_size < 1 or patch_size > image_size:
        raise ConfigError(
            f"{name}: patch size {patch_size} must be between 1 and the image size "
            f"{image_size}; leave patch_size unset for the default."
        )
    if image_size % patch_size:
        lower = image_size // patch_size * patch_size
        raise ConfigError(
            f"{name}: image size {image_size} is not divisible by the patch size {patch_size}. "
            f"Use an image size that is a multiple of {patch_size} (e.g. {lower} or "
            f"{lower + patch_size}), or a patch size that divides {image_size}."
        )
