"""Training batches of cached time series: padded, with missing-value masks, per rank.

Series keep their own length; a batch is padded to its longest member (padding is
"not observed", like a missing value). Recordings longer than ``max_length`` are cut to
a random window of that many steps, drawn anew each epoch from (seed, epoch), so runs
stay reproducible and resumable; only the window is read from the cache. With
``sections`` (pretraining) such a recording is ceil(T / max_length) instances, one window
from each of its sections per epoch (series_sections.py); without (fine-tuning: one label
per series), one instance and one window. Series with fewer channels than the dataset's
widest get the missing channels as unobserved.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.utils.data import DistributedSampler

from ssl_studio.core.data.cache import CacheReader
from ssl_studio.core.data.loaders import IndexRange
from ssl_studio.core.data.series_sections import Sections, window
from ssl_studio.core.engine.distributed import World


@dataclass
class SeriesBatch:
    """x: [N, C, T] float32 (0 where missing or padding); observed: [N, C, T] bool;
    lengths: [N] true lengths (after cropping); index: [N] positions in the item list (of
    the series each window is from)."""

    x: torch.Tensor
    observed: torch.Tensor
    lengths: torch.Tensor
    index: torch.Tensor

    def to(self, device: torch.device) -> SeriesBatch:
        move = {"device": device, "non_blocking": device.type == "cuda"}
        return SeriesBatch(
            self.x.to(**move),
            self.observed.to(**move),
            self.lengths.to(**move),
            self.index.to(**move),
        )

    def __len__(self) -> int:
        return self.x.shape[0]


STATISTICS_CHUNK = 1_000_000  # steps of a series summed at once (memory: 8 bytes x C x this)


def channel_statistics(
    items: Sequence[Mapping[str, Any]],
    reader: CacheReader,
    channels: int,
    *,
    max_items: int = 4000,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Each channel's mean and standard deviation over the observed values of ``items``
    (a seeded sample of ``max_items`` of them when there are more): (mean [C], std [C])
    float32. A channel never observed gets (0, 1); a constant one gets std 1. Long
    recordings are read STATISTICS_CHUNK steps at a time."""
    chosen = list(items)
    if len(chosen) > max_items:
        picks = np.random.default_rng(seed).choice(len(chosen), max_items, replace=False)
        chosen = [chosen[i] for i in sorted(picks)]
    count = np.zeros(channels)
    total = np.zeros(channels)
    squares = np.zeros(channels)
    for item in chosen:
        length = int(item["length"])
        for start in range(0, max(length, 1), STATISTICS_CHUNK):  # a 24 h recording:
            values, mask = reader.series_window(  # a piece at a time, not 10 GB at once
                item, start, min(length, start + STATISTICS_CHUNK)
            )
            c = values.shape[0]
            kept = np.where(mask, values.astype(np.float64), 0.0)
            count[:c] += mask.sum(1)
            total[:c] += kept.sum(1)
            squares[:c] += (kept * kept).sum(1)
    mean = total / np.maximum(count, 1)
    std = np.sqrt(np.maximum(squares / np.maximum(count, 1) - mean * mean, 0.0))
    flat = (count < 2) | (std <= 1e-6 * (1 + np.abs(mean)))
    return mean.astype(np.float32), np.where(flat, 1.0, std).astype(np.float32)


STEPS_AT_ONCE = 65_536  # series steps (count x length) evaluated at once: bounds memory


def same_length_groups(
    lengths: Sequence[int], max_items: int, max_steps: int | None = None
) -> Iterator[list[int]]:
    """Indices into ``lengths`` in groups of one length (shortest first), each of at most
    ``max_items`` series and ``max_steps`` steps in all (a longer series goes alone;
    default STEPS_AT_ONCE).

    Evaluation never pads: padding changes what a convolutional encoder computes near a
    series' end, so an answer would depend on which series shared its batch (predict reads
    one shape at a time, too); and a fixed number of series at a time grew memory with
    their length (20 recordings of 200 000 steps needed 28 GB)."""
    max_steps = max_steps or STEPS_AT_ONCE
    group: list[int] = []
    for index in sorted(range(len(lengths)), key=lambda i: int(lengths[i])):
        length = int(lengths[index])
        if group and (
            length != int(lengths[group[0]])
            or len(group) >= max_items
            or (len(group) + 1) * length > max_steps
        ):
            yield group
            group = []
        group.append(index)
    if group:
        yield group


