"""Which points of a long curve to draw: at most ``MAX_DRAWN`` of them, the lowest and the
highest of each stretch, so spikes stay visible however many points the curve has.

``Peaks`` keeps, for a curve that grows at its end, the index of the lowest and of the
highest point of each bucket of 16, 32, 64, ... points (1 byte a point, all sizes
together). Choosing what to draw of any stretch of the curve then costs about
``MAX_DRAWN`` steps whatever its length, and a new point costs the same after a week of
them: only the buckets it completes are new.
"""

from __future__ import annotations

import numpy as np

MAX_DRAWN = 4096  # the most points drawn of one curve: a stretch this long is drawn whole
BASE = 16  # the smallest bucket kept; smaller ones are worked out from the points
_BUCKETS = MAX_DRAWN // 2 - 3  # (two points each, a part-bucket at each end, both ends)


class _Level:
    """The lowest and highest point (indices) of each whole bucket of ``size`` points."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.low = np.empty(0, dtype=np.int64)
        self.high = np.empty(0, dtype=np.int64)
        self.count = 0

    def keep(self, count: int) -> None:
        self.count = min(self.count, count)

    def add(self, low: np.ndarray, high: np.ndarray) -> None:
        end = self.count + len(low)
        if end > len(self.low):
            room = max(64, 2 * end)
            self.low = np.resize(self.low, room)
            self.high = np.resize(self.high, room)
        self.low[self.count : end], self.high[self.count : end] = low, high
        self.count = end


def bucket_ends(y: np.ndarray, start: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The indices (into ``y``) of the lowest and the highest point of each whole bucket
    of ``size`` points of ``y[start:]`` (a shorter last bucket is left out)."""
    whole = (len(y) - start) // size
    part = y[start : start + whole * size].reshape(whole, size)
    offsets = start + size * np.arange(whole)
    return offsets + part.argmin(axis=1), offsets + part.argmax(axis=1)


class Peaks:
    """The buckets' lowest and highest points of ``y`` as it grows; ``update`` after each
    change, ``drawn`` to choose what to draw."""

    def __init__(self) -> None:
        self.levels: list[_Level] = []

    def reset(self) -> None:
        self.levels = []

    def update(self, y: np.ndarray, changed_from: int) -> None:
        """``y: [N]`` is the curve now; its points before ``changed_from`` are those of
        the last call (appended points: the last call's length)."""
        y = np.asarray(y)
        size, level = BASE, 0
        while len(y) >= size:  # (a level of no whole bucket is not kept)
            if level == len(self.levels):
                self.levels.append(_Level(size))
            this = self.levels[level]
            this.keep(changed_from // size)
            if level == 0:
                low, high = bucket_ends(y, this.count * size, size)
            else:  # each bucket is two of the level below
                below = self.levels[level - 1]
                low = _better(y, below.low, 2 * this.count, below.count, np.less_equal)
                high = _better(y, below.high, 2 * this.count, below.count, np.greater_equal)
            this.add(low, high)
            size, level = 2 * size, level + 1
        del self.levels[level:]

    def drawn(self, y: np.ndarray, start: int = 0, stop: int | None = None) -> np.ndarray:
        """The indices of the points of ``y[start:stop]`` to draw, in order: all of them
        when they are ``MAX_DRAWN`` or fewer, else both ends and the lowest and highest
        point of each of at most ``MAX_DRAWN / 2 - 2`` stretches."""
        stop = len(y) if stop is None else stop
        length = stop - start
        if length <= MAX_DRAWN:
            return np.arange(start, stop)
        size = -(-length // _BUCKETS)  # the bucket wanted, points
        level = next((lv for lv in self.levels if lv.size >= size), None)
        if size < BASE or level is None or level.count * level.size <= start:
            return _with_ends(_direct(y, start, stop, max(size, 2)), start, stop)
        first = -(-start // level.size)
        last = min(stop // level.size, level.count)
        head = _direct(y, start, first * level.size, level.size)
        tail = _direct(y, last * level.size, stop, level.size)
        body = _interleave(level.low[first:last], level.high[first:last])
        return _with_ends(np.concatenate([head, body, tail]), start, stop)


def _better(y: np.ndarray, index: np.ndarray, first: int, count: int, better) -> np.ndarray:
    """Of the points ``index[first:count]`` taken in pairs (an odd last one left out),
    the ``better`` one of each pair (ties: the earlier)."""
    pairs = (count - first) // 2
    a = index[first : first + 2 * pairs : 2]
    b = index[first + 1 : first + 2 * pairs : 2]
    return np.where(better(y[a], y[b]), a, b)


def _direct(y: np.ndarray, start: int, stop: int, size: int) -> np.ndarray:
    """Lowest and highest point of each bucket of ``size`` of ``y[start:stop]`` (the
    last one maybe shorter), worked out from the points, in order."""
    if stop <= start:
        return np.empty(0, dtype=np.int64)
    low, high = bucket_ends(y[:stop], start, size)
    rest = start + len(low) * size
    if rest < stop:
        part = y[rest:stop]
        low = np.append(low, rest + part.argmin())
        high = np.append(high, rest + part.argmax())
    return _interleave(low, high)


def _interleave(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Each bucket's two points, the earlier first (a line through them in order)."""
    out = np.empty(2 * len(low), dtype=np.int64)
    out[0::2], out[1::2] = np.minimum(low, high), np.maximum(low, high)
    return out


def _with_ends(index: np.ndarray, start: int, stop: int) -> np.ndarray:
    """``index`` (in order) with the stretch's first and last point (where its line
    starts and ends), each point once."""
    index = np.concatenate([[start], index, [stop - 1]])
    return index[np.concatenate([[True], np.diff(index) > 0])]
