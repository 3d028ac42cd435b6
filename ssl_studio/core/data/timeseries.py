"""Time-series reader: CSV/TSV tables and NumPy arrays into ``[C, T]`` float32 series.

Every series comes out as float32 ``[C, T]`` (C channels, T time steps) with NaN where a value
is missing. Time steps at the end where every channel is NaN are trimmed (that is how NaN-padded
series of unequal length arrive); leading and inner NaN stay.

CSV / TSV
    Delimiter: tab for ``.tsv``; for ``.csv`` sniffed among ``,`` ``;`` tab ``|`` (with ``;``,
    tab or ``|`` a decimal comma such as ``1,5`` reads as 1.5). A header row is recognised when
    the first row has text where the rows below hold numbers, names a time, label or id column,
    or is pandas' ``0, 1, 2, ...``. Empty cells and NA, N/A, NaN, null, None are missing values.
    Text is decoded as UTF-8 (with or without BOM) or UTF-16 with BOM, else as cp1252 or
    latin-1 (then named in ``meta["encoding"]``). A plain table (a header, rows of numbers,
    perhaps ISO date-times) is read in pieces, with the same result (csv_stream.py); any
    other is read whole (csv_whole.py).

    columns -- one file per series: each row is a time step, each numeric column a channel.
        One optional time column, known by its header (time, timestamp, t, date, datetime,
        seconds, sec, ms; also ``time (s)``, ``time_ms``) or by ISO date-times; uniform spacing
        gives ``sampling_rate`` in Hz (values in seconds; milliseconds when the header says ms).
        A date column beside a time-of-day column (``date,time``) is read as one date-time.
        Gives one series ``[C, T]`` named after the file, channel names from the header. A label
        or id column must hold one value on every row (an id counting 1, 2, 3 is row numbers,
        ignored); an unnamed first column counting 0, 1, 2 (a pandas index) is dropped.
    rows -- one row per series: each row is a univariate series ``[1, T]`` named ``row N`` (N:
        its line in the file). Rows may differ in length (fewer cells or trailing empty cells).
        One optional label column (header label, class, target, y, category, diagnosis, or a
        column of text in first or last position) and one optional id column (header id, name,
        series, subject) that names the series.

    ``layout="auto"``: a time column means columns; else a label column means rows; else columns
    when the numeric block has at least as many rows as columns, rows otherwise.
    ``layout="columns"`` or ``"rows"`` forces one (error ``csv-layout`` when the file cannot fit).

NPY / NPZ (loaded with ``allow_pickle=False``: nothing is ever unpickled)
    ``[T]`` is one series ``[1, T]``; ``[N, T]`` is N univariate series; ``[N, C, T]`` is N series
    of C channels. Bool, integer and float dtypes are cast to float32. In an NPZ every numeric
    array with 1 to 3 dimensions reads like an NPY (series named ``key[i]``), except label
    arrays: a 1-D array named ``y``, ``labels``, ``label``, ``targets`` (matching ``X`` or the only
    series array) or ``y_<suffix>`` (matching ``X_<suffix>``) whose length equals the number of
    series gives their labels, as strings. UCR-style ``X_train, y_train, X_test, y_test`` works.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ssl_studio.core.data.csv_cells import UTF16_BOMS as UTF16_BOMS
from ssl_studio.core.data.records import DecodedFile, ImportProblem
from ssl_studio.core.data.series_arrays import decode_arrays
from ssl_studio.core.data.series_table import decode_table

SERIES_EXTENSIONS: frozenset[str] = frozenset({".csv", ".tsv", ".npy", ".npz"})
UNICODE_TEXT_HEAD = 8192  # bytes read to tell Excel's Unicode Text from a note
LAYOUTS = ("auto", "columns", "rows")


def is_unicode_text(suffix: str, head: bytes) -> bool:
    """Whether a file is Excel's "Unicode Text" table, from its first bytes ``head``: a
    ``.txt`` file in UTF-16 with its byte-order mark whose first lines (up to 5, at
    least 2) hold the same number of tabs, one or more (read as a CSV, its delimiter
    sniffed). Other ``.txt`` files (notes, reports that may name patients, Notepad's
    "Unicode" text too) are never read."""
    if suffix != ".txt" or not head.startswith(UTF16_BOMS):
        return False
    text = head[: len(head) // 2 * 2].decode("utf-16", errors="ignore")
    lines = text.replace("\r\n", "\n").split("\n")[:-1][:5]  # (whole lines only)
    tabs = {line.count("\t") for line in lines}
    return len(lines) >= 2 and len(tabs) == 1 and tabs != {0}


def unicode_text_file(path: Path, suffix: str) -> bool:
    """``is_unicode_text`` of the file at ``path`` (False when it cannot be read)."""
    if suffix != ".txt":
        return False
    try:
        with open(path, "rb") as f:
            return is_unicode_text(suffix, f.read(UNICODE_TEXT_HEAD))
    except OSError:
        return False


def decode_series_file(
    path: Path,
    *,
    layout: str = "auto",
    sampling_rate: float | None = None,
    prefer: str | None = None,
    header: tuple[str, ...] = (),
    channels: tuple[str, ...] = (),
) -> DecodedFile:
    """Read one CSV/TSV/NPY/NPZ file into ``DecodedFile(kind="series")`` of ``[C, T]`` items.

    prefer: under the auto layout, the layout to take when nothing in a CSV decides it
    (no time, label or changing id column) and it gives series of 2 steps or more: the
    one the training files were read with, so that a short recording is not read
    sideways.

    header: the training files' header row (predict): a CSV without one, with as many
    columns, is read as if it had it (its time, label or id column known by position), and
    its items' ``meta["columns_from"]`` says so. Never under the rows layout.

    channels: a model's channel names (predict): a column named so is a channel, never
    a time, label or id (a model exported when ``ts`` was no time name reads its files).

    Raises ImportProblem (never another exception) when the whole file cannot be read.
    """
    path = Path(path)
    if layout not in LAYOUTS:
        raise ImportProblem("layout-unknown", f"Unknown layout {layout!r}; use one of {LAYOUTS}.")
    suffix, rate = path.suffix.lower(), None if sampling_rate is None else float(sampling_rate)
    if suffix not in SERIES_EXTENSIONS and not unicode_text_file(path, suffix):
        raise ImportProblem(
            "format-unknown",
            f"{path.name} is not a series file ({', '.join(sorted(SERIES_EXTENSIONS))}).",
            "skipped",
        )
    try:
        if path.stat().st_size == 0:
            raise ImportProblem("empty", f"{path.name} is empty (0 bytes). Remove or replace it.")
        with np.errstate(all="ignore"):  # a float64 beyond float32 becomes inf, quietly
            if suffix in (".npy", ".npz"):
                items, problems = decode_arrays(path, rate)
            else:
                items, problems = decode_table(path, layout, rate, prefer, header, channels)
    except ImportProblem:
        raise
    except Exception as e:  # the importer must only ever see an ImportProblem
        raise ImportProblem(
            "unreadable",
            f"{path.name} could not be read ({getattr(e, 'strerror', None) or e}). Check the file.",
        ) from e
    if not items and problems and all(p.code == "series-too-short" for p in problems):
        first = problems[0].message
        raise ImportProblem(
            "series-too-short", f"Every series in {path.name} is too short; the first: {first}"
        )
    if not items:
        raise ImportProblem(
            "series-all-missing",
            f"Every series in {path.name} is entirely "
            "missing (only empty, NA or infinite values). Fill in values or remove the file.",
        )
    return DecodedFile(kind="series", items=items, problems=problems)
