"""Checks of a file's values before the exported model answers for it.

A network answers every input, and answers garbage as surely as a real image: a black or
a white page, an image that is mostly NaN, a recording whose rows are empty or whose
values are in other units got 0.99-1.0 from the models of the safety audit. ``predict``
therefore checks each input's values first and gives an error row (no answer) or a note:

- missing values (NaN or infinite): more than ``MISSING_ERROR`` of an image's pixels is
  an error (they are read as its lowest value), any a note. A series model reads a mask
  of what was observed, so a series (or, predicted in windows, each window) is an error
  when next to nothing of it is left or when it holds gaps the model never saw: more
  than ``SERIES_MISSING_ERROR`` of its values missing (in the channels it has), or,
  where the card records the training recordings' largest share (most_missing), more
  than max(``TRAINED_MISSING_ERROR``, that + ``TRAINED_MISSING_MARGIN``); or fewer than
  ``SERIES_FEWEST_STEPS`` steps with a value where it has more steps (a whole series:
  its rows after its last value too; a short recording whole is no garbage); more than
  ``SERIES_MISSING_NOTE`` missing, or any infinite value, is a note.
  Rows without a single cell (blank lines a spreadsheet appended) are no values at all;
  rows after the last value that hold a cell (a time, NaN, NA) are left out by the
  reader (the series ends at its last value, as at import) and said in a note;
- no contrast: an image whose content, windowed as training windowed it, is one value
  in at least ``FLAT_SHARE`` of its pixels is an error; a series whose every channel
  holds one value is an error, one with some such channels a note (a sensor at rest);
- for series, each channel against the standardisation its model learned (the card's
  channel_standardisation: the training data's mean and std): a median more than
  ``SCALE_ERROR`` training stds from the training mean, or a spread more than
  ``SCALE_ERROR`` times the training std, is an error (other units: values 1000 times
  as large, or garbage); beyond ``SCALE_NOTE`` a note.

Not detected: random noise or a photograph of something else with normal contrast and
no missing values, an image within the training range of intensities but of the wrong
anatomy, series in units close to the training ones. Notes and errors name counts and
scales only, never a value read from a patient's header.
"""

from __future__ import annotations

from typing import Any

import numpy as np

MISSING_ERROR = 0.5  # share of an image's missing values above which no answer is given
SERIES_MISSING_ERROR = 0.9  # ... of a series' (or window's) missing values
SERIES_FEWEST_STEPS = 10  # a series with fewer steps holding a value gets no answer
SERIES_MISSING_NOTE = 0.1  # a series with more missing values than this gets a note
# where the card has most_missing (the training recordings' largest share), a series
# missing more than max(TRAINED_MISSING_ERROR, most_missing + TRAINED_MISSING_MARGIN)
# holds gaps the model never saw: no answer (see missing_limit)
TRAINED_MISSING_ERROR = 0.5
TRAINED_MISSING_MARGIN = 0.25
FLAT_SHARE = 0.99  # share of pixels at one value (windowed) that makes an image flat
FLAT_BAND = 0.01  # "one value": within this of the median, on the windowed 0-1 scale
FLAT_SAMPLES = 65_536  # pixels looked at, at most (evenly spaced)
SCALE_ERROR = 100.0  # a channel this far from the training scale gets no answer
SCALE_NOTE = 10.0  # ... and this far a note
FLAT_RELATIVE = 1e-6  # a channel's spread below this many training stds: constant


def _share(count: int, total: int) -> str:
    """count of total as a percentage ("over 99 %" where it is not all)."""
    if count < total and 100 * count / total > 99:
        return "over 99 %"
    return f"{100 * count / total:.0f} %" if total else "0 %"


