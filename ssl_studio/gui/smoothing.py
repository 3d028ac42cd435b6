"""The moving average drawn over a noisy curve (``smoothed``), and ``RunningSmooth``, which
keeps it as the curve grows without working it out again from the first point.

The average's span grows with the curve (a fiftieth of its points, 1 to 500), so until a
curve has 25 000 points each new point may change the whole average; past that the span
stays 500 and only the new points' averages are new.
"""

from __future__ import annotations

import numpy as np

SMOOTH_POINTS = 50  # the moving average spans 1/50 of a curve's points...
SMOOTH_SPAN = (1, 500)  # ...within these bounds (points)


def smoothing_weight(n: int) -> float:
    """The weight of the average so far in the moving average of a curve of ``n``
    points: its span is a fiftieth of the points, 1 to 500 (pandas' ``span``)."""
    span = min(max(n // SMOOTH_POINTS, SMOOTH_SPAN[0]), SMOOTH_SPAN[1])
    return 1.0 - 2.0 / (span + 1)


def block_length(keep: float) -> int:
    """The points ``moving_average`` works out at a time: few enough that ``keep^-k``
    stays below 1e6 (float64 keeps ten digits of the sums)."""
    return max(1, int(np.log(1e-6) / np.log(keep))) if keep > 0 else 1


def moving_average(y: np.ndarray, keep: float, carry: float = 0.0) -> np.ndarray:
    """``a[i] = keep a[i-1] + (1 - keep) y[i]`` over ``y: [N]`` from ``a[-1] = carry``
    (0: the start of a curve), not bias-corrected. In numpy, a block of points at a time
    (no Python loop per point; scipy's filter takes seconds to import): within a block,
    ``a[s+k] = keep^(k+1) a[s-1] + (1-keep) keep^k sum_j<=k keep^-j y[s+j]``, blocks of
    ``block_length(keep)`` points. Going on from the end of a whole block with its last
    average as ``carry`` gives the very numbers the whole curve's call gives."""
    y = np.asarray(y, dtype=float)
    block = block_length(keep)
    powers = keep ** np.arange(min(block, len(y)) + 1)
    average = np.empty(len(y))
    for start in range(0, len(y), block):
        part = y[start : start + block]
        k = len(part)
        sums = np.cumsum(part / powers[:k])
        average[start : start + k] = powers[1 : k + 1] * carry + (1 - keep) * powers[:k] * sums
        carry = average[start + k - 1]
    return average


def bias_correction(keep: float, start: int, stop: int) -> np.ndarray:
    """``1 - keep^(i+1)`` for ``i`` in ``[start, stop)``: what the average of point ``i``
    is divided by. Where ``keep^(i+1)`` is below 2^-60 that is exactly 1.0 in float64, so
    the power is only worked out before (far past it, it is slow: subnormal numbers)."""
    out = np.ones(max(stop - start, 0))
    tiny = int(np.ceil(-60 * np.log(2) / np.log(keep))) if 0 < keep < 1 else stop
    end = min(stop, max(start, tiny))
    out[: end - start] = 1.0 - keep ** np.arange(start + 1, end + 1)
    return out


def smoothed(y: np.ndarray) -> np.ndarray:
    """The exponential moving average of ``y: [N]`` drawn over a noisy curve, its span
    growing with N (``smoothing_weight``) so a long run reads as well as a short one,
    bias-corrected at the start (the first value is ``y[0]``, not pulled towards zero)."""
    y = np.asarray(y, dtype=float)
    keep = smoothing_weight(len(y))
    if keep <= 0:
        return y.copy()
    return moving_average(y, keep) / bias_correction(keep, 0, len(y))


class RunningSmooth:
    """``smoothed(y)`` of a curve that grows at its end, kept from one call to the next:
    while the span is unchanged only the new points (and the rest of the last block of
    ``moving_average``) are worked out, so a point costs the same after a week of them.
    Call ``reset`` when the curve is replaced rather than extended."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.values = np.empty(0)  # smoothed(y[:n]) in values[:n]
        self.n = 0
        self.keep: float | None = None
        self.block_start = 0  # where the last, unfinished block of moving_average starts
        self.carry = 0.0  # the uncorrected average just before block_start

    def update(self, y: np.ndarray) -> int:
        """Bring ``values[:len(y)]`` to ``smoothed(y)``, ``y: [N]`` being the curve so far
        (the last call's points, and maybe more after them). Returns the first index whose
        value may differ from before (0 when the whole average was worked out again)."""
        y = np.asarray(y, dtype=float)
        n, keep = len(y), smoothing_weight(len(y))
        if keep <= 0 or keep != self.keep or n < self.n:  # a new span: all of it again
            self.reset()
            self.keep = keep
        if len(self.values) < n:
            grown = np.empty(max(256, 2 * n))
            grown[: self.n] = self.values[: self.n]
            self.values = grown
        if keep <= 0:
            self.values[:n] = y
            self.n = n
            return 0
        start = self.block_start
        average = moving_average(y[start:], keep, self.carry)
        self.values[start:n] = average / bias_correction(keep, start, n)
        block = block_length(keep)
        whole = (n - start) // block * block  # blocks finished here: the next call starts after
        if whole:
            self.carry = float(average[whole - 1])
            self.block_start = start + whole
        self.n = n
        return start

    def smoothed(self) -> np.ndarray:
        """``smoothed`` of the curve last given to ``update`` (a view: do not change it)."""
        return self.values[: self.n]
