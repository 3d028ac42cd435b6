"""Patches and random masking for masked image modelling (MAE), as pure functions.

Patches are numbered row by row over the ``h x w`` patch grid, exactly as a ViT's
``conv_proj(x).flatten(2)`` numbers them, and each patch is flattened as ``(row, column,
channel)``: ``P = p * p * C`` values per patch.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch


def patchify(x: torch.Tensor, patch_size: int) -> torch.Tensor:
    """Cut images into flattened patches: x: [N, C, H, W] -> [N, L, p * p * C].

    H and W must be multiples of ``patch_size``; L = (H / p) * (W / p), row by row.
    """
    n, c, height, width = x.shape
    p = patch_size
    if height % p or width % p:
        raise ValueError(f"Image size {height}x{width} is not a multiple of patch size {p}.")
    h, w = height // p, width // p
    x = x.reshape(n, c, h, p, w, p).permute(0, 2, 4, 3, 5, 1)  # [N, h, w, p, p, C]
    return x.reshape(n, h * w, p * p * c)


def unpatchify(patches: torch.Tensor, patch_size: int, channels: int) -> torch.Tensor:
    """The inverse of ``patchify`` for square images: [N, L, p * p * C] -> [N, C, H, H]."""
    n, length, _ = patches.shape
    p = patch_size
    h = math.isqrt(length)
    if h * h != length:
        raise ValueError(f"{length} patches do not form a square grid.")
    x = patches.reshape(n, h, h, p, p, channels).permute(0, 5, 1, 3, 2, 4)  # [N, C, h, p, w, p]
    return x.reshape(n, channels, h * p, h * p)


def num_visible(num_patches: int, mask_ratio: float) -> int:
    """How many of ``num_patches`` stay visible: ``round(L * (1 - mask_ratio))``."""
    return round(num_patches * (1.0 - mask_ratio))


class Masking(NamedTuple):
    """One draw of random masking for a batch.

    keep: [N, K] indices of the visible patches (in random order); restore: [N, L] the
    permutation that puts ``[visible..., masked...]`` tokens back into patch order;
    mask: [N, L] float, 1 where the patch is hidden, 0 where it is visible.
    """

    keep: torch.Tensor
    restore: torch.Tensor
    mask: torch.Tensor


def random_masking(
    batch: int,
    num_patches: int,
    visible: int,
    *,
    device: torch.device | str = "cpu",
    generator: torch.Generator | None = None,
) -> Masking:
    """Hide all but ``visible`` patches of each of ``batch`` samples, uniformly at random.

    Every sample keeps exactly ``visible`` patches (so visible tokens stack into one
    [N, K, D] tensor); which ones is drawn independently per sample.
    """
    if not 0 <= visible <= num_patches:
        raise ValueError(f"Cannot keep {visible} of {num_patches} patches.")
    noise = torch.rand(batch, num_patches, device=device, generator=generator)
    shuffle = noise.argsort(dim=1)  # [N, L]: visible patches first
    restore = shuffle.argsort(dim=1)
    mask = torch.ones(batch, num_patches, device=device)
    mask[:, :visible] = 0
    mask = mask.gather(1, restore)  # back into patch order
    return Masking(shuffle[:, :visible], restore, mask)


def gather_tokens(tokens: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Pick tokens per sample: tokens: [N, L, D], index: [N, K] -> [N, K, D]."""
    return tokens.gather(1, index.unsqueeze(-1).expand(-1, -1, tokens.shape[-1]))
