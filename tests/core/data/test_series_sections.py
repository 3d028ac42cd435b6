"""Long recordings as sections: counts, windows, sharding, unchanged short-series batches,
and window reads that read only the window."""

from __future__ import annotations

import numpy as np
import pytest

from ssl_studio.core.data.cache import CacheReader, CacheWriter
from ssl_studio.core.data.series_batches import SeriesBatches
from ssl_studio.core.data.series_rates import steps_text
from ssl_studio.core.data.series_sections import Sections, sections_text, window
from ssl_studio.core.engine.distributed import World


class ArrayReader:
    """A cache stand-in: series i holds i * 1000 + its step number in both channels, so a
    window's first value says which series and step it starts at."""

    def __init__(self, lengths: list[int]) -> None:
        self.arrays = [
            np.stack([np.arange(t, dtype=np.float32) + 1000 * i] * 2) for i, t in enumerate(lengths)
        ]

    def series(self, item):
        values = self.arrays[item["id"]]
        return values.copy(), np.ones(values.shape, bool)

    def series_window(self, item, start, stop):
        values, mask = self.series(item)
        return values[:, start:stop], mask[:, start:stop]


def items(lengths: list[int]) -> list[dict]:
    return [{"id": i, "length": t, "channels": 2} for i, t in enumerate(lengths)]


def batches(lengths, max_length, *, world=None, batch_size=3, sections=True, epochs=2):
    made = SeriesBatches(
        items(lengths),
        ArrayReader(lengths),
        batch_size=batch_size,
        channels=2,
        max_length=max_length,
        seed=5,
        world=world,
        sections=sections,
    )
    return made, [b for e in range(epochs) for b in made.epoch(e)]


SHORT = [20 + 3 * i for i in range(13)]  # 13 series of 20..56 steps, all within 64
# Batches (item positions) of SHORT with batch 3, seed 5, max_length 64, epochs 0 and 1,
# printed by the code of commit 579e6af (before sections: every series one instance)
BEFORE_ONE_RANK = [
    [1, 7, 2], [8, 12, 11], [0, 4, 5], [9, 3, 10], [0, 10, 9], [5, 11, 1], [12, 7, 6], [4, 8, 3],
]  # fmt: skip
BEFORE_TWO_RANKS = [
    [[1, 2, 12], [0, 5, 3], [0, 9, 11], [12, 6, 8]],
    [[7, 8, 11], [4, 9, 10], [10, 5, 1], [7, 4, 3]],
]
# the fine-tuning path (no sections) on series partly longer than 64 steps, batch 2:
# (item, first value, length) of each window, printed by 579e6af as well
MIXED = [20, 300, 40, 500, 64, 65, 90]
BEFORE_MIXED = [
    [(1, 1210.0, 64), (0, 0.0, 20)], [(4, 4000.0, 64), (2, 2000.0, 40)],
    [(6, 6021.0, 64), (5, 5000.0, 64)], [(2, 2000.0, 40), (4, 4000.0, 64)],
    [(5, 5000.0, 64), (3, 3241.0, 64)], [(0, 0.0, 20), (6, 6023.0, 64)],
]  # fmt: skip


def test_short_series_give_the_same_batches_as_before_sections():
    for sections in (True, False):
        _, got = batches(SHORT, 64, sections=sections)
        assert [b.index.tolist() for b in got] == BEFORE_ONE_RANK
        for b in got:  # each series read whole
            np.testing.assert_array_equal(b.lengths, [SHORT[i] for i in b.index])
        for rank in (0, 1):
            _, got = batches(SHORT, 64, world=World(rank=rank, size=2), sections=sections)
            assert [b.index.tolist() for b in got] == BEFORE_TWO_RANKS[rank]


def test_without_sections_long_series_keep_their_one_window_as_before():
    _, got = batches(MIXED, 64, batch_size=2, sections=False)
    seen = [
        [(int(i), float(x[0, 0]), int(n)) for i, x, n in zip(b.index, b.x, b.lengths, strict=True)]
        for b in got
    ]
    assert seen == BEFORE_MIXED


def test_a_long_recording_is_ceil_t_over_l_sections_each_visited_once_per_epoch():
    sections = Sections.of([20_000, 100, 256, 257], 256)
    assert sections.parts.tolist() == [79, 1, 1, 2]
    assert len(sections) == 83 and sections.owner[78] == 0 and sections.part[78] == 78
    made, got = batches([20_000], 256, batch_size=8, epochs=1)
    assert len(made) == 79 // 8
    starts = [int(x[0, 0]) for b in got for x in b.x]
    assert len(set(starts)) == len(starts)  # different sections in every batch
    assert all(len(set(b.index.tolist())) == 1 for b in got)  # all of the one recording
    assert all((b.lengths == 256).all() for b in got)  # every window full length
    # the windows of an epoch spread over the whole recording: one per section's starts
    parts = [made.sections.part[p] for p in list(iter(made.sampler))[: len(made) * 8]]
    for part, start in zip(parts, starts, strict=True):
        assert part * 19_745 // 79 <= start < (part + 1) * 19_745 // 79


