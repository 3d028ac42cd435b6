"""Embeddings of cached items with a trained encoder (the evaluation view, no augmentation)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from ssl_studio.core.data.cache import CacheReader
from ssl_studio.core.data.loaders import item_ranges
from ssl_studio.core.events import StopToken
from ssl_studio.core.transforms.image_augment import center_view

# called after each batch with (items embedded so far, items in all)
EmbedProgress = Callable[[int, int], None]


def _before_batch(stop: StopToken | None) -> None:
    if stop is not None:
        stop.check()


def _after_batch(progress: EmbedProgress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


def evaluation_views(
    items: Sequence[Mapping[str, Any]], reader: CacheReader, channels: int, image_size: int
) -> torch.Tensor:
    """The standardized evaluation view of each item: [N, channels, image_size, image_size]."""
    x = torch.from_numpy(reader.images(items, channels=channels))
    low, high = (torch.from_numpy(a) for a in item_ranges(items))
    boxes = torch.from_numpy(
        np.array([[i["box_x0"], i["box_y0"], i["box_x1"], i["box_y1"]] for i in items], np.float32)
    )
    return center_view(x, low, high, boxes, image_size)


@torch.no_grad()
def embed_images(
    encoder: nn.Module,
    items: Sequence[Mapping[str, Any]],
    reader: CacheReader,
    *,
    channels: int,
    image_size: int,
    device: torch.device,
    batch_size: int = 256,
    stop: StopToken | None = None,
    progress: EmbedProgress | None = None,
) -> torch.Tensor:
    """One vector per item: [N, D] on the CPU (encoder in eval mode, restored after).
    Before each batch it honours ``stop`` (raises events.Stopped); after, it reports
    ``progress``."""
    was_training = encoder.training
    encoder.eval()
    parts = []
    try:
        for start in range(0, len(items), batch_size):
            _before_batch(stop)
            chunk = items[start : start + batch_size]
            views = evaluation_views(chunk, reader, channels, image_size).to(device)
            parts.append(encoder(views).float().cpu())
            _after_batch(progress, start + len(chunk), len(items))
    finally:
        encoder.train(was_training)
    return torch.cat(parts)


@torch.no_grad()
def embed_series(
    encoder: nn.Module,
    items: Sequence[Mapping[str, Any]],
    reader: CacheReader,
    *,
    channels: int,
    device: torch.device,
    batch_size: int = 64,
    per_timestep: bool = False,
    stop: StopToken | None = None,
    progress: EmbedProgress | None = None,
) -> torch.Tensor | list[torch.Tensor]:
    """Whole-series representations: [N, D] (max-pooled over observed steps), or with
    ``per_timestep`` a list of [T_i, D] per series. The encoder is in eval mode. Before
    each batch it honours ``stop`` (raises events.Stopped); after, it reports ``progress``."""
    from ssl_studio.core.data.series_batches import pad_series, same_length_groups

    was_training = encoder.training
    encoder.eval()
    out: list[torch.Tensor] = [None] * len(items)  # type: ignore[list-item]
    done = 0
    try:
        for chunk in same_length_groups([item["length"] for item in items], batch_size):
            _before_batch(stop)
            x, observed, lengths = pad_series([reader.series(items[i]) for i in chunk], channels)
            x_t = torch.from_numpy(x).to(device)
            observed_t = torch.from_numpy(observed).to(device)
            if per_timestep:
                steps = encoder.steps_whole(x_t, observed_t).float().cpu()
                found = [steps[j, : lengths[j]] for j in range(len(chunk))]
            else:
                found = list(encoder(x_t, observed_t).float().cpu())
            for i, vector in zip(chunk, found, strict=True):
                out[i] = vector
            done += len(chunk)
            _after_batch(progress, done, len(items))
    finally:
        encoder.train(was_training)
    return out if per_timestep else torch.stack(out)