def image_missing(fields: dict[str, Any]) -> tuple[str | None, str]:
    """(error, note) of an image item whose source pixels were partly NaN or infinite
    (``fields["n_missing"]``, counted by pixels.to_cache; they are read as its lowest
    value); (None, "") when none were."""
    missing = int(fields.get("n_missing") or 0)
    total = int(fields.get("height") or 0) * int(fields.get("width") or 0)
    total *= int(fields.get("channels") or 1)
    if not missing or not total:
        return None, ""
    share = _share(missing, total)
    if missing > MISSING_ERROR * total:
        return (
            f"{share} of this image's pixel values are missing (NaN or infinite): no answer "
            f"is given for an image more than {MISSING_ERROR:.0%} missing. Check how the "
            "file was made (a failed reconstruction or conversion?) and predict a complete "
            "one."
        ), ""
    return None, (
        f"{missing} of this image's pixel values ({share}) are missing (NaN or infinite) "
        "and were read as its lowest value."
    )


def image_flat(array: np.ndarray, fields: dict[str, Any]) -> str | None:
    """Why an image item (stored [C, S, S], its fields with the window it is read with)
    holds no picture for the model, or None: windowed to 0-1 as training windowed it,
    ``FLAT_SHARE`` of its content pixels lie within ``FLAT_BAND`` of one value (a blank,
    a white page, a constant DICOM, or a window that puts all of it outside)."""
    box = array[:, fields["box_y0"] : fields["box_y1"], fields["box_x0"] : fields["box_x1"]]
    flat = box.reshape(-1)
    if flat.size > FLAT_SAMPLES:
        flat = flat[:: flat.size // FLAT_SAMPLES]
    if not flat.size:
        return None
    real = flat.astype(np.float64) * float(fields["value_scale"]) + float(fields["value_offset"])
    width = max(float(fields["window_width"]), 1e-6)
    u = np.clip((real - (float(fields["window_center"]) - width / 2)) / width, 0.0, 1.0)
    at_one = np.abs(u - np.median(u)) <= FLAT_BAND
    if at_one.mean() < FLAT_SHARE:
        return None
    return (
        f"This image has no contrast: {_share(int(at_one.sum()), at_one.size)} of its pixels "
        "have one value once windowed as the training images were (a blank or uniform "
        "image, or one whose values all lie outside its window), and the model would "
        "answer it as surely as a real one. Check the file; no answer is given."
    )


def _channel(names: list[str] | None, row: int) -> str:
    return repr(names[row]) if names and row < len(names) else f"channel {row + 1}"


def series_missing(
    values: np.ndarray,
    rows: list[int],
    meta: dict[str, Any] | None = None,
    rate: float | None = None,
    whole: bool = True,
    trained: float | None = None,
) -> tuple[str | None, str]:
    """(error, note) of a series ``values`` [C, T] (NaN where missing) from its missing
    values in the channels ``rows`` it has values in (channels it lacks or that hold no
    value at all are said elsewhere): ``missing_share``'s, where the model reads it
    ``whole`` (else each window is judged), and notes of its infinite values (``meta``:
    the decoded item's ``infinite_values``) and of the rows after its last value that
    hold a cell but no value (``missing_end_rows``, ``rate`` per second where known: not
    read); ``trained``: see missing_share."""
    if not rows:
        return None, ""
    meta = meta or {}
    part = values[rows]
    said: list[str] = []
    if whole:
        ended = int(meta.get("missing_end_rows") or 0)  # (not read: its steps all the same)
        fewest = min(SERIES_FEWEST_STEPS, part.shape[-1] + ended)
        error, note = missing_share(np.isfinite(part), fewest, trained=trained)
        if error:
            return error, ""
        said.append(note)
        said.append(ended_note(ended, rate))
    infinite = int(meta.get("infinite_values") or 0) + int(np.isinf(part).sum())
    if infinite:
        verb = "is" if infinite == 1 else "are"
        said.append(
            f"{infinite} of its values {verb} infinite (too large to store, such as 1e39): "
            "read as missing values."
        )
    return None, " ".join(n for n in said if n)


def missing_share(
    observed: np.ndarray, fewest: int, what: str = "series", trained: float | None = None
) -> tuple[str | None, str]:
    """(error, note) of a series or window (``what``) from ``observed`` [C, L] (True where
    a value was read; C: the channels the file has values in): an error where more than
    ``SERIES_MISSING_ERROR`` of its values are missing or fewer than ``fewest`` of its
    steps hold a value (the model reads the gaps masked, but would answer next to nothing
    as surely as a whole recording); a note beyond ``SERIES_MISSING_NOTE``, with the
    training recordings' largest share (``trained``: the card's most_missing) where known."""
    total = int(observed.size)
    if not total:
        return None, ""
    missing = total - int(observed.sum())
    steps = int(observed.any(axis=0).sum())
    share = _share(missing, total)
    whose = "this series'" if what == "series" else f"this {what}'s"
    if steps < fewest:
        return (
            f"Only {steps} of {whose} steps hold a value: no answer is given for a {what} "
            f"with fewer than {fewest} (the model would answer next to nothing as surely as "
            "a whole recording). Check the file, or leave it out."
        ), ""
    limit = missing_limit(trained)
    most = "" if trained is None else f"{trained * 100:.0f} %"
    if missing > limit * total:
        unseen = "" if trained is None else (
            f", far more than any training recording (at most {most}), so the model "
            "never saw such gaps"
        )  # fmt: skip
        return (
            f"{share} of {whose} values are missing (empty cells, NaN or infinite){unseen}: "
            f"no answer is given for a {what} more than {limit:.0%} missing. Fill in the "
            "gaps, or leave it out."
        ), ""
    if missing > SERIES_MISSING_NOTE * total:
        if trained is None:
            how = " (read as missing values, which the model reads masked)"
        elif missing > trained * total:
            how = f", more than any training recording (at most {most}): read as missing values"
        else:
            how = f" (read as missing values; training recordings had up to {most})"
        return None, f"{share} of its values are missing{how}."
    return None, ""


def missing_limit(trained: float | None) -> float:
    """The share of missing values above which a series or window gets no answer:
    ``SERIES_MISSING_ERROR`` where the card has no most_missing (``trained``), else
    well above the training recordings' largest share: beyond max(50 %, it + 25 %), but
    never below ``SERIES_MISSING_ERROR`` for gaps training had (it, when larger)."""
    if trained is None:
        return SERIES_MISSING_ERROR
    return min(max(TRAINED_MISSING_ERROR, trained + TRAINED_MISSING_MARGIN),
               max(SERIES_MISSING_ERROR, trained))  # fmt: skip


def ended_note(rows: int, rate: float | None) -> str:
    """The note of a series whose file ends with ``rows`` rows that hold a cell (a time,
    NaN, NA) but no value (a recorder taken off): not read, as at import (``rate``: per
    second, where known; else rows only)."""
    if not rows:
        return ""
    span = f" ({duration(rows / rate)})" if rate else ""
    return (
        f"Its last {rows} rows{span} hold no value (a recorder taken off?): the series "
        "was read up to its last value, and they were not predicted."
    )


def duration(seconds: float) -> str:
    """``seconds`` as people read a span: 3 s, 2.5 min, 14 h, 9.3 days (no 1.2e+06)."""
    value, unit = seconds, "s"
    for size, name in ((86_400, "days"), (3_600, "h"), (60, "min")):
        if seconds >= 2 * size:
            value, unit = seconds / size, name
            break
    return f"{value:.3g} {unit}" if value < 1000 else f"{value:,.0f} {unit}"


def trained_missing(spec: dict[str, Any]) -> float | None:
    """The card spec's most_missing (the largest share, 0-1, of a training recording's
    values missing), or None where absent (cards before it) or not a share."""
    most = spec.get("most_missing")
    ok = isinstance(most, (int, float)) and not isinstance(most, bool) and 0 <= most <= 1
    return float(most) if ok else None


def window_missing(
    observed: np.ndarray, rows: np.ndarray, trained: float | None = None
) -> tuple[str | None, str]:
    """(error, note) of a window, observed [C, L] (the model's channels), from its missing
    values in the channels ``rows`` [C] bool (those its series has values in): as a
    whole series is judged, with at most its length for the steps needed (``trained``:
    see missing_share)."""
    part = observed[rows]
    return missing_share(part, min(SERIES_FEWEST_STEPS, part.shape[-1]), "window", trained)


def series_flat(
    values: np.ndarray, rows: list[int], names: list[str] | None
) -> tuple[str | None, str]:
    """(error, note) of a series ``values`` [C, T] whose channels ``rows`` (those with
    values) hold a single value each: all of them an error (no signal), some a note."""
    flat = []
    for row in rows:
        seen = values[row][np.isfinite(values[row])]
        if seen.size and float(seen.max() - seen.min()) == 0.0:
            flat.append(row)
    if not flat:
        return None, ""
    if len(flat) == len(rows):
        return (
            "Every channel of this series holds a single value from start to end (no "
            "signal: a disconnected or idle recorder?), and the model would answer it as "
            "surely as a real recording. Check the file; no answer is given."
        ), ""
    listed = ", ".join(_channel(names, r) for r in flat)
    verb = "holds" if len(flat) == 1 else "hold"
    return None, f"{listed} {verb} a single value from start to end."


def series_scale(
    values: np.ndarray, rows: list[int], scaling: dict[str, Any] | None
) -> tuple[str | None, str]:
    """(error, note) of a series ``values`` [C, T] whose channels ``rows`` lie far from
    the training data's scale: per channel, the median's distance from the training mean
    and the spread (std), both in training stds (``scaling``: the card's
    channel_standardisation, {channels, mean, std}; None for models without one)."""
    if not scaling or not scaling.get("mean") or not scaling.get("std"):
        return None, ""
    mean, std = scaling["mean"], scaling["std"]
    names = scaling.get("channels")
    worst: list[tuple[float, str]] = []
    for row in rows:
        if row >= len(mean) or not std[row] or std[row] <= 0:
            continue
        seen = values[row][np.isfinite(values[row])].astype(np.float64)
        if not seen.size:
            continue
        median, spread = float(np.median(seen)), float(seen.std())
        off, wide = abs(median - mean[row]) / std[row], spread / std[row]
        far = max(off, wide)
        if far <= SCALE_NOTE:
            continue
        found = f"median {median:.3g} and spread {spread:.3g}"
        trained = f"training: mean {mean[row]:.3g}, std {std[row]:.3g}"
        worst.append((far, f"{_channel(names, row)} ({found}; {trained})"))
    if not worst:
        return None, ""
    worst.sort(reverse=True)
    listed = "; ".join(text for _, text in worst[:3]) + ("; ..." if len(worst) > 3 else "")
    if worst[0][0] > SCALE_ERROR:
        return (
            f"This series' values are far outside what the model was trained on, more than "
            f"{SCALE_ERROR:g} training standard deviations away: {listed}. Other units "
            "(mV for V, m/s² for g)? Convert them to the training files' units; no answer "
            "is given."
        ), ""
    return None, (
        f"Its values lie more than {SCALE_NOTE:g} training standard deviations from what "
        f"the model was trained on: {listed}."
    )


def image_checks(array: np.ndarray, fields: dict[str, Any]) -> tuple[str | None, str]:
    """(error, note) of an image item (stored [C, S, S] and its fields, windowed as the
    model's training images were): its missing values, then its contrast."""
    error, note = image_missing(fields)
    return (error or image_flat(array, fields)), note


def series_checks(
    values: np.ndarray,
    names: list[str] | None,
    scaling: dict[str, Any] | None,
    meta: dict[str, Any] | None = None,
    rate: float | None = None,
    whole: bool = True,
    trained: float | None = None,
) -> tuple[str | None, str]:
    """(error, note) of a series ``values`` [C, T] in the model's channels (NaN where
    missing; a channel without a single value is left to the channel checks): its
    missing values, flat channels and scale (``scaling``: the card's
    channel_standardisation, or None; ``meta``, ``rate``, ``whole`` and ``trained``: see
    series_missing; predicted in windows, each window's missing values are judged by
    ``window_missing`` instead)."""
    rows = [r for r in range(values.shape[0]) if np.isfinite(values[r]).any()]
    notes = []
    for check in (
        lambda: series_missing(values, rows, meta, rate, whole, trained),
        lambda: series_flat(values, rows, names),
        lambda: series_scale(values, rows, scaling),
    ):
        error, note = check()
        if error:
            return error, ""
        notes.append(note)
    return None, " ".join(n for n in notes if n)
