"""Long live curves (audit of a week-long session, finding 3): each frame smoothed and drew
every point of the history (0.2-0.6 s a frame at 1.2 M points). Now the moving average is
kept as points come and at most ``MAX_DRAWN`` points are drawn, each part's lowest and
highest, so spikes stay; what is drawn is still the average of the whole history."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtTest import QTest

from ssl_studio.gui import smoothing
from ssl_studio.gui.live_plot import LivePlot
from ssl_studio.gui.peaks import MAX_DRAWN
from ssl_studio.gui.smoothing import RunningSmooth, moving_average, smoothed, smoothing_weight


def _given(curve) -> tuple[np.ndarray, np.ndarray]:
    """What the plot handed the curve item (pyqtgraph's getData thins it out again)."""
    return curve.getOriginalDataset()


def _plot(qtbot) -> LivePlot:
    plot = LivePlot("loss", smooth=True)
    qtbot.addWidget(plot)
    plot.resize(800, 400)
    plot.show()  # (a hidden plot draws nothing)
    return plot


def _spiky(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(steps 1..n, a noisy falling loss, where its spikes are: far apart, up and down)."""
    rng = np.random.default_rng(seed)
    y = 2.0 + np.exp(-np.arange(n) / (n / 5)) + 0.1 * rng.standard_normal(n)
    spikes = np.arange(n // 97, n, n // 13)
    y[spikes[0::2]] += 40.0
    y[spikes[1::2]] -= 40.0
    return np.arange(1, n + 1, dtype=float), y, spikes


def test_the_running_average_is_the_whole_curves_average_bit_for_bit():
    """Grown a few points or thousands at a time, across the span's changes (every 50
    points up to 25 000) and past them, it equals smoothed() of the whole curve."""
    rng = np.random.default_rng(1)
    y = 3.0 + rng.standard_normal(60_000)
    running, n = RunningSmooth(), 0
    while n < len(y):
        n = min(len(y), n + int(rng.choice([1, 2, 49, 50, 51, 777, 4000])))
        running.update(y[:n])
        np.testing.assert_array_equal(running.smoothed(), smoothed(y[:n]))
    running.update(y[:100])  # a shorter curve (replaced): worked out again
    np.testing.assert_array_equal(running.smoothed(), smoothed(y[:100]))


def test_smoothed_is_still_the_bias_corrected_average_bit_for_bit():
    """Its correction is no longer worked out where it is exactly 1.0 (far along a long
    curve, where the power's subnormal numbers made it slow): the same numbers."""
    y = np.random.default_rng(2).standard_normal(40_000)
    keep = smoothing_weight(len(y))
    direct = moving_average(y, keep) / (1.0 - keep ** np.arange(1, len(y) + 1))
    np.testing.assert_array_equal(smoothed(y), direct)


def test_appending_to_a_long_curve_works_out_only_the_new_averages(qtbot, monkeypatch):
    plot = _plot(qtbot)
    x, y, _ = _spiky(60_000)
    plot.set_curve("loss", x[:-10], y[:-10])
    lengths: list[int] = []
    original = smoothing.moving_average

    def counted(values, keep, carry=0.0):
        lengths.append(len(values))
        return original(values, keep, carry)

    monkeypatch.setattr(smoothing, "moving_average", counted)
    for step in range(len(x) - 10, len(x)):
        plot.append("loss", x[step], y[step])
        plot.redraw()
    assert lengths and max(lengths) <= smoothing.block_length(smoothing_weight(len(x))) + 10
    drawn_x, drawn = _given(plot.smooth_curves["loss"])
    np.testing.assert_array_equal(drawn, smoothed(y)[drawn_x.astype(int) - 1])


def test_a_short_live_curve_is_drawn_whole_with_its_exact_average(qtbot):
    plot = _plot(qtbot)
    x, y, _ = _spiky(3_000)
    for i in range(len(x)):
        plot.append("loss", x[i], y[i])
        if i in (10, 500, 1999):
            plot.redraw()
    plot.redraw()
    raw_x, raw_y = _given(plot.curves["loss"])
    np.testing.assert_array_equal(raw_x, x)
    np.testing.assert_array_equal(raw_y, y)
    avg_x, avg = _given(plot.smooth_curves["loss"])
    np.testing.assert_array_equal(avg_x, x)
    np.testing.assert_array_equal(avg, smoothed(y))


@pytest.mark.parametrize("appended", [0, 5_000])
def test_a_long_curve_draws_a_few_thousand_points_with_its_spikes(qtbot, appended):
    """200 000 points (set at once, then maybe more appended): at most MAX_DRAWN drawn,
    each a real point of the curve or of its average, both ends and every spike kept."""
    plot = _plot(qtbot)
    x, y, spikes = _spiky(200_000)
    plot.set_curve("loss", x[: len(x) - appended], y[: len(x) - appended])
    plot.redraw()
    for i in range(len(x) - appended, len(x)):
        plot.append("loss", x[i], y[i])
        if i % 1000 == 0:
            plot.redraw()
    plot.redraw()
    raw_x, raw_y = _given(plot.curves["loss"])
    index = raw_x.astype(int) - 1
    assert 1000 < len(raw_x) <= MAX_DRAWN
    assert np.all(np.diff(raw_x) > 0) and raw_x[0] == x[0] and raw_x[-1] == x[-1]
    np.testing.assert_array_equal(raw_y, y[index])
    assert set(spikes) <= set(index)  # every spike, up and down, is drawn
    assert raw_y.max() == y.max() and raw_y.min() == y.min()
    avg_x, avg = _given(plot.smooth_curves["loss"])
    full = smoothed(y)
    assert len(avg_x) <= MAX_DRAWN and avg_x[-1] == x[-1]
    np.testing.assert_array_equal(avg, full[avg_x.astype(int) - 1])  # the whole average's
    assert avg.max() == full.max() and avg.min() == full.min()


def test_zooming_into_a_long_curve_draws_every_point_in_view(qtbot):
    plot = _plot(qtbot)
    x, y, _ = _spiky(200_000)
    plot.set_curve("loss", x, y)
    plot.setXRange(50_000, 52_000, padding=0)  # the user zooms in
    qtbot.waitUntil(lambda: len(_given(plot.curves["loss"])[0]) < 2_100, timeout=3000)
    raw_x, raw_y = _given(plot.curves["loss"])
    np.testing.assert_array_equal(raw_x, x[49_998:52_001])  # (and one beyond each edge)
    np.testing.assert_array_equal(raw_y, y[49_998:52_001])
    avg_x, avg = _given(plot.smooth_curves["loss"])
    np.testing.assert_array_equal(avg, smoothed(y)[49_998:52_001])
    plot.getPlotItem().enableAutoRange()  # back to the whole run (the "A" button)
    qtbot.waitUntil(lambda: _given(plot.curves["loss"])[0][-1] == x[-1], timeout=3000)
    assert _given(plot.curves["loss"])[0][0] == x[0]


def test_a_curve_whose_steps_go_back_is_still_drawn_whole(qtbot):
    """A resumed run may report steps again from its checkpoint: x goes back once."""
    plot = _plot(qtbot)
    x = np.concatenate([np.arange(1, 100_001), np.arange(90_001, 190_001)]).astype(float)
    y = np.random.default_rng(3).standard_normal(len(x))
    y[150_000] = 99.0
    plot.set_curve("loss", x, y)
    plot.setXRange(100_000, 101_000, padding=0)
    QTest.qWait(300)
    raw_x, raw_y = _given(plot.curves["loss"])
    assert len(raw_x) <= MAX_DRAWN and raw_x[0] == 1 and raw_x[-1] == 190_000
    assert raw_y.max() == 99.0
