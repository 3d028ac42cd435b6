"""Sampling rates and durations of series: the one rate of a dataset's recordings, and a
number of steps said in seconds (``3000 steps (6 s at 500 Hz)``)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

RATE_TOLERANCE = 0.01  # rates this close are one rate (from timestamps, they vary slightly)


def common_rate(rates: Sequence[float | None]) -> float | None:
    """The sampling rate of the items when all have one and they agree within 1 % (rates
    worked out from timestamps differ in the last digits with the length: 9.9999999 and
    9.99999988 Hz), as their median; else None."""
    known = sorted(float(r) for r in rates if r)
    if not known or len(known) < len(rates) or known[-1] > known[0] * (1 + RATE_TOLERANCE):
        return None
    return statistics.median(known)


def grouped(n: int) -> str:
    """``1 800 000``, ``20 000``, ``3000``: thousands apart from five digits on."""
    return f"{n:,}".replace(",", " ") if abs(n) >= 10_000 else str(n)


def span_text(seconds: float) -> str:
    """``6 s``, ``2.5 min``, ``24 h``: a duration to 3 significant digits."""
    if seconds >= 3600:
        return f"{seconds / 3600:.3g} h"
    if seconds >= 60:
        return f"{seconds / 60:.3g} min"
    return f"{seconds:.3g} s"


def steps_text(steps: int, rate: float | None) -> str:
    """``3000 steps (6 s at 500 Hz)``; the steps alone when the rate is unknown."""
    if not rate:
        return f"{grouped(steps)} steps"
    return f"{grouped(steps)} steps ({span_text(steps / rate)} at {rate:g} Hz)"
