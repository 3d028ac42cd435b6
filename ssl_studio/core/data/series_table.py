"""CSV and TSV tables as series: delimiter, header, column roles and layout (see timeseries.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ssl_studio.core.data.column_roles import column_role, header_words, short_time_name
from ssl_studio.core.data.csv_cells import MISSING, is_number
from ssl_studio.core.data.csv_stream import UNKEPT, NeedCells, read_lean, stacked
from ssl_studio.core.data.csv_whole import WholeText
from ssl_studio.core.data.records import DecodedItem, ImportProblem
from ssl_studio.core.data.series_clock import clock_note
from ssl_studio.core.data.series_items import Decoded, label_strings, make_items
from ssl_studio.core.data.series_timeline import read_timeline
from ssl_studio.core.data.series_times import parse_times

EPOCH_MS = 1e11  # a time column's numbers from here on are Unix milliseconds (see seconds)
UNIQUE_TEXT_ROWS = 5  # a label column with this many lines, all different, is no label


def _counts_rows(values: np.ndarray) -> bool:
    """values: ``[R]`` -> True for a row counter 0, 1, 2, ... (or 1, 2, 3, ...)."""
    return bool(len(values) > 1 and values[0] in (0, 1) and (np.diff(values) == 1).all())


class _Table(WholeText):
    """The cells of a CSV column by column, their roles (time/label/id/index) and the layout."""

    def __init__(
        self,
        path: Path,
        layout: str,
        prefer: str | None = None,
        header: tuple[str, ...] = (),
        lean: bool = True,
        channels: tuple[str, ...] = (),
    ) -> None:
        """lean: read in pieces when csv_stream can (else, or when False, whole);
        channels: names that are channels whatever they say (a model's, in predict)."""
        self.path, self.file, self.named_channels = path, path.name, frozenset(channels)
        self.times: dict[int, np.ndarray] = {}  # date-time columns read as seconds (lean)
        self.notes: list[ImportProblem] = []  # on how the cells were read (WholeText)
        table = read_lean(path, layout, header) if lean else None
        if table is not None:
            vars(self).update(vars(table))
        else:
            self._read_whole(path)
        # no header row, as many columns as the training files' header: read as they were
        self.header_given = bool(
            header and layout != "rows" and not any(self.names) and len(header) == len(self.names)
        )
        if self.header_given:
            self.names = list(header)
        self.spare_times: list[int] = []  # more time columns, left out (see _find_roles)
        self.roles = self._find_roles()
        out = {*self.roles.values(), *self.spare_times}
        self.channels = [j for j in range(len(self.names)) if j not in out]
        if not self.channels and out:
            used = ", ".join(self.describe(j) for j in sorted(out))
            if any(self.names):
                fix = (
                    "Rename a column that holds measurements (for example 'value') and "
                    "import it again, or check that this is the right file."
                )
            else:  # no header row: its columns were judged by what they hold
                fix = (
                    "It has no header row, so its columns were judged by what they hold. "
                    "Add a column of measurements, or check that this is the right file."
                )
            raise ImportProblem(
                "csv-no-numeric",
                f"{self.file} holds no measured values: {used} "
                f"{'is' if len(out) == 1 else 'are'} read as times, labels or ids. {fix}",
            )
        if not self.channels:
            raise ImportProblem(
                "csv-no-numeric",
                f"{self.file} has no numeric column, so it "
                "holds no series. Check that this is the right file.",
            )
        self.layout = self._choose(layout, prefer)

    def describe(self, j: int) -> str:
        return f"column {self.names[j]!r}" if self.names[j] else f"column {j + 1}"

    def _find_roles(self) -> dict[str, int]:
        """role -> column index; a text column that is no time, label or id is an error.
        A second column of text times ("clock") is read with the first (a date column and
        a time-of-day column, as many exports write them: see ``seconds``). Another
        column named as a time whose numbers only increase (``time_s`` beside
        ``time_ms``, ``elapsed`` beside ``timestamp``) is another clock of the same rows,
        no channel: it goes to ``spare_times`` (a column of text date-times is the time
        before one of numbers)."""
        roles: dict[str, int] = {}
        if self.head and self.names[0] is None and _counts_rows(self.values[0]):
            roles["index"] = 0
        for j in range(len(self.names)):
            role = self._role(j)
            if role == "time" and "time" in roles and "clock" not in roles:
                first = roles["time"]
                if self.text[j].any() and self.text[first].any():
                    roles["clock"] = j
                elif self.text[j].any() and self._increases(first):
                    roles["time"] = j  # date-times over seconds counted from some start
                    self.spare_times.append(first)
                elif not self.text[j].any() and self._increases(j):
                    self.spare_times.append(j)
            elif role and role not in roles:
                roles[role] = j
        for j, text in enumerate(self.text):
            if j in roles.values() or not text.any():
                continue
            if (~np.isnan(self.values[j])).any():
                row = int(np.argmax(text))
                raise ImportProblem(
                    "csv-mixed-types",
                    f"{self.describe(j)} of {self.file} mixes numbers and text (first "
                    f"text on line {self.lines[row]}; the cell is not repeated here, it may "
                    "name a patient). Fix the cell, or name the column label/time/id in a "
                    "header row.",
                )
            if "time" not in roles and self._times(j) is not None:
                roles["time"] = j
            elif (
                "clock" not in roles
                and "time" in roles
                and self.text[roles["time"]].any()
                and self._date_and_clock(roles["time"], j) is not None
            ):
                roles["clock"] = j  # a date, then a time of day (or the other way round)
            elif "label" not in roles and j in (0, len(self.names) - 1):
                self._refuse_unique_texts(j)
                roles["label"] = j
            else:
                raise ImportProblem(
                    "csv-layout",
                    f"{self.describe(j)} of {self.file} holds text "
                    "but is no label, time or id column. Remove it, or name it "
                    "label/time/id in a header row.",
                )
        return roles

    def _role(self, j: int) -> str | None:
        """column_role of column ``j``'s name, but None (a channel) for a name among
        ``named_channels``, and for one named only as a short time (``ts``, ``unix_ts``:
        column_roles.short_time_name) over numbers that go back somewhere: a measured
        series called ``ts``, not a clock."""
        name = self.names[j]
        role = column_role(name)
        if name is not None and name.strip() in self.named_channels:
            return None
        if role == "time" and short_time_name(name) and not self.text[j].any():
            values = self.values[j][~np.isnan(self.values[j])]
            return role if bool((np.diff(values) >= 0).all()) else None
        return role

    def _increases(self, j: int) -> bool:
        """Column ``j`` holds numbers only (missing cells aside) that only increase."""
        values = self.values[j][~np.isnan(self.values[j])]
        text = self.text[j].any()
        return bool(not text and len(values) > 1 and (np.diff(values) > 0).all())

    def spare_time_notes(self) -> list[ImportProblem]:
        """A note (stored in the import report) on each time column left out."""
        time = self.describe(self.roles["time"]) if "time" in self.roles else "another column"
        return [
            ImportProblem(
                "csv-time-extra",
                f"{self.describe(j)} of {self.file} was left out of the channels: its name "
                f"says it is a time and its values only increase, so it is taken for another "
                f"clock of the rows beside {time}, the time read. If it is a measurement, "
                "rename the column (without a time word such as time, s, ms, elapsed) and "
                "import the file again to keep it as a channel.",
                "info",
            )
            for j in self.spare_times
        ]

    def _refuse_unique_texts(self, j: int) -> None:
        """A text column taken for class labels must repeat its classes: one that differs
        on every line names rows (a patient, a date in an unknown format), and its values
        would be stored as label text."""
        texts = [c.strip() for c in self._cells(j).tolist() if c.strip().lower() not in MISSING]
        if len(texts) >= UNIQUE_TEXT_ROWS and len(set(texts)) == len(texts):
            raise ImportProblem(
                "csv-layout",
                f"{self.describe(j)} of {self.file} holds a different text on each of its "
                f"{len(texts)} lines, so it is no column of class labels. If it is a date or "
                "time, write it as 2024-03-01 12:00:00 or name the column time; if it names "
                "the series or a patient, name it id; if it really is labels, name it label "
                "(in a header row).",
            )

    def _choose(self, layout: str, prefer: str | None) -> str:
        if layout == "rows" and "time" in self.roles:
            raise ImportProblem(
                "csv-layout",
                f"{self.file} cannot be read one row per series: "
                f"{self.describe(self.roles['time'])} is a time column, so each "
                "row is a time step. Use the columns layout.",
            )
        if layout != "auto":
            return layout
        if "time" in self.roles:
            return "columns"
        if "label" in self.roles:
            return "rows"
        if "id" in self.roles and self._id_changes():
            return "rows"  # a patient or series per line
        if prefer == "columns" and len(self.lines) >= 2:
            return "columns"
        if prefer == "rows" and len(self.channels) >= 2:
            return "rows"
        return "columns" if len(self.lines) >= len(self.channels) else "rows"

    def _id_changes(self) -> bool:
        """The id column holds more than one value (a row counter does not count)."""
        if _counts_rows(self.values[self.roles["id"]]):
            return False
        return len(set(self.cell_texts("id")) - {None}) > 1

    def constant(self, role: str) -> str | None:
        """The one value of a label/id column in the columns layout (error if it changes)."""
        if role not in self.roles:
            return None
        j = self.roles[role]
        values = set(self.cell_texts(role)) - {None}
        if len(values) > 1 and not (role == "id" and _counts_rows(self.values[j])):
            episodes = (
                " A recording labelled by time ranges: cut it into one file per labelled "
                "episode (in a folder per label, for labels from folder names) or save the "
                "episodes as an NPZ with X [N, C, T] and y, and import those; to pretrain "
                "on the whole recording, import a copy without this column."
                if role == "label"
                else ""
            )
            raise ImportProblem(
                "csv-layout",
                f"{self.describe(j)} of {self.file} changes "
                f"between rows, but in the columns layout a file is one series "
                f"with one {role}. Use the rows layout if each row is a series; "
                f"a label per time step, or many series stacked, is not supported.{episodes}",
            )
        return values.pop() if len(values) == 1 else None

    def seconds(self) -> np.ndarray | None:
        """The time column as seconds ``[R]`` (NaN where missing), or None when its cells
        are no times; a date column and a time-of-day column are read together. Raises
        ImportProblem when the two do not make date-times."""
        j = self.roles["time"]
        if "clock" in self.roles:
            k = self.roles["clock"]
            seconds = self._date_and_clock(j, k)
            if seconds is None:
                raise ImportProblem(
                    "csv-time",
                    f"{self.describe(j)} and {self.describe(k)} of {self.file} both hold "
                    "times, but together they do not read as a date and a time of day (such "
                    "as 2024-03-01 and 10:00:00.5). Put the date and the time in one column "
                    "named time (2024-03-01 10:00:00.5), or remove the column that is not "
                    "the time of each row.",
                )
            return seconds
        if self.text[j].any():
            return self._times(j)
        values, words = self.values[j], header_words(self.names[j])
        # Unix time in ms (1.7e12): as seconds it would be past the year 5000, so numbers
        # from EPOCH_MS on are milliseconds unless the header says seconds ("time_s")
        known = bool({"s", "sec", "secs", "seconds"} & set(words))
        big = not known and bool((np.abs(values[~np.isnan(values)]) >= EPOCH_MS).all())
        ms = "ms" in words or (big and not np.isnan(values).all())
        return values / 1000.0 if ms else values  # (seconds: the column itself, no copy)

    def _date_and_clock(self, j: int, k: int) -> np.ndarray | None:
        """Columns ``j`` and ``k`` (a date and a time of day, in either order) read
        together as seconds ``[R]``, or None when they do not make date-times."""
        first, second = (np.char.strip(self._cells(c)) for c in (j, k))
        gone = np.isin(np.char.lower(first), MISSING) | np.isin(np.char.lower(second), MISSING)
        for a, b in ((first, second), (second, first)):
            seconds = parse_times(np.where(gone, "", np.char.add(np.char.add(a, " "), b)))
            if seconds is not None:
                return seconds
        return None

    def cell_texts(self, role: str) -> list[str | None]:
        """The stripped cells of a role's column, None where missing or without that column."""
        if role not in self.roles:
            return [None] * len(self.lines)
        j = self.roles[role]
        if self.cells[j] is None:
            return label_strings(self.values[j])
        cells = [c.strip() for c in self._cells(j).tolist()]
        return [None if c.lower() in MISSING else c for c in cells]

    def _cells(self, j: int) -> np.ndarray:
        """The text cells of column ``j`` (NeedCells: the lean reader did not keep them)."""
        if self.cells[j] is UNKEPT:
            raise NeedCells
        return self.cells[j]

    def _times(self, j: int) -> np.ndarray | None:
        """Column ``j`` as seconds (series_times.parse_times), or None: no date-times."""
        return self.times[j] if j in self.times else parse_times(self.cells[j])

    def filled_rows(self, start: int) -> int:
        """Rows from ``start`` on that hold a cell (a missing-value word such as NaN or NA
        is a cell; a line of empty cells, as a spreadsheet appends, is not)."""
        if start >= len(self.lines):
            return 0
        kept = [c for c in self.cells if isinstance(c, np.ndarray)]
        if len(kept) < len(self.cells):  # read as numbers (or date-times): no empty cell
            return len(self.lines) - start
        filled = np.zeros(len(self.lines) - start, bool)
        for cells in kept:
            filled |= np.char.str_len(np.char.strip(cells[start:])) > 0
        return int(filled.sum())

    def block(self) -> np.ndarray:
        """Numeric channels as float32 ``[R, C]``."""
        return np.stack([self.values[j] for j in self.channels], axis=1).astype(np.float32)

    def series(self) -> np.ndarray:
        """Numeric channels as float32 ``[C, R]`` (the lean reader's rows, uncopied)."""
        return stacked([self.values[j] for j in self.channels])


def decode_table(
    path: Path,
    layout: str,
    rate: float | None,
    prefer: str | None = None,
    header: tuple[str, ...] = (),
    channels: tuple[str, ...] = (),
) -> Decoded:
    """A CSV/TSV file -> (items, problems of single series); ``header``, ``channels``:
    see timeseries.decode_series_file.

    Values of an id column (which may be patient identifiers) never name an item: they go
    to the item's ``group_id`` field, which the decoder turns into a salted key.
    """
    try:
        table: _Table | None = _Table(path, layout, prefer, header, channels=channels)
    except NeedCells:  # read in pieces, but a rule needs a column's text: read it whole
        table = None  # (after the except block, which holds the pieces read)
    if table is None:
        table = _Table(path, layout, prefer, header, lean=False, channels=channels)
    meta: dict = {"layout": table.layout, "channel_names": None}
    if table.header_given:
        meta["columns_from"] = "training"
    if table.encoding:
        meta["encoding"] = table.encoding
    problems: list[ImportProblem] = table.notes + table.spare_time_notes()
    j, named = table.channels[0], any(not is_number(n or "0") for n in table.names)
    if table.layout == "columns" and "time" not in table.roles and named:  # an unnamed clock?
        clock = clock_note(table.describe(j), table.values[j], table.file)
        problems.extend([clock] if clock else [])
    if table.layout == "columns":
        return _columns_items(table, meta, rate, problems), problems
    names = [f"row {line}" for line in table.lines]
    x = table.block()[:, None, :]  # [N, 1, T]
    labels = table.cell_texts("label")
    items = make_items(x, names, labels, meta, rate, 0, table.file, problems)
    _set_group_ids(items, table.cell_texts("id"))
    return items, problems


def _set_group_ids(items: list[DecodedItem], ids: list[str | None]) -> None:
    for item in items:
        if ids[item.index] is not None:
            item.fields["group_id"] = ids[item.index]


def _columns_items(
    table: _Table, meta: dict, rate: float | None, problems: list[ImportProblem]
) -> list[DecodedItem]:
    """The whole table as one series ``[C, T]``."""
    if table.widths.min() != table.widths.max():
        short = int(np.argmin(table.widths))
        raise ImportProblem(
            "csv-ragged",
            f"Rows of {table.file} have different numbers of cells "
            f"(line {table.lines[short]} has {table.widths[short]}, others "
            f"{table.widths.max()}). Fill in the missing cells, or use the rows "
            "layout if each row is a series.",
        )
    label, group_id = table.constant("label"), table.constant("id")
    x = table.series()[None]  # [1, C, T]
    # rows after the last value that hold a cell (a time, NaN, NA: a recorder taken off)
    # are missing data: the series ends at its last value, as at import (make_items trims
    # them), and predict says so. Rows without a single cell (blank lines a spreadsheet
    # appended) are nothing: not counted
    valued = np.isfinite(x[0]).any(axis=0)  # [T]
    if valued.any() and (ended := table.filled_rows(len(valued) - int(np.argmax(valued[::-1])))):
        meta["missing_end_rows"] = ended
    if "time" in table.roles:
        seconds = table.seconds()
        present = ~np.isnan(x[0]).all(axis=0)  # [T]
        if seconds is not None:  # (rows at the end without values are trimmed anyway)
            end = len(present) - int(np.argmax(present[::-1]))
            what = f"{table.describe(table.roles['time'])} of {table.file}"
            line = read_timeline(seconds[:end], table.lines[:end], what, rate)
            x, rate = line.apply(x[:, :, :end]), line.rate or rate
            problems.extend(line.notes)
            meta.update(line.meta)
        else:  # imported, but its rate must not be lost without a word (import report)
            problems.append(
                ImportProblem(
                    "csv-time-unread",
                    f"{table.describe(table.roles['time'])} of {table.file} holds times in a "
                    "form that was not recognised, so its sampling rate is "
                    + (f"taken as the {rate:g} per second given." if rate else "unknown.")
                    + " Write the times as 2024-03-01 10:00:00.5 or in seconds"
                    + ("." if rate else ", or give the sampling rate (--sampling-rate)."),
                    "warning",
                )
            )
            meta["times"] = "unread"
    names = [table.names[j] for j in table.channels]
    meta["channel_names"] = names if any(names) else None
    if any(table.names) and len(table.names) > len(names) and not table.header_given:
        meta["columns"] = list(table.names)  # the whole header (a time column too): predict
        # reads a file without one as this was read
    items = make_items(x, [table.path.stem], [label], meta, rate, 0, table.file, problems)
    _set_group_ids(items, [group_id])
    return items
