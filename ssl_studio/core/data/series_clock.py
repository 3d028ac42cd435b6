"""A CSV column that looks like a clock but is not named as one: when no column of a file
with a header row is read as its time, a first channel whose values rise on every row by
the same step (``0.0, 0.1, 0.2, ...`` under a header such as ``stamp`` or
``clock``) is most likely the time of each row, imported as a channel. It is kept as it
is (a counter of something measured rises too), with a note in the import report saying
how to make it the time column. Files without a header row are left alone (their columns
were judged by what they hold, and a first column 0, 1, 2, ... is as often a row
counter). Channels are read as float32: a clock of Unix seconds (1.7e9) rounds to steps
of 128 s there and is not recognised; its name (``ts``, ``time``) is what counts."""

from __future__ import annotations

import numpy as np

from ssl_studio.core.data.records import ImportProblem

CLOCK_NOTE = "csv-time-unnamed"  # the note's code (import report)
FEWEST_ROWS = 10  # a column of fewer rows says too little to be called a clock
# a clock's steps are equal but for the rounding of its printed values (and of float32):
# a measurement that rises steadily (a cumulative volume) varies more from row to row
CLOCK_TOLERANCE = 0.01


def rises_evenly(values: np.ndarray) -> float | None:
    """values: ``[R]`` float -> the step when every row holds a number, each more than the
    one before by the median step within CLOCK_TOLERANCE (and float32's rounding of the
    values); else None."""
    if len(values) < FEWEST_ROWS or not np.isfinite(values).all():
        return None
    steps = np.diff(values.astype(np.float64))
    if not (steps > 0).all():
        return None
    step = float(np.median(steps))
    rounding = 4 * float(np.spacing(np.float32(np.abs(values).max())))
    if (np.abs(steps - step) > CLOCK_TOLERANCE * step + rounding).any():
        return None
    return step


def clock_note(what: str, values: np.ndarray, file: str) -> ImportProblem | None:
    """The note on the column ``what`` ("column 'stamp'") of ``file``, the first channel of
    a file without a time column, when its ``values`` ``[R]`` rise evenly; else None."""
    step = rises_evenly(values)
    if step is None:
        return None
    return ImportProblem(
        CLOCK_NOTE,
        f"{what} of {file} rises on every row by about the same step ({step:g}), as a clock "
        "does, but its name does not say it is a time, so it was imported as a channel and "
        "the series' sampling rate was not read from it. If it is the time of each row, "
        "name the column time (its values in seconds; time_ms for milliseconds) and import "
        "the file again: it then gives the sampling rate and is no channel. If it counts "
        "the rows, remove it. If it is a measurement that rises steadily (a cumulative "
        "volume or count), keep it as it is and ignore this note.",
        "warning",
    )
