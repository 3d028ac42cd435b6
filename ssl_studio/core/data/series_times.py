"""Time columns of a CSV series: date-times (ISO 8601 and common local formats, a decimal
comma included) to seconds (their sampling rate and gaps: series_timeline.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from ssl_studio.core.data.csv_cells import MISSING

# date-times other than ISO 8601 (tried in this order; ISO first, and fast)
_TIME_FORMATS = tuple(
    f"{date}{sep}{clock}".strip()
    for date in ("%d.%m.%Y", "%Y/%m/%d", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "")
    # ("%H:%M:%S,%f": a decimal comma, as European exports write 10:00:00,100)
    for clock in ("%H:%M:%S.%f", "%H:%M:%S,%f", "%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p", "")
    for sep in (" ",)
    if date or clock
)


_TIME_SAMPLE = 500  # cells that choose the format; all cells are then read with it


def parse_times(cells: np.ndarray) -> np.ndarray | None:
    """cells: ``[R]`` date-times -> seconds ``[R]`` (NaN where missing), or None when they
    are not date-times. ISO 8601 first; else, of ``_TIME_FORMATS`` that read the first
    cells in order, the one with the most even spacing (03/01 then 03/02 is a day apart,
    not a month, in a recording sampled every day)."""
    texts = [c.strip() for c in cells.tolist()]
    present = [i for i, c in enumerate(texts) if c.lower() not in MISSING]
    if not present:
        return None
    iso = _seconds(texts, present, datetime.fromisoformat)
    if iso is not None:
        return iso
    sample = present[:_TIME_SAMPLE]
    ranked = []
    for fmt in _TIME_FORMATS:
        seen = _seconds(texts, sample, _strptime(fmt))
        if seen is not None and (np.diff(seen[sample]) >= 0).all():
            steps = np.diff(seen[sample])
            spread = float(steps.std() / steps.mean()) if len(steps) and steps.mean() > 0 else 0.0
            ranked.append((spread, len(ranked), fmt))
    for _, _, fmt in sorted(ranked):
        out = _seconds(texts, present, _strptime(fmt))
        if out is not None:
            return out
    return None


def _seconds(texts: list[str], where: list[int], parse) -> np.ndarray | None:
    """Seconds of the cells at ``where`` (NaN elsewhere), or None if one does not parse."""
    out = np.full(len(texts), np.nan)
    try:
        for i in where:
            stamp = parse(texts[i])
            out[i] = (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()
    except ValueError:
        return None
    return out


def _strptime(fmt: str):
    def parse(text: str) -> datetime:
        stamp = datetime.strptime(text, fmt)
        return stamp.replace(year=1970) if "%Y" not in fmt else stamp  # a clock time alone

    return parse