def test_section_windows_are_full_length_inside_the_recording_and_reproducible():
    for length, max_length in ((257, 256), (1000, 10), (20_000, 256), (11, 10)):
        parts = Sections.of([length], max_length).parts[0]
        for part in range(parts):
            for seed in range(5):
                start, stop = window(length, max_length, part, parts, np.random.default_rng(seed))
                assert stop - start == max_length and 0 <= start and stop <= length
    assert window(100, 256, 0, 1, np.random.default_rng(0)) == (0, 100)
    first, again = (batches([20_000, 700], 256, epochs=2)[1] for _ in range(2))
    assert all(torch_equal(a.x, b.x) for a, b in zip(first, again, strict=True))


def torch_equal(a, b) -> bool:
    return bool((a == b).all())


def test_sections_are_sharded_between_processes():
    lengths = [20_000]  # 79 sections of 256 steps
    ranks = [
        batches(lengths, 256, world=World(rank=r, size=2), batch_size=4, epochs=1) for r in (0, 1)
    ]
    starts = [{int(x[0, 0]) for b in got for x in b.x} for _, got in ranks]
    assert all(len(made) == 39 // 4 for made, _ in ranks)
    assert not starts[0] & starts[1]  # each rank its own sections of the one recording
    orders = [set(iter(made.sampler)) for made, _ in ranks]
    assert not orders[0] & orders[1] and max(orders[0] | orders[1]) < 79


def test_too_few_sections_for_a_batch_are_refused_with_the_count():
    with pytest.raises(ValueError, match=r"1 series \(3 sections of 256 steps\) cannot fill"):
        batches([700], 256, batch_size=4)


def test_wording_of_sections_and_windows():
    one = [{"length": 1_800_000}]
    assert sections_text(one, 3000) == (
        "1 recording of 1 800 000 steps gives 600 sections of 3000 steps"
    )
    three = [{"length": 20_000}, {"length": 19_000}, {"length": 100}]
    assert sections_text(three, 256) == (
        "3 recordings of up to 20 000 steps give 155 sections of 256 steps"
    )
    assert steps_text(3000, 500.0) == "3000 steps (6 s at 500 Hz)"
    assert steps_text(3000, None) == "3000 steps"
    assert steps_text(1_800_000, 500.0) == "1 800 000 steps (1 h at 500 Hz)"


@pytest.fixture
def cached(tmp_path):
    """Two 3-channel series in a real cache (the second with missing values)."""
    rng = np.random.default_rng(0)
    first = rng.normal(size=(3, 500)).astype(np.float32)
    second = rng.normal(size=(3, 900)).astype(np.float32)
    second[1, 100:150] = np.nan
    writer = CacheWriter(tmp_path)
    found = []
    for values in (first, second):
        name, index = writer.add_series(values)
        found.append(
            {"cache_file": name, "cache_index": index, "channels": 3, "length": values.shape[1]}
        )
    writer.close()
    return CacheReader(tmp_path), found, (first, second)


def test_a_window_read_equals_the_slice_of_the_whole_series(cached):
    reader, found, _ = cached
    for item in found:
        whole_values, whole_mask = reader.series(item)
        for start, stop in ((0, 10), (90, 160), (item["length"] - 7, item["length"])):
            values, mask = reader.series_window(item, start, stop)
            np.testing.assert_array_equal(values, whole_values[:, start:stop])
            np.testing.assert_array_equal(mask, whole_mask[:, start:stop])
    with pytest.raises(ValueError, match="outside"):
        reader.series_window(found[0], 400, 501)


def test_a_training_window_reads_only_its_steps_from_the_cache(cached, monkeypatch):
    reader, found, _ = cached
    flat_map = reader._flat_map
    read: list[int] = []  # the values copied out of the memory maps, slice by slice

    class Spy:
        def __init__(self, mapped):
            self.mapped = mapped

        def __getitem__(self, key):
            part = self.mapped[key]
            read.append(int(np.size(part)))
            return part

    monkeypatch.setattr(reader, "_flat_map", lambda name, dtype: Spy(flat_map(name, dtype)))
    made = SeriesBatches(found, reader, batch_size=2, channels=3, max_length=64)
    batch = next(made.epoch(0))
    assert batch.x.shape == (2, 3, 64)
    assert read and max(read) <= 64  # a channel's window at a time, never a whole series
    assert sum(read) == 2 * 2 * 3 * 64  # values and mask of 2 windows of 3 channels


def test_channel_statistics_of_long_recordings_are_summed_piece_by_piece(cached, monkeypatch):
    from ssl_studio.core.data import series_batches

    reader, found, (first, second) = cached
    whole = np.concatenate([first, second], axis=1).astype(np.float64)
    read: list[int] = []
    window_read = reader.series_window
    monkeypatch.setattr(
        reader, "series_window", lambda i, a, b: read.append(b - a) or window_read(i, a, b)
    )
    monkeypatch.setattr(series_batches, "STATISTICS_CHUNK", 128)
    mean, std = series_batches.channel_statistics(found, reader, 3)
    np.testing.assert_allclose(mean, np.nanmean(whole, axis=1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(std, np.nanstd(whole, axis=1), rtol=1e-5)
    assert max(read) == 128 and sum(read) == 500 + 900
