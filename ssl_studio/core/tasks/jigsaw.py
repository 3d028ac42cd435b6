"""Jigsaw puzzles (Noroozi & Favaro 2016): which of a fixed set of tile orders was used?

A view is cut into ``grid x grid`` cells; each cell's tile is a crop of ``tile_fraction``
of the cell at a random place inside it (the gap hides the edges, so neighbouring pixels
do not give the order away), resized back to the cell. The tiles are laid out again in an
order drawn per sample from a fixed set of maximally different orders, and the encoder's
features of the whole reassembled image are classified by a linear head into that order's
index. Crop, resize and reassembly are one batched bilinear ``grid_sample``. With
``augment_aware`` > 0 each image gives two views (two puzzles, so a step costs twice the
encoder work), and a head also predicts how the two views' augmentation draws differ from
their puzzles' features (``augment_aware.py``), weighted by it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from itertools import permutations as all_orders
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ssl_studio.core.config import option
from ssl_studio.core.errors import ConfigError
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

PERMUTATION_SEED = 2016  # fixed: the set must be the same in every run and process
EXHAUSTIVE_MAX_TILES = 8  # up to this many tiles, choose among all tiles! orders
POOL_SIZE = 100_000  # else among this many random orders


@dataclass
class JigsawConfig:
    """Options of the jigsaw task; the defaults follow the paper (3 x 3 tiles)."""

    grid: int = option(3, "Tiles per side: each image is cut into grid x grid tiles.")
    permutations: int = option(64, "How many different tile orders the model tells apart.")
    tile_fraction: float = option(
        0.85, "Side of each tile as a share of its cell; the rest is a gap hiding the edges."
    )
    jitter: bool = option(True, "Cut each tile at a random place in its cell (else centred).")
    augment_aware: float = aware_option(two_views_needed=True)
    before_it_existed: ClassVar[dict[str, Any]] = BEFORE_IT_EXISTED

    def validate(self) -> None:
        """Raise ConfigError, with a message a user can act on, when a value is out of range."""
        if not 2 <= self.grid <= 6:
            raise ConfigError(
                f"jigsaw: grid must be between 2 and 6 tiles per side, not {self.grid}."
            )
        most = min(math.factorial(self.grid**2), POOL_SIZE)
        if not 2 <= self.permutations <= most:
            raise ConfigError(
                f"jigsaw: permutations must be between 2 and {most} for a {self.grid} x "
                f"{self.grid} grid, not {self.permutations}."
            )
        if not 0 < self.tile_fraction <= 1:
            raise ConfigError(
                f"jigsaw: tile_fraction must be in (0, 1], not {self.tile_fraction} (e.g. 0.85)."
            )
        check_weight("jigsaw", self.augment_aware)


@lru_cache(maxsize=8)
def permutation_set(tiles: int, count: int, seed: int = PERMUTATION_SEED) -> np.ndarray:
    """``count`` orders of ``tiles`` tiles, far apart in Hamming distance: [count, tiles].

    Greedy selection: start from the identity order and repeatedly add the candidate whose
    smallest Hamming distance (number of places that differ) to the orders chosen so far is
    largest, ties going to the first candidate. Candidates are all tiles! orders up to
    ``EXHAUSTIVE_MAX_TILES`` tiles, else ``POOL_SIZE`` random orders drawn with ``seed``.
    Deterministic, and cached; the returned array is read-only.
    """
    if tiles <= EXHAUSTIVE_MAX_TILES:
        pool = np.array(list(all_orders(range(tiles))), dtype=np.int8)
    else:
        rng = np.random.default_rng(seed)
        pool = rng.random((POOL_SIZE, tiles)).argsort(axis=1).astype(np.int8)
        pool = np.unique(pool, axis=0)
    if count > len(pool):
        raise ConfigError(f"jigsaw: only {len(pool)} orders are available, not {count}.")
    chosen = [np.arange(tiles, dtype=np.int8)]
    nearest = (pool != chosen[0]).sum(axis=1)  # each candidate's distance to the chosen set
    for _ in range(count - 1):
        best = pool[int(nearest.argmax())]
        chosen.append(best)
        nearest = np.minimum(nearest, (pool != best).sum(axis=1))
    out = np.stack(chosen).astype(np.int64)
    out.flags.writeable = False
    return out


def shuffle_tiles(
    x: torch.Tensor, order: torch.Tensor, grid: int, tile_fraction: float, offsets: torch.Tensor
) -> torch.Tensor:
    """Reassemble each image from its tiles in a new order: x: [N, C, S, S] -> [N, C, S, S].

    order: [N, T] long, T = grid * grid: output cell j (row by row) shows the tile of input
    cell ``order[n, j]``. offsets: [N, T, 2] in [0, 1], the (x, y) place of each output
    cell's tile crop inside its source cell (0.5: centred). Bilinear taps only read pixels
    wholly inside the source cell, so neighbouring cells never bleed in.
    """
    n, _, height, width = x.shape
    device = x.device
    ys = (torch.arange(height, device=device) + 0.5) * grid / height  # cell units
    xs = (torch.arange(width, device=device) + 0.5) * grid / width
    row, col = ys.long().clamp(max=grid - 1), xs.long().clamp(max=grid - 1)
    cell = row[:, None] * grid + col[None, :]  # [S, S] output cell of each pixel
    source = order[:, cell]  # [N, S, S] source cell of each output pixel
    place = offsets[:, cell]  # [N, S, S, 2]
    gap = 1.0 - tile_fraction
    within_x = gap * place[..., 0] + tile_fraction * (xs - col)[None, None, :]
    within_y = gap * place[..., 1] + tile_fraction * (ys - row)[None, :, None]
    u = _inside_cell(source % grid + within_x, source % grid, grid, width)
    v = _inside_cell(source // grid + within_y, source // grid, grid, height)
    coords = torch.stack([u, v], dim=-1)  # [N, S, S, 2] in [-1, 1]
    return F.grid_sample(
        x, coords.to(x.dtype), mode="bilinear", padding_mode="border", align_corners=False
    )


def _inside_cell(pos: torch.Tensor, cell: torch.Tensor, grid: int, size: int) -> torch.Tensor:
    """Sample positions (cell units) -> normalised [-1, 1] coordinates, clamped so that
    bilinear sampling reads only pixels lying wholly inside the source cell ``cell``."""
    pixels = pos * (size / grid)
    first = torch.ceil(cell * size / grid)  # the cell's first whole pixel
    end = torch.floor((cell + 1) * size / grid)  # one past its last whole pixel
    pixels = torch.minimum(torch.maximum(pixels, first + 0.5), end - 0.5)
    return pixels * (2.0 / size) - 1.0


class Jigsaw(PretextTask):
    """Jigsaw-puzzle classification on any image backbone, with a linear head."""

    name = "jigsaw"
    modalities = ("image",)
    Config = JigsawConfig
    summary = "Solve a jigsaw puzzle: find the order in which the image's tiles were shuffled."
    explanation = (
        "Each image is cut into a grid of tiles (3 x 3 by default) that are laid out again in "
        "a shuffled order, chosen from a fixed list of orders, and the model must say which "
        "order was used. To solve the puzzle it has to recognise each piece of anatomy and "
        "know where it normally sits relative to the others. Small gaps and random shifts "
        "between the tiles stop it from cheating by simply matching the tiles' edges. Each "
        "image is shown as two altered copies, and the model must also tell how they differ "
        "in framing, brightness and contrast, so its description keeps the overall density "
        "and haze that can be findings themselves."
    )

    def __init__(
        self, cfg: JigsawConfig, backbone: Backbone, augment: nn.Module | None = None
    ) -> None:
        cfg.validate()
        super().__init__(cfg, backbone, augment)
        perms = permutation_set(cfg.grid**2, cfg.permutations)
        self.register_buffer("perms", torch.from_numpy(perms.copy()))  # [P, T]
        self.head = nn.Linear(self.dim, cfg.permutations)
        self.aware = aware_head(cfg, self.dim, augment)

    def make_puzzles(self, view: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Shuffle each view's tiles by a random order of the set: [N, C, S, S] ->
        (puzzles [N, C, S, S], labels [N], the index in ``perms`` of the order used)."""
        n, device = view.shape[0], view.device
        labels = torch.randint(len(self.perms), (n,), device=device)
        tiles = self.cfg.grid**2
        if self.cfg.jitter:
            offsets = torch.rand(n, tiles, 2, device=device)
        else:
            offsets = torch.full((n, tiles, 2), 0.5, device=device)
        puzzles = shuffle_tiles(
            view, self.perms[labels], self.cfg.grid, self.cfg.tile_fraction, offsets
        )
        return puzzles, labels

    def training_step(self, batch: ImageBatch) -> tuple[torch.Tensor, dict[str, float]]:
        """Cross-entropy of the order index of one augmented view of batch.x [N, C, S, S]
        (with ``augment_aware``: of two views, [2N], plus the weighted augment-aware loss of
        each image's pair); logs accuracy (and the augment-aware error)."""
        view, draws = single_task_views(self.augment, batch, self.aware is not None)
        puzzles, labels = self.make_puzzles(view)
        h = self.encoder(puzzles)
        logits = self.head(h)
        loss = F.cross_entropy(logits, labels)
        logs = {"accuracy": (logits.argmax(dim=1) == labels).float().mean().detach()}
        if self.aware is not None:
            aware = self.aware.loss(*h.chunk(2), *draws)
            loss = loss + self.cfg.augment_aware * aware
            logs["augment_error"] = aware.detach()
        return loss, logs
