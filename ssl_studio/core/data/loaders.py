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

    def to(self, device: torch.device) -> ImageBatch:
        move = {"device": device, "non_blocking": device.type == "cuda"}
        return ImageBatch(
            self.x.to(**move),
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


class _Indices:
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
    ) -> None:
        world = world or World()
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
            _Indices(len(self.items)),  # type: ignore[arg-type]
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
        x = self.reader.images([self.items[p] for p in picks], channels=self.channels)
        return ImageBatch(
            torch.from_numpy(x),
            torch.from_numpy(self.low[picks]),
            torch.from_numpy(self.high[picks]),
            torch.from_numpy(self.boxes[picks]),
            torch.from_numpy(picks.astype(np.int64)),
        )

    def epoch(self, epoch: int, start: int = 0) -> Iterator[ImageBatch]:
        """The batches of ``epoch`` from batch ``start`` on, reading one batch ahead."""
        self.sampler.set_epoch(epoch)
        order = list(iter(self.sampler))
        chunks = [order[b * self.batch_size : (b + 1) * self.batch_size] for b in range(len(self))][
            start:
        ]
        pending: Future | None = self._pool.submit(self.read, chunks[0]) if chunks else None
        for n in range(len(chunks)):
            batch = pending.result()  # type: ignore[union-attr]
            pending = self._pool.submit(self.read, chunks[n + 1]) if n + 1 < len(chunks) else None
            yield batch

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