def pad_series(
    series: Sequence[tuple[np.ndarray, np.ndarray]], channels: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """[(values [C_i, T_i], mask [C_i, T_i])] -> (x [N, C, T], observed [N, C, T], lengths [N])."""
    longest = max(v.shape[1] for v, _ in series)
    x = np.zeros((len(series), channels, longest), np.float32)
    observed = np.zeros((len(series), channels, longest), bool)
    for i, (values, mask) in enumerate(series):
        c, t = values.shape
        x[i, :c, :t] = values
        observed[i, :c, :t] = mask
    return x, observed, np.array([v.shape[1] for v, _ in series], np.int64)


class SeriesBatches:
    """Batches of cached series for one rank; ``epoch(e, start)`` yields them in order.

    The sampler shuffles and shards instances: the series, or with ``sections`` their
    sections (``self.sections``), so each rank gets its share of a long recording."""

    def __init__(
        self,
        items: Sequence[Mapping[str, Any]],
        reader: CacheReader,
        *,
        batch_size: int,
        channels: int,
        max_length: int = 3000,
        seed: int = 0,
        world: World | None = None,
        shuffle: bool = True,
        sections: bool = False,
    ) -> None:
        world = world or World()
        self.items = list(items)
        self.sections = Sections.of(
            [int(i["length"]) for i in self.items], max_length if sections else None
        )
        if len(self.sections) < batch_size * world.size:
            what = f"{len(self.items)} series"
            if len(self.sections) > len(self.items):
                what += f" ({len(self.sections)} sections of {max_length} steps)"
            raise ValueError(
                f"{what} cannot fill one batch of {batch_size} on each of {world.size} processes"
            )
        self.reader = reader
        self.batch_size = batch_size
        self.channels = channels
        self.max_length = max_length
        self.seed = seed
        self.sampler = DistributedSampler(
            IndexRange(len(self.sections)),  # type: ignore[arg-type]
            num_replicas=world.size,
            rank=world.rank,
            shuffle=shuffle,
            seed=seed,
            drop_last=True,
        )

    def __len__(self) -> int:
        return self.sampler.num_samples // self.batch_size

    def read(self, positions: Sequence[int], epoch: int = 0) -> SeriesBatch:
        """The windows of the instances at ``positions`` (series, or sections with
        ``sections``): a series that fits is read whole; a longer one only in its window,
        chosen by (seed, epoch, position) within the instance's section."""
        series, owners = [], []
        for p in positions:
            owner = int(self.sections.owner[p])
            item = self.items[owner]
            length = int(item["length"])
            if length <= self.max_length:
                series.append(self.reader.series(item))
            else:
                rng = np.random.default_rng((self.seed, epoch, int(p)))
                part, parts = int(self.sections.part[p]), int(self.sections.parts[owner])
                start, stop = window(length, self.max_length, part, parts, rng)
                series.append(self.reader.series_window(item, start, stop))
            owners.append(owner)
        x, observed, lengths = pad_series(series, self.channels)
        return SeriesBatch(
            torch.from_numpy(x),
            torch.from_numpy(observed),
            torch.from_numpy(lengths),
            torch.as_tensor(np.asarray(owners, np.int64)),
        )

    def epoch(self, epoch: int, skip: int = 0) -> Iterator[SeriesBatch]:
        """The batches of ``epoch``, its first ``skip`` samples left out (trained already;
        any number, not only whole batches)."""
        self.sampler.set_epoch(epoch)
        order = list(iter(self.sampler))[skip:]
        for b in range(len(order) // self.batch_size):
            yield self.read(order[b * self.batch_size : (b + 1) * self.batch_size], epoch)

    def close(self) -> None:
        """Nothing to release (series are small); here for the loaders' common interface."""
