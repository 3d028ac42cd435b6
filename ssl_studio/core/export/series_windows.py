"""Predicting a long recording in windows: one prediction per window of a series (an
arrhythmia probability per 10 s across a 24 h ECG) instead of one for the whole.

A window length (or stride) is given in steps (``3000``) or seconds (``10s``, which needs
the file's sampling rate); by default the window is the longest the model was trained on
(the card's ``series_length``, or its longest training recording where shorter) and the
stride is the window (no overlap); windows far shorter or longer than the training
recordings are noted (training_lengths.py). Windows start every stride steps from the start
of the series; the last one may be cut short by the end of the recording: it is predicted
when at least half a window long, else left out with a note on the row before it. A window
without a single observed value, or with values in fewer of the model's channels than any
training recording had, is an error row (the model would answer as surely as for a whole
one); each window's missing values are judged as a whole series' are
(input_checks.window_missing: mostly missing, an error; some, a note), so a wearable taken
off for an hour loses that hour's windows only; the rows after its last value (a time, no
value) are said on the last window's row. Windows are views of the recording read once
(``x[:, start:end]``): nothing is copied per window; the batch copies only its windows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.export.channel_count import fewest_channels
from ssl_studio.core.export.input_checks import trained_missing, window_missing
from ssl_studio.core.export.preprocess import BYTES_PER_STEP, ModelInput
from ssl_studio.core.export.training_lengths import longest_window, window_note
from ssl_studio.core.memory import free_memory

# the columns a windowed prediction adds after ``index``: steps always, seconds where the
# file's sampling rate is known (from the start of the series, never a date-time)
WINDOW_COLUMNS = ("window_start_step", "window_end_step", "window_start_s", "window_end_s")
_SPAN = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(s|sec|seconds?|steps?)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Span:
    """A window length or stride as the user gave it: ``amount`` steps, or seconds."""

    amount: float
    seconds: bool = False

    def steps(self, rate: float | None) -> int | None:
        """How many steps it is at ``rate`` per second (None: in seconds, rate unknown)."""
        if not self.seconds:
            return int(self.amount)
        return None if not rate else int(round(self.amount * rate))

    def __str__(self) -> str:
        return f"{self.amount:g} s" if self.seconds else f"{int(self.amount)} steps"


def parse_span(text: str) -> Span:
    """``"3000"`` -> 3000 steps; ``"10s"`` (or ``"2.5 s"``, ``"10 seconds"``) -> seconds.
    Raises ConfigError for anything else, or for less than 1 step / a non-positive time."""
    match = _SPAN.match(str(text))
    if match is None:
        raise ConfigError(f"{text!r} is not a window length: give steps (3000) or seconds (10s).")
    amount, unit = float(match.group(1)), (match.group(2) or "steps").lower()
    seconds = not unit.startswith("step")
    if not seconds and (amount != int(amount) or amount < 1):
        raise ConfigError(f"{text!r}: a length in steps is a whole number of at least 1.")
    if amount <= 0:
        raise ConfigError(f"{text!r}: a length in seconds must be more than 0.")
    return Span(amount, seconds)


@dataclass(frozen=True)
class WindowPlan:
    """How each series is cut: ``length`` and ``stride`` (the length when None)."""

    length: Span
    stride: Span | None = None


def window_plan(spec: dict[str, Any], length: Span | None, stride: Span | None) -> WindowPlan:
    """The plan for a model whose card spec is ``spec``: ``length`` None takes the longest
    window it was trained on (``series_length``, or its longest training recording where
    that is shorter: training_lengths.longest_window). Image models are refused."""
    if spec["modality"] == "image":
        raise ConfigError(
            "Predicting in windows cuts a recording into parts; this model reads images, "
            "which have no time to cut: predict without windows."
        )
    if length is None:
        trained = longest_window(spec)
        if not trained:
            raise ConfigError(
                "This model's card does not record the length of its training windows: "
                "give the window length, in steps (3000) or seconds (10s)."
            )
        length = Span(float(trained))
    return WindowPlan(length, stride)


@dataclass(frozen=True)
class Window:
    """Steps [start, end) of its series (``number`` of ``count``, from 0) at ``rate``."""

    start: int
    end: int
    number: int
    count: int
    rate: float | None


def window_cells(window: Window | None) -> list[str]:
    """The row's WINDOW_COLUMNS: blank where there is no window (a file's error row) and
    the seconds blank where the sampling rate is unknown."""
    if window is None:
        return [""] * len(WINDOW_COLUMNS)
    rate = window.rate
    seconds = [_seconds(window.start / rate), _seconds(window.end / rate)] if rate else ["", ""]
    return [str(window.start), str(window.end), *seconds]


def _seconds(value: float) -> str:
    """Seconds to the microsecond, without trailing zeros ('100002.5', '41666.666667'):
    ``:g`` kept 6 digits, so a window 28 hours in read 100002 for 100002.5."""
    return f"{value:.6f}".rstrip("0").rstrip(".")


def window_starts(steps: int, length: int, stride: int) -> tuple[list[tuple[int, int]], int]:
    """([(start, end), ...], steps left out at the end) of a series of ``steps``: windows
    every ``stride`` steps; the last, cut by the end, kept when at least half ``length``."""
    spans, start = [], 0
    while start < steps:
        end = start + length
        if end >= steps:
            if 2 * (steps - start) >= length:
                return [*spans, (start, steps)], 0
            # (steps after the last window kept: overlapping windows cover some of them)
            return spans, steps - (spans[-1][1] if spans else start)
        spans.append((start, end))
        start += stride
    return spans, 0


def windowed(
    items: Iterator[ModelInput], plan: WindowPlan, spec: dict[str, Any]
) -> Iterator[ModelInput]:
    """Each series of ``items`` as its windows (x and observed [C, L] views of the
    series' [C, T]), each with its Window; error items pass as they are, and a series
    that cannot be cut gives one error item saying why."""
    free = free_memory()
    for item in items:
        if item.error is not None or item.x is None or item.observed is None:
            yield item
            continue
        yield from _windows_of(item, plan, spec, free)


def _windows_of(
    item: ModelInput, plan: WindowPlan, spec: dict[str, Any], free: int
) -> Iterator[ModelInput]:
    assert item.x is not None and item.observed is not None
    rate, steps = item.sampling_rate, item.x.shape[-1]
    length, stride = plan.length.steps(rate), (plan.stride or plan.length).steps(rate)
    if length is None or stride is None:
        why = _unknown_rate(plan)
        yield replace(item, x=None, observed=None, error=why)
        return
    if length < 1 or stride < 1:
        every = plan.stride or plan.length
        error = f"Windows of {plan.length} every {every} are less than a step in this file."
        yield replace(item, x=None, observed=None, error=error)
        return
    if length * BYTES_PER_STEP > 0.8 * free:
        error = (
            f"Windows of {length} steps need about {length * BYTES_PER_STEP / 1e9:.1f} GB "
            f"each, more than the {free / 1e9:.1f} GB free here: choose shorter windows."
        )
        yield replace(item, x=None, observed=None, error=error)
        return
    spans, left_out = window_starts(steps, length, stride)
    if not spans:
        error = (
            f"This series has {steps} steps, less than half a window of {length} steps: "
            "nothing to predict in windows. Predict it whole (without windows), or choose "
            "shorter windows."
        )
        yield replace(item, x=None, observed=None, error=error)
        return
    fewest = fewest_channels(spec)
    rows = item.observed.any(axis=1)  # [C]: the channels the series has values in
    most = trained_missing(spec)
    lengths = window_note(length, spec)  # windows far from the training recordings' length
    for number, (start, end) in enumerate(spans):
        window = Window(start, end, number, len(spans), rate)
        observed = item.observed[:, start:end]  # views: the series is not copied
        error = _window_error(observed, fewest, spec)
        error, missing = (error, "") if error else window_missing(observed, rows, most)
        last = number == len(spans) - 1
        said = (
            item.note,
            lengths,
            missing,
            _left_out_note(left_out, length, rate) if left_out and last else "",
            item.ended if last else "",
        )
        note = " ".join(n for n in said if n)
        x = None if error else item.x[:, start:end]
        yield replace(
            item,
            x=x,
            observed=None if error else observed,
            error=error,
            note=note,  # (on an error row too: what it says of the file still holds)
            window=window,
        )


def _window_error(observed: np.ndarray, fewest: int, spec: dict[str, Any]) -> str | None:
    """Why a window (observed [C, L]) cannot be predicted honestly, or None."""
    with_values = int(observed.any(axis=1).sum())
    if with_values == 0:
        return "No value was observed in this window (every cell missing): nothing to predict."
    if with_values >= fewest:
        return None
    return (
        f"This window has values in only {with_values} of the model's {spec['in_channels']} "
        f"channels; its training recordings had at least {fewest}: an answer from fewer "
        "would look sure and mean nothing."
    )


def _left_out_note(left_out: int, length: int, rate: float | None) -> str:
    seconds = f" ({_seconds(left_out / rate)} s)" if rate else ""
    return (
        f"The last {left_out} steps{seconds} of the series, less than half a window of "
        f"{length} steps, were not predicted."
    )


def _unknown_rate(plan: WindowPlan) -> str:
    given = " and ".join(
        str(s) for s in dict.fromkeys((plan.length, plan.stride)) if s is not None and s.seconds
    )
    return (
        f"Windows in seconds ({given}) need the recording's sampling rate, which is not known "
        "for this file (no regular time column): give the window in steps instead."
    )
