"""Training batches straight from the image cache, sharded per rank, read ahead.

Each epoch's order comes from a DistributedSampler seeded with (seed, epoch), so a
run that resumes at step k of an epoch sees exactly the batches it would have seen,
and under torchrun every rank gets its own shard. The next batch is read from the
memory-mapped cache in a background thread while the current one trains.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.utils.data import DistributedSampler

from ssl_studio.core.data.cache import CacheReader
from ssl_studio.core.engine.distributed import World


@dataclass
class ImageBatch:
    """A batch in real units with what augmentation needs.

    x: [N, C, S, S] float32; low, high: [N] display range (the item's window);
    boxes: [N, 4] content box (x0, y0, x1, y1) in cache pixels; index: [N] positions
    of the items in the loader's item list.
    """

    x: torch.Tensor
    low: torch.Tensor
    high: torch.Tensor
    boxes: torch.Tensor
    index: torch.Tensor
    # when x holds the cache's stored integers: real = x * scale + offset, to `channels`
    scale: torch.Tensor | None = None
    offset: torch.Tensor | None = None
    channels: int | None = None

    def to(self, device: torch.device) -> ImageBatch:
        """The batch on ``device`` in real units (stored integers are converted there, so
        only a quarter of the bytes cross to a GPU and the CPU does not do the arithmetic)."""
        move = {"device": device, "non_blocking": device.type == "cuda"}
        x = self.x.to(**move)
        if self.scale is not None:
            x = x.float() * self.scale.to(**move)[:, None, None, None]
            x += self.offset.to(**move)[:, None, None, None]
            if x.shape[1] != self.channels:
                x = (
                    x.expand(-1, self.channels, -1, -1)
                    if x.shape[1] == 1
                    else x.mean(dim=1, keepdim=True)
                )
        return ImageBatch(
            x,
            self.low.to(**move),
            self.high.to(**move),
            self.boxes.to(**move),
            self.index.to(**move),
        )

    def __len__(self) -> int:
        return self.x.shape[0]


def item_ranges(items: Sequence[Mapping[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Each item's display range in real units: its window (from the DICOM tags, or the
    robust 0.5-99.5 % range when the file gives none). Returns (low [N], high [N])."""
    centre = np.array([i["window_center"] for i in items], np.float64)
    width = np.maximum(np.array([i["window_width"] for i in items], np.float64), 1e-6)
    return (centre - width / 2).astype(np.float32), (centre + width / 2).astype(np.float32)


class IndexRange:
    """What DistributedSampler needs of a dataset: its length."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n


class ImageBatches:
    """Batches of cached images for one rank; ``epoch(e, start)`` yields them in order."""

    def __init__(
        self,
        items: Sequence[Mapping[str, Any]],
        reader: CacheReader,
        *,
        batch_size: int,
        channels: int,
        seed: int = 0,
        world: World | None = None,
        shuffle: bool = True,
        pin_memory: bool = False,
    ) -> None:
        world = world or World()
        self.pin_memory = pin_memory  # page-locked batches copy to a GPU asynchronously
        if len(items) < batch_size * world.size:
            raise ValueError(
                f"{len(items)} items cannot fill one batch of {batch_size} on each of "
                f"{world.size} processes"
            )
        self.items = list(items)
        self.reader = reader
        self.batch_size = batch_size
        self.channels = channels
        self.low, self.high = item_ranges(self.items)
        self.boxes = np.array(
            [[i["box_x0"], i["box_y0"], i["box_x1"], i["box_y1"]] for i in self.items],
            np.float32,
        )
        self.sampler = DistributedSampler(
            IndexRange(len(self.items)),  # type: ignore[arg-type]
            num_replicas=world.size,
            rank=world.rank,
            shuffle=shuffle,
            seed=seed,
            drop_last=True,
        )
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="cache-reader")

    def __len__(self) -> int:
        """Batches per epoch on this rank."""
        return self.sampler.num_samples // self.batch_size

    def read(self, positions: Sequence[int]) -> ImageBatch:
        """The items at ``positions`` as a batch (reads the cache)."""
        picks = np.asarray(positions)
        chosen = [self.items[p] for p in picks]
        ranges = (
            torch.from_numpy(self.low[picks]),
            torch.from_numpy(self.high[picks]),
            torch.from_numpy(self.boxes[picks]),
            torch.from_numpy(picks.astype(np.int64)),
        )
        if len({int(item["channels"]) for item in chosen}) == 1:
            stored, scale, offset = self.reader.stored_images(chosen)
            x = torch.from_numpy(stored)
            return ImageBatch(
                x.pin_memory() if self.pin_memory else x,
                *ranges,
                torch.from_numpy(scale),
                torch.from_numpy(offset),
                self.channels,
            )
        x = self.reader.images(chosen, channels=self.channels)
        return ImageBatch(torch.from_numpy(x), *ranges)

    def epoch(self, epoch: int, skip: int = 0) -> Iterator[ImageBatch]:
        """The batches of ``epoch``, its first ``skip`` samples left out (trained already;
        any number, not only whole batches), reading one batch ahead."""
        self.sampler.set_epoch(epoch)
        order = list(iter(self.sampler))[skip:]
        size = self.batch_size
        chunks = [order[b * size : (b + 1) * size] for b in range(len(order) // size)]
        pending: Future | None = self._pool.submit(self.read, chunks[0]) if chunks else None
        for n in range(len(chunks)):
            batch = pending.result()  # type: ignore[union-attr]
            pending = self._pool.submit(self.read, chunks[n + 1]) if n + 1 < len(chunks) else None
            yield batch

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
