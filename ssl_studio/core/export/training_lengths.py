"""How long a series model's training recordings were, and what predict says of a series
far outside that range.

The export records the shortest, median and longest training recording in steps
(``spec.training_lengths``); the card says them (in seconds too where the sampling rate
is known). A model that saw only 10 s recordings answers a 1 s snippet as surely as a
whole one, and gives a 1 h recording one answer for all of it: predict notes a series
shorter than SHORTER times the shortest, or longer than LONGER times the longest (the
answer is still given), pointing to windows for a long one. Cards exported before this
have no such field: nothing is said or noted for them.

A recording longer than the run's ``series_length`` was trained on in windows of that
many steps, so the notes compare with the lengths the model trained on: the shortest
and the median capped at ``series_length`` (trained_lengths; a window that long, the
default of ``--windows``, is no note). The longest is not capped: the test figures were
worked out on whole recordings, so a series up to twice the longest is one they speak
of. Cards without a series_length compare with the recordings as they are.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from ssl_studio.core.data.series_rates import grouped, span_text

SHORTER = 0.5  # a series under half the shortest training recording gets a note
LONGER = 2.0  # and one over twice the longest
_KEYS = ("shortest", "median", "longest")


def length_range(lengths: Sequence[int]) -> dict[str, int] | None:
    """The training recordings' ``lengths`` (steps) -> {shortest, median, longest} (the
    median one of them: the lower middle for an even count), or None without any."""
    known = sorted(int(n) for n in lengths if n)
    if not known:
        return None
    return {"shortest": known[0], "median": statistics.median_low(known), "longest": known[-1]}


def recorded_lengths(spec: dict[str, Any]) -> tuple[int, int, int] | None:
    """(shortest, median, longest) from a card's spec, or None where it has none (older
    cards) or they are not whole numbers of steps (an edited card)."""
    found = spec.get("training_lengths")
    if not isinstance(found, dict):
        return None
    values = [found.get(k) for k in _KEYS]
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values):
        return None
    return values[0], values[1], values[2]


def trained_lengths(spec: dict[str, Any]) -> tuple[int, int, int] | None:
    """(shortest, median, longest) the model trained on: recorded_lengths with the
    shortest and the median capped at the card's ``series_length`` (the training
    windows' length) where it has one; the longest as recorded (see the module)."""
    found = recorded_lengths(spec)
    cap = spec.get("series_length")
    if found is None or not isinstance(cap, int) or isinstance(cap, bool) or cap <= 0:
        return found
    return min(found[0], cap), min(found[1], cap), found[2]


def _named(which: str, steps: int, spec: dict[str, Any]) -> str:
    """``the shortest training recording (40 steps (4 s))``; where the recordings were
    cut into sections of ``series_length`` steps, the sections are named instead."""
    said = _steps(steps, _rate(spec))
    if steps == spec.get("series_length") and _cut(spec):
        return (
            f"the {which} training window ({said}: longer training recordings were "
            "trained on in sections this long)"
        )
    return f"the {which} training recording ({said})"


def _cut(spec: dict[str, Any]) -> bool:
    """Whether some training recordings were longer than the training windows."""
    return trained_lengths(spec) != recorded_lengths(spec)


def _rate(spec: dict[str, Any]) -> float | None:
    rate = spec.get("sampling_rate")
    return float(rate) if isinstance(rate, int | float) and rate > 0 else None


def _steps(n: int, rate: float | None) -> str:
    """``100 steps (10 s)``; the steps alone when the rate is unknown."""
    return f"{grouped(n)} steps ({span_text(n / rate)})" if rate else f"{grouped(n)} steps"


def lengths_sentence(spec: dict[str, Any]) -> str | None:
    """The card's sentence on the training recordings' lengths, or None (older cards)."""
    found = recorded_lengths(spec)
    if found is None:
        return None
    shortest, median, longest = found
    rate = _rate(spec)
    if shortest == longest:
        said = f"each {_steps(shortest, rate)} long"
    else:
        said = (
            f"from {_steps(shortest, rate)} to {_steps(longest, rate)} long (median "
            f"{_steps(median, rate)})"
        )
    if _cut(spec):  # predict compares with the training windows (trained_lengths)
        window = spec["series_length"]
        return (
            f"Training recordings: {said}; those longer than {_steps(window, rate)} were "
            f"trained on in windows that long. predict notes a series shorter than "
            f"{_steps(trained_lengths(spec)[0] // 2, rate)}, half the shortest training "
            "window, or longer than twice the longest recording: the test figures say "
            "nothing of such series."
        )
    return (
        f"Training recordings: {said}. predict notes a series shorter than half the "
        "shortest or longer than twice the longest: the test figures say nothing of such "
        "series."
    )


def longest_window(spec: dict[str, Any]) -> int | None:
    """The longest window the model was trained on: its ``series_length``, or its longest
    training recording where that is shorter; None when neither is known."""
    trained = spec.get("series_length")
    found = recorded_lengths(spec)
    if found is None:
        return trained or None
    return min(trained, found[2]) if trained else found[2]


def length_note(steps: int, spec: dict[str, Any], cli: bool) -> str:
    """The note of a series of ``steps`` read whole, far outside the training lengths, or
    "". ``cli``: predicted from the command line (its --windows), else in the app."""
    found = trained_lengths(spec)
    if found is None:
        return ""
    shortest, median, longest = found
    rate = _rate(spec)
    if steps < SHORTER * shortest:
        return (
            f"This series has {_steps(steps, rate)}, less than half "
            f"{_named('shortest', shortest, spec)}: the model never saw one so short, and its "
            "answer may look sure and mean little."
        )
    if steps <= LONGER * longest:
        return ""
    if cli:
        how = f"--windows {median}"
    elif rate:
        how = f"'Predict in windows of' {median / rate:g} s"
    else:
        how = f"windows of {median} steps: ssl-studio predict --windows {median}"
    seen = "a training window" if _cut(spec) else "a training recording"
    return (
        f"This series has {_steps(steps, rate)}, more than twice "
        f"{_named('longest', longest, spec)}: the model gives one answer for all of it. "
        f"For an answer per part as long as {seen}, predict in windows ({how})."
    )


def window_note(length: int, spec: dict[str, Any]) -> str:
    """The note of every window of ``length`` steps far outside the training lengths, or
    ""."""
    found = trained_lengths(spec)
    if found is None:
        return ""
    shortest, median, longest = found
    rate = _rate(spec)
    if SHORTER * shortest <= length <= LONGER * longest:
        return ""
    if length < SHORTER * shortest:
        what = f"less than half {_named('shortest', shortest, spec)}"
    else:
        what = f"more than twice {_named('longest', longest, spec)}"
    return (
        f"Windows of {_steps(length, rate)} are {what}, so the test figures say nothing of "
        f"the answers for them; windows of about {_steps(median, rate)} match "
        f"{'the training windows' if _cut(spec) else 'the training recordings'}."
    )
