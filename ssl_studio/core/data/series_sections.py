"""Long recordings as many training instances: sections of ``series_length`` steps.

Pretraining draws one window of at most L = ``series_length`` steps per instance and
epoch. Were every recording one instance, one hour of ECG at 500 Hz (1.8 M steps) would
give one window per epoch and could not fill a batch. As TS2Vec cuts a long series into
``max_train_length`` sections (its split_with_nan), a recording of T > L steps counts as
n = ceil(T / L) sections here, and an epoch visits each section once.

Section k of n owns the k-th of n equal runs of the window starts 0 .. T - L; its window
of exactly L steps starts at a random one of them, so it may reach into the next section's
steps. Every window is full length (no short tail), the windows of an epoch spread over
the whole recording, and over epochs each start is about equally likely, as for the one
random window of a recording before. A series of T <= L steps is one section, read whole:
a dataset of short series (UCR-style) gives the same batches as when every series was one
instance.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ssl_studio.core.data.series_rates import grouped


def section_count(length: int, max_length: int) -> int:
    """ceil(length / max_length), at least 1: the sections a series of ``length`` steps
    gives with windows of ``max_length`` steps."""
    return max(1, math.ceil(int(length) / int(max_length)))


@dataclass(frozen=True)
class Sections:
    """The training instances of a list of series.

    owner: [S] int64, the position of each instance's series in the item list; part: [S]
    int64, the instance's section number within its series; parts: [N] int64, the number
    of sections of each series (S = parts.sum(); instances of a series are consecutive).
    """

    owner: np.ndarray
    part: np.ndarray
    parts: np.ndarray

    @classmethod
    def of(cls, lengths: Sequence[int], max_length: int | None) -> Sections:
        """Sections of series of ``lengths`` steps (None: one instance per series)."""
        if max_length is None:
            parts = np.ones(len(lengths), np.int64)
        else:
            parts = np.array([section_count(t, max_length) for t in lengths], np.int64)
        owner = np.repeat(np.arange(len(lengths), dtype=np.int64), parts)
        first = np.cumsum(parts) - parts  # each series' first instance
        part = np.arange(len(owner), dtype=np.int64) - np.repeat(first, parts)
        return cls(owner, part, parts)

    def __len__(self) -> int:
        return len(self.owner)


def window(length: int, max_length: int, part: int, parts: int, rng: np.random.Generator):
    """(start, stop) of the window of section ``part`` of ``parts`` of a series of
    ``length`` steps; (0, length) when it fits whole. The start is drawn with ``rng`` from
    the section's share of the starts 0 .. length - max_length (never empty: there are at
    least as many starts as sections)."""
    if length <= max_length:
        return 0, length
    starts = length - max_length + 1
    low, high = part * starts // parts, (part + 1) * starts // parts
    start = low + int(rng.integers(0, high - low))
    return start, start + max_length


def sections_text(items: Sequence[Mapping[str, Any]], max_length: int) -> str:
    """What the recordings give: ``1 recording of 1 800 000 steps gives 600 sections of
    3000 steps`` (``3 recordings of up to 20 000 steps give 240 sections ...``)."""
    lengths = [int(i["length"] or 0) for i in items]
    total = sum(section_count(t, max_length) for t in lengths)
    longest = max(lengths, default=0)
    same = len(set(lengths)) <= 1
    of = f"of {'' if same else 'up to '}{grouped(longest)} steps"
    noun = "recording" if len(items) == 1 else "recordings"
    verb = "gives" if len(items) == 1 else "give"
    unit = "section" if total == 1 else "sections"
    return f"{len(items)} {noun} {of} {verb} {grouped(total)} {unit} of {grouped(max_length)} steps"
