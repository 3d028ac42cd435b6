"""A CSV series' times made one evenly spaced timeline: the sampling rate, gaps filled with
missing values, and notes (import report) on gaps, times that go back or are missing, times
that are not evenly spaced and a given rate the times disagree with.

Rules (README, "Time series"): the step is the median of the steps that go forward; a step
over GAP times it is a gap, filled with missing values (at most MOST_FILLED times the
series' own rows); the times are evenly spaced when every step is within STEP_TOLERANCE of
the rate's step, or every time within JITTER of a step of its place on the timeline (times
rounded to a clock's tick, jitter). Times that go back (a clock set back, a device reset) or
cells without a time keep their rows in file order, one step after the row before. Places
are given in seconds from the start of the series and line numbers, never as date-times.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ssl_studio.core.data.records import ImportProblem

GAP = 1.5  # a step this many times the median step, or longer, is a gap
STEP_TOLERANCE = 0.10  # each step within 10 % of the step: evenly spaced
JITTER = 1 / 3  # or each time within a third of a step of its place: evenly spaced
MOST_BACK = 0.01  # times that go back at more than 1 % of the steps: not one clock
MOST_FILLED = 10  # gaps may add at most 10 x the series' own rows of missing values
RATE_AGREES = 0.01  # a given rate this close to the times' is the same rate
SHOWN = 3  # places named in a note


@dataclass
class Timeline:
    """What a time column makes of its rows: ``places`` ``[R]`` int, each row's step on the
    evenly spaced timeline (None: rows as they are); ``meta``: what predict must know."""

    rate: float | None
    places: np.ndarray | None = None
    notes: list[ImportProblem] = field(default_factory=list)
    meta: dict = field(default_factory=dict)

    def apply(self, x: np.ndarray) -> np.ndarray:
        """x: ``[N, C, R]`` -> ``[N, C, T]``, missing values (NaN) where gaps were filled."""
        if self.places is None or self.places[-1] == len(self.places) - 1:
            return x
        out = np.full((*x.shape[:2], int(self.places[-1]) + 1), np.nan, dtype=x.dtype)
        out[:, :, self.places] = x
        return out


def _seconds(s: float) -> str:
    return f"{s:.6g} s"


def _rate(step: float) -> float:
    return float(f"{1.0 / step:.9g}")


def read_timeline(
    seconds: np.ndarray, lines: list[int], what: str, given: float | None
) -> Timeline:
    """seconds: ``[R]`` the time of each row (NaN where missing); ``lines``: their line
    numbers; ``what``: the column and file, for notes; ``given``: --sampling-rate."""
    even = _evenly_spaced(seconds, given)
    if even is not None:
        return even
    known = np.flatnonzero(~np.isnan(seconds))
    if len(known) < 2:
        return Timeline(None)
    odd = _out_of_line(seconds, known)
    if odd.any():  # (set aside: placed one step after the row before, as a missing time)
        seconds = np.where(odd, np.nan, seconds)
        known = np.flatnonzero(~np.isnan(seconds))
    t = seconds[known]
    d, apart = np.diff(t), np.diff(known)
    forward = d > 0
    if not forward.any():
        return _uneven(what, given, "they never advance")
    median = float(np.median(d[forward] / apart[forward]))
    back = ~forward
    k = apart.copy()
    gap = forward & (d >= (apart - 1 + GAP) * median)
    k[gap] = np.rint(d[gap] / median).astype(k.dtype)
    at = known[0] + np.concatenate([[0], np.cumsum(k)])  # [K] places of rows with a time
    segment = np.concatenate([[0], np.cumsum(back)])  # runs of times that only go forward
    first = np.flatnonzero(np.diff(segment, prepend=-1))
    last = np.append(first[1:] - 1, len(t) - 1)
    span = sum(float(t[b]) - float(t[a]) for a, b in zip(first, last, strict=True))
    steps = int(sum(at[b] - at[a] for a, b in zip(first, last, strict=True)))
    if steps == 0 or span <= 0:
        return _uneven(what, given, "they never advance")
    step = span / steps
    even = forward & ~gap
    if gap.any() and even.any():  # (a gap of 1.6 steps, filled as 2, must not bend the
        step = float(d[even].sum() / apart[even].sum())  # rate: the mean of the others)
    if back.sum() > max(1, MOST_BACK * len(d)):
        return _uneven(what, given, f"they go back {int(back.sum())} times")
    per_step = np.abs(d[forward] / k[forward] - step) <= STEP_TOLERANCE * step
    drift = t - at * step  # each time's distance from its place, plus its segment's start
    offset = drift - (np.bincount(segment, drift) / np.bincount(segment))[segment]
    if not per_step.all() and np.abs(offset).max() > JITTER * step:
        shortest, longest = float(d[forward].min()), float(d[forward].max())
        return _uneven(
            what,
            given,
            f"their steps run from {_seconds(shortest)} to {_seconds(longest)} (the median "
            f"{_seconds(median)}), not one step with a gap here and there",
        )
    places = np.empty(len(seconds), dtype=np.int64)
    places[known] = at
    lost = np.isnan(seconds)
    if lost.any():  # a row without a time: one step after the row before
        rows = np.arange(len(seconds))
        before = np.maximum.accumulate(np.where(lost, -1, rows))  # the last row with one
        lead, tail = lost & (before < 0), lost & (before >= 0)
        places[lead] = rows[lead]
        places[tail] = places[before[tail]] + rows[tail] - before[tail]
    rate = _rate(step)
    filled = int(places[-1]) + 1 - len(seconds)
    if filled > MOST_FILLED * len(seconds):
        line = Timeline(None, meta={"times": "gaps-too-long"})
        line.notes.append(
            ImportProblem(
                "csv-time-gaps",
                f"{what} has {int(gap.sum())} gap(s) that would take {filled} missing values "
                f"to fill at {rate:g} per second, more than {MOST_FILLED} times its own "
                f"{len(seconds)} rows, so they were not filled and its sampling rate is "
                + (f"taken as the {given:g} per second given" if given else "unknown")
                + ". Split the file where the recording stops and starts again.",
                "warning",
            )
        )
        return line
    line = Timeline(rate, places)
    if gap.any():
        line.meta["gaps_filled"] = filled
        line.notes.append(_gap_note(what, gap, at, known, lines, step, filled))
    if back.any() or lost.any():
        line.meta["time_order"] = int(back.sum() + lost.sum())
        line.notes.append(_order_note(what, d, back, known, lost & ~odd, odd, at, lines, step))
    if given and abs(given - rate) > RATE_AGREES * rate:
        line.notes.append(
            ImportProblem(
                "csv-rate-given",
                f"{what} has times at {rate:g} per second, so the {given:g} per second given "
                "(--sampling-rate, for series without times) was not used for it. If the "
                "times are wrong, remove the time column to import it at the rate given.",
                "warning",
            )
        )
    return line


def _out_of_line(seconds: np.ndarray, known: np.ndarray) -> np.ndarray:
    """[R] bool: rows whose time is more than JITTER of a step off its place while the
    rows on either side agree with each other (a repeated, mistyped or glitched time
    between two good ones). Left to the rules above, one such time made a gap that was
    never recorded and moved every later row (a clock set back for good moves the rows
    after it too, so it is not one of these)."""
    odd = np.zeros(len(seconds), dtype=bool)
    if len(known) < 3:
        return odd
    t = seconds[known]
    d, apart = np.diff(t), np.diff(known)
    forward = d > 0
    if not forward.any():
        return odd
    median = float(np.median(d[forward] / apart[forward]))
    around = t[2:] - t[:-2]  # [K - 2] from the row before to the row after
    agree = np.abs(around - (known[2:] - known[:-2]) * median) <= JITTER * median
    place = t[:-2] + (known[1:-1] - known[:-2]) * median
    off = np.abs(t[1:-1] - place) > JITTER * median
    odd[known[1:-1][agree & off]] = True
    return odd


PIECE = 1 << 20  # rows checked at a time by _evenly_spaced


def _evenly_spaced(seconds: np.ndarray, given: float | None) -> Timeline | None:
    """The timeline read_timeline gives, when every row has a time and each step is
    within STEP_TOLERANCE of the rate's step (no gap, nothing back, no jitter to weigh):
    the same figures with a few arrays of ``[R]`` fewer (a 24 h recording holds tens of
    millions of rows). None for any other column."""
    if len(seconds) < 2 or np.isnan(seconds).any():
        return None
    d = np.diff(seconds)
    if not (d > 0).all():
        return None
    span, steps = float(seconds[-1]) - float(seconds[0]), len(d)
    step = span / steps
    median = float(np.median(d, overwrite_input=True))  # (d is reordered: only sets below)
    for at in range(0, len(d), PIECE):
        piece = d[at : at + PIECE]
        if (piece >= GAP * median).any() or (np.abs(piece - step) > STEP_TOLERANCE * step).any():
            return None
    rate = _rate(step)
    line = Timeline(rate, np.arange(len(seconds), dtype=np.int64))
    if given and abs(given - rate) > RATE_AGREES * rate:
        return None  # (read_timeline words the note)
    return line


def _uneven(what: str, given: float | None, why: str) -> Timeline:
    """A time column whose times are no one evenly spaced timeline: rows as they are."""
    return Timeline(
        None,
        notes=[
            ImportProblem(
                "csv-time-irregular",
                f"{what} holds times that are not evenly spaced ({why}), so the series has "
                "no one sampling rate: its rows were imported as they are, and its sampling "
                "rate is "
                + (f"taken as the {given:g} per second given." if given else "unknown.")
                + " Resample it to an even step first if its model needs a rate.",
                "warning",
            )
        ],
        meta={"times": "irregular"},
    )


def _gap_note(
    what: str,
    gap: np.ndarray,
    at: np.ndarray,
    known: np.ndarray,
    lines: list[int],
    step: float,
    filled: int,
) -> ImportProblem:
    """Where the gaps are, in seconds from the start of the series (never a date-time)."""
    where = np.flatnonzero(gap)
    lacking = (np.diff(at) - np.diff(known)) * step  # [K - 1] seconds without samples
    longest = where[np.argsort(-lacking[where], kind="stable")][:SHOWN]
    places = ", ".join(
        f"{_seconds(float(lacking[i]))} at {_seconds((at[i] + 1) * step)} from the start "
        f"(before line {lines[known[i + 1]]})"
        for i in sorted(longest)
    )
    more = f" (the {SHOWN} longest shown)" if len(where) > SHOWN else ""
    return ImportProblem(
        "csv-time-gaps",
        f"{what} has {len(where)} gap(s) in its times, the longest "
        f"{_seconds(float(lacking[where].max()))}: {places}{more}. They were filled with {filled} "
        "missing values, so that its samples stay evenly spaced.",
        "warning",
    )


def _order_note(
    what: str,
    d: np.ndarray,
    back: np.ndarray,
    known: np.ndarray,
    lost: np.ndarray,
    odd: np.ndarray,
    at: np.ndarray,
    lines: list[int],
    step: float,
) -> ImportProblem:
    """Times that go back (or repeat), rows without a time and rows whose time is out of
    line with the rows around it (``odd``): kept in file order."""
    said = []
    if back.any():
        i = int(np.flatnonzero(back)[0])
        said.append(
            f"its time goes back or repeats {int(back.sum())} time(s), first by "
            f"{_seconds(step - float(d[i]))} on line {lines[known[i + 1]]} "
            f"({_seconds(at[i + 1] * step)} from the start)"
        )
    if lost.any():
        said.append(
            f"{int(lost.sum())} row(s) have no time, first on line {lines[np.argmax(lost)]}"
        )
    if odd.any():
        said.append(
            f"{int(odd.sum())} row(s) have a time out of line with the rows around them "
            f"(repeated, or far from its place), first on line {lines[np.argmax(odd)]}"
        )
    return ImportProblem(
        "csv-time-order",
        f"In {what}, {' and '.join(said)}. The rows were kept in file order, each one step "
        "after the row before; check the clock of the recording (set back, reset) and the "
        "file.",
        "warning",
    )
