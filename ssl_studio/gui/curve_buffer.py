"""CurveBuffer: the points of one plotted curve, growing at its end, with what drawing it
needs kept up to date as it grows (its moving average, its buckets' peaks), so a frame of
a curve of a million points costs what one of a few thousand does."""

from __future__ import annotations

import numpy as np

from ssl_studio.gui.peaks import Peaks
from ssl_studio.gui.smoothing import RunningSmooth


class CurveBuffer:
    """A growing pair of float64 arrays with amortised O(1) appends (``x[:n], y[:n]``)."""

    def __init__(self) -> None:
        self.x = np.empty(256)
        self.y = np.empty(256)
        self.n = 0
        self.increasing = True  # x never goes down (a stretch of x can be cut out)
        self.smooth = RunningSmooth()
        self.peaks = Peaks()  # of y
        self.smooth_peaks = Peaks()  # of the moving average
        self._seen = 0  # points the peaks (and the average) have taken in
        self._smooth_seen = 0

    def append(self, x: float, y: float) -> None:
        if self.n == len(self.x):  # (replace may leave an array of any size, even 0)
            self.x = np.resize(self.x, max(256, 2 * self.n))
            self.y = np.resize(self.y, max(256, 2 * self.n))
        if self.n and x < self.x[self.n - 1]:
            self.increasing = False
        self.x[self.n], self.y[self.n] = x, y
        self.n += 1

    def replace(self, x: np.ndarray, y: np.ndarray) -> None:
        """The curve is now ``x, y: [N]`` (finite y), from its first point."""
        self.x, self.y, self.n = x, y, len(x)
        self.increasing = bool(np.all(np.diff(x) >= 0))
        self.smooth.reset()
        self.peaks.reset()
        self.smooth_peaks.reset()
        self._seen = self._smooth_seen = 0

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x[: self.n], self.y[: self.n]

    def smoothed(self) -> np.ndarray:
        """``smoothing.smoothed`` of ``y[:n]``, brought up to date (only what is new)."""
        if self._smooth_seen != self.n:
            changed = self.smooth.update(self.y[: self.n])
            self.smooth_peaks.update(self.smooth.smoothed(), min(changed, self._smooth_seen))
            self._smooth_seen = self.n
        return self.smooth.smoothed()

    def stretch(self, x_range: tuple[float, float] | None) -> tuple[int, int]:
        """The indices ``[start, stop)`` of the points to draw for the view's ``x_range``
        (None: the whole curve), with one point beyond each edge so the line reaches it.
        A curve whose x goes back somewhere is drawn whole (the plot clips it)."""
        if x_range is None or not self.increasing:
            return 0, self.n
        x = self.x[: self.n]
        start = max(int(np.searchsorted(x, x_range[0], "left")) - 1, 0)
        stop = min(int(np.searchsorted(x, x_range[1], "right")) + 1, self.n)
        return start, max(stop, start)

    def drawn(self, x_range: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) to draw of the stretch in view (``x_range``; None: all of it): every
        point when there are ``peaks.MAX_DRAWN`` or fewer, else both ends and the lowest
        and highest point of each part of it, so spikes stay visible."""
        if self._seen != self.n:
            self.peaks.update(self.y[: self.n], self._seen)
            self._seen = self.n
        start, stop = self.stretch(x_range)
        index = self.peaks.drawn(self.y[: self.n], start, stop)
        return self.x[index], self.y[index]

    def drawn_smooth(
        self, x_range: tuple[float, float] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(x, moving average at x) to draw, thinned out as ``drawn`` thins out the
        points (by the average's own peaks)."""
        values = self.smoothed()
        start, stop = self.stretch(x_range)
        index = self.smooth_peaks.drawn(values, start, stop)
        return self.x[index], values[index]
