"""Training batches from the cache: order, sharding, resume position, real units."""

from __future__ import annotations

import numpy as np
import torch

from ssl_studio.core.data.cache import CacheReader, CacheWriter
from ssl_studio.core.data.loaders import ImageBatches
from ssl_studio.core.data.pixels import to_cache
from ssl_studio.core.engine.distributed import World


def cached_items(folder, n=12, sixteen_bit=4):
    """n 8x8 items, the first ``sixteen_bit`` of them 16-bit CT-like, the rest 8-bit."""
    rng = np.random.default_rng(0)
    writer, items = CacheWriter(folder), []
    for i in range(n):
        frame = (
            rng.integers(-1000, 2000, (8, 8))
            if i < sixteen_bit
            else rng.integers(0, 256, (8, 8), dtype=np.uint8)
        )
        stored, fields = to_cache(frame, size=8, eight_bit=i >= sixteen_bit)
        name, slot = writer.add_image(stored)
        items.append(
            {
                "id": i,
                "cache_file": name,
                "cache_index": slot,
                "window_center": 0.0,
                "window_width": 100.0,
                **fields,
            }
        )
    writer.close()
    return items, CacheReader(folder)


def test_batches_decode_stored_values_to_real_units_on_the_device(tmp_path):
    items, reader = cached_items(tmp_path)
    batches = ImageBatches(items, reader, batch_size=4, channels=1, shuffle=False)
    for b in range(len(batches)):
        positions = range(b * 4, (b + 1) * 4)
        raw = batches.read(positions)
        assert raw.scale is not None and raw.x.dtype in (torch.uint8, torch.uint16)
        real = raw.to(torch.device("cpu")).x
        expected = reader.images([items[p] for p in positions], channels=1)
        torch.testing.assert_close(real, torch.from_numpy(expected))
    rgb = ImageBatches(items, reader, batch_size=4, channels=3, shuffle=False).read(range(4))
    assert rgb.to(torch.device("cpu")).x.shape == (4, 3, 8, 8)


def test_ranks_get_disjoint_shards_and_resume_skips_done_batches(tmp_path):
    items, reader = cached_items(tmp_path)
    seen = []
    for rank in (0, 1):
        batches = ImageBatches(
            items, reader, batch_size=3, channels=1, seed=5, world=World(rank, 2, rank)
        )
        seen.append([int(i) for b in batches.epoch(0) for i in b.index])
    assert len(seen[0]) == len(seen[1]) == 6 and not set(seen[0]) & set(seen[1])
    single = ImageBatches(items, reader, batch_size=3, channels=1, seed=5)
    order = [[int(i) for i in b.index] for b in single.epoch(2)]
    resumed = [[int(i) for i in b.index] for b in single.epoch(2, skip=2 * single.batch_size)]
    assert resumed == order[2:]
    # from any sample (an odd batch halved): the epoch's order goes on from exactly there
    single.sampler.set_epoch(2)
    every = [int(i) for i in iter(single.sampler)]
    odd = [int(i) for b in single.epoch(2, skip=4) for i in b.index]
    assert odd == every[4 : 4 + (len(every) - 4) // 3 * 3]
    assert order != [[int(i) for i in b.index] for b in single.epoch(3)]  # a new epoch order


def test_channel_statistics_use_observed_values_only(tmp_path):
    from ssl_studio.core.data.series_batches import channel_statistics

    rng = np.random.default_rng(0)
    series = [rng.normal([[5.0], [-200.0], [7.0]], [[2.0], [30.0], [0.0]], (3, t)) for t in (9, 30)]
    series[0][0, :4] = np.nan  # missing values
    series.append(rng.normal(5.0, 2.0, (1, 12)))  # a series with fewer channels
    writer = CacheWriter(tmp_path)
    items = []
    for values in series:
        name, offset = writer.add_series(values.astype(np.float32))
        items.append({"cache_file": name, "cache_index": offset, "channels": len(values),
                      "length": values.shape[1]})  # fmt: skip
    writer.close()
    mean, std = channel_statistics(items, CacheReader(tmp_path), 4)
    for c in range(2):
        seen = np.concatenate([v[c][~np.isnan(v[c])] for v in series if c < len(v)])
        np.testing.assert_allclose([mean[c], std[c]], [seen.mean(), seen.std()], rtol=1e-5)
    assert (mean[2], std[2]) == (np.float32(7.0), 1.0)  # constant: not divided by ~0
    assert (mean[3], std[3]) == (0.0, 1.0)  # never observed
