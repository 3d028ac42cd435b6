"""peaks.Peaks: which points of a long curve are drawn (the lowest and highest of each
part), kept up to date as the curve grows, for any stretch of it."""

from __future__ import annotations

import numpy as np

from ssl_studio.gui.peaks import MAX_DRAWN, Peaks


def test_any_stretch_keeps_its_ends_its_extremes_and_its_spikes_as_the_curve_grows():
    rng = np.random.default_rng(3)
    n_all = 200_000
    y = rng.standard_normal(n_all)
    ups = np.arange(1000, n_all, 7919)
    downs = ups[::2] + 3
    y[ups], y[downs] = 50 + rng.random(len(ups)), -50.0
    peaks, n = Peaks(), 0
    while n < n_all:
        seen, n = n, min(n_all, n + int(rng.integers(1, 20_000)))
        peaks.update(y[:n], seen)
        for _ in range(4):
            start = int(rng.integers(0, n))
            stop = int(rng.integers(start + 1, n + 1))
            start, stop = (0, n) if rng.random() < 0.3 else (start, stop)
            index = peaks.drawn(y[:n], start, stop)
            assert len(index) <= MAX_DRAWN
            assert index[0] == start and index[-1] == stop - 1 and np.all(np.diff(index) > 0)
            if stop - start <= MAX_DRAWN:
                np.testing.assert_array_equal(index, np.arange(start, stop))
                continue
            spikes = [i for i in (*ups, *downs) if start <= i < stop]
            assert set(spikes) <= set(index.tolist())
            assert y[index].max() == y[start:stop].max()
            assert y[index].min() == y[start:stop].min()
    fresh = Peaks()  # kept up to date piece by piece: the same as made in one go
    fresh.update(y, 0)
    assert [lv.size for lv in peaks.levels] == [lv.size for lv in fresh.levels]
    for kept, made in zip(peaks.levels, fresh.levels, strict=True):
        np.testing.assert_array_equal(kept.low[: kept.count], made.low[: made.count])
        np.testing.assert_array_equal(kept.high[: kept.count], made.high[: made.count])


def test_a_changed_tail_is_taken_in_again():
    """The moving average of a short curve changes everywhere as points come: the peaks
    are worked out again from where it changed."""
    y = np.random.default_rng(4).standard_normal(50_000)
    peaks = Peaks()
    peaks.update(y, 0)
    y2 = y.copy()
    y2[30_000:] += 100.0
    peaks.update(y2, 30_000)
    fresh = Peaks()
    fresh.update(y2, 0)
    for kept, made in zip(peaks.levels, fresh.levels, strict=True):
        np.testing.assert_array_equal(kept.low[: kept.count], made.low[: made.count])
        np.testing.assert_array_equal(kept.high[: kept.count], made.high[: made.count])
