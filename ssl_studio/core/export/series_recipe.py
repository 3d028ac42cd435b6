"""The exact reading of a series model's files, as the model card states it: the "read"
step (from a CSV/TSV/NPY/NPZ file to ``x`` and ``observed``) and the training windows'
lengths, from the readers' own rules and constants (core/data/series_table.py,
series_timeline.py, series_items.py, series_arrays.py; core/export/preprocess.py), so
that a file fed by following the text gives ``ssl-studio predict``'s probabilities."""

from __future__ import annotations

from typing import Any

from ssl_studio.core.data.column_roles import ENGLISH_TIME_NAMES
from ssl_studio.core.data.csv_cells import MISSING
from ssl_studio.core.data.series_items import MIN_LENGTH
from ssl_studio.core.data.series_timeline import GAP, MOST_FILLED
from ssl_studio.core.export.training_lengths import longest_window, recorded_lengths


def read_step(spec: dict[str, Any]) -> str:
    """The card's "read" step of a series model (``spec``: its channels)."""
    words = ", ".join(f"'{w}'" for w in MISSING if w)
    channels = spec["in_channels"]
    return (
        "CSV/TSV files are read with the layout of csv_layout (columns: one row per time "
        "step). Columns that are no channels are left out: the time column (a header "
        f"naming a time, such as {', '.join(ENGLISH_TIME_NAMES[:-1])} or "
        f"{ENGLISH_TIME_NAMES[-1]}, also with a unit or in other languages, or a column of text "
        "date-times), a second time column of numbers that only increase, a first column "
        "without a name that counts 0, 1, 2, ... or 1, 2, 3, ... (a row index), and a "
        "label or id column; the other columns are the channels, matched to the model's "
        "as channel_matching says. Every cell is read as a float32 number; an empty cell, "
        f"a missing-value word ({words}, in any case), NaN, an infinite value or one too "
        "large for float32 is missing: x = 0 and observed = 0 there, else x = the value "
        "and observed = 1. With a time column, the rows are laid on an evenly spaced "
        f"timeline: a step between rows of {GAP:g} times the median step or more is a gap, "
        "filled with missing steps (observed = 0) so that the samples stay evenly spaced "
        f"(not filled when that would add more than {MOST_FILLED} times the file's rows); "
        "a time that goes back, repeats or is missing keeps its row in file order, one "
        "step after the row before (the README's 'Gaps and uneven times' gives every "
        "rule; predict's note says when either happened). Then the series ends at its "
        "last time step holding a value in any channel: rows after it (a time but empty "
        "cells, NaN or NA in every channel) are dropped, not fed with observed = 0; steps "
        "without a value before it are kept. NPY: an array [T] is one series of 1 channel, "
        "[N, T] N series of 1 channel and [N, C, T] N series of C channels"
        + (
            f" (a recording of {channels} channels saved [C, T] or [T, C] is read as "
            f"series of 1 channel and refused: save it as [1, {channels}, T])"
            if channels > 1
            else ""
        )
        + "; NPZ: each numeric array likewise (arrays of labels, such as y, aside). In "
        "arrays too, NaN and infinite values are missing and the steps after the last "
        f"value are dropped. A series left with fewer than {MIN_LENGTH} steps is not read."
    )


def window_fields(spec: dict[str, Any]) -> dict[str, Any]:
    """The training windows' cap (the run's ``series_length``) and the longest window
    training really used (the cap or the longest training recording, whichever is
    shorter; None where the recordings' lengths were not recorded), in steps."""
    return {
        "training_window_cap": spec["series_length"],
        "longest_training_window": longest_window(spec) if recorded_lengths(spec) else None,
    }


def window_words(key: str, steps: int) -> str:
    """MODEL_CARD.md's words for a field of ``window_fields``."""
    if key == "training_window_cap":
        return (
            f"{steps} steps (series_length: the most steps a training window could hold, "
            "a setting of the run, not a length the model needs; see "
            "longest_training_window)"
        )
    return (
        f"{steps} steps (the longest window training used: the cap or the longest "
        "training recording, whichever is shorter)"
    )
