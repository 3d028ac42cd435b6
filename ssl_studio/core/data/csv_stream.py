"""Long CSV recordings read in pieces: a lean reader for the tables most large files are
(a header row, then rows of numbers, perhaps a column of ISO date-times), that never holds
the file's text, float64 channels or Python lists of cells.

The delimiter, header and roles come from the file's first lines, as for any table; the
rows are then parsed ``CHUNK_BYTES`` at a time by numpy's C parser into float32 channels
(float64 for the columns whose name says time, label or id), and date-time cells into
seconds (numpy datetime64, checked against what Python's ``datetime.fromisoformat``
reads). The bytes read are reported (file_progress.py). Whenever the file is anything
else (quotes, blank or comment lines, missing cells, decimal commas, ``1.020`` with
nothing to show whether that dot is a decimal point (csv_numbers), other date formats,
another encoding than the first lines', ...), ``read_lean`` returns None, and
series_table reads the file whole as before: both give the same table."""

from __future__ import annotations

import codecs
import io
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ssl_studio.core.data import file_progress
from ssl_studio.core.data.column_roles import column_role, savetxt_header
from ssl_studio.core.data.csv_cells import (
    MISSING,
    UTF16_BOMS,
    decoded,
    is_number,
    preamble,
    sniff,
)
from ssl_studio.core.data.csv_numbers import has_ambiguous, shows_point

CHUNK_BYTES = 4 << 20  # text parsed at a time
HEAD_BYTES = 256 << 10  # the first lines: delimiter, header and roles (sniff reads 64 KiB)

# ISO 8601 date-times numpy reads exactly as datetime.fromisoformat does (no time zone)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(\.\d{3}|\.\d{6})?)?)?")
_UNITS = {10: "D", 16: "m", 19: "s", 23: "ms", 26: "us"}  # by the length of the cell


class NeedCells(Exception):
    """A rule needs the text of cells the lean reader did not keep: read the file whole."""


class Unkept:
    """The cells of a column of date-times read as seconds (``LeanTable.times``)."""


UNKEPT = Unkept()


class _NotLean(Exception):
    """The file is not one the lean reader reads."""


@dataclass
class LeanTable:
    """What series_table._Table holds of a file (see its loaders), read in pieces."""

    names: list[str | None]
    cells: list[object]  # None: numbers; UNKEPT: date-times, in ``times``
    values: list[np.ndarray]
    text: list[np.ndarray]
    lines: range
    widths: np.ndarray
    head: int
    encoding: str | None
    times: dict[int, np.ndarray] = field(default_factory=dict)


def read_lean(path: Path, layout: str = "auto", header: tuple[str, ...] = ()) -> LeanTable | None:
    """The table of ``path`` read in pieces, or None when it is not one the lean reader
    reads (``layout`` and ``header``: see series_table._Table, to know the columns that
    keep float64)."""
    raw = path.open("rb")
    with raw:
        start = raw.read(4)
        if start.startswith(UTF16_BOMS):
            return None
        lines, encoding = _count_lines(raw)
        if encoding is None:  # a byte past the first lines that is not ASCII: no lean table
            return None
        try:
            return _read(raw, path, encoding, layout, header, lines)
        except (_NotLean, ValueError):  # (UnicodeDecodeError too)
            return None


def _pieces(raw: io.BufferedReader, encoding: str, total: int) -> Iterator[str]:
    """The file's text, whole lines at a time (the first piece: the first HEAD_BYTES)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    size, carry, done = HEAD_BYTES, b"", 0
    while True:
        block = raw.read(size)
        size = CHUNK_BYTES
        done += len(block)
        data = carry + block
        end = data.rfind(b"\n") + 1 if block else len(data)
        if block and end == 0 and len(data) > 4 * CHUNK_BYTES:
            raise _NotLean  # no line ends: not a table this reader reads
        carry, data = data[end:], data[:end]
        if data:
            text = decoder.decode(data, final=not block)  # (the rows after the head: ASCII)
            if "\x00" in text:
                raise _NotLean  # csv_cells.read_text says what is wrong with it
            file_progress.report(done, total)
            yield text
        if not block:
            return


def _count_lines(raw: io.BufferedReader) -> tuple[int, str | None]:
    """Lines in the file (the last may lack its line end), and its encoding as
    csv_cells.first_fit chooses it from the first lines; None when a byte past the first
    HEAD_BYTES is not ASCII (the rows of a lean table are numbers and ISO date-times, so
    only the first lines can need an encoding; a rare non-ASCII space beside a number
    then reads whole, to the same table). The first of the two passes: the reading
    pass, and its progress, never go back to the start for a byte late in the file."""
    raw.seek(0)
    lines, last, head = 0, b"", b""
    while block := raw.read(CHUNK_BYTES):
        lines, last = lines + block.count(b"\n"), block[-1:]
        cut = max(HEAD_BYTES - len(head), 0)
        if not block[cut:].isascii():
            raw.seek(0)
            return lines, None
        head += block[:cut]
    raw.seek(0)
    return lines + int(last not in (b"", b"\n")), decoded(head)[1]  # (UTF-16 went above)


def _read(
    raw: io.BufferedReader,
    path: Path,
    encoding: str,
    layout: str,
    header: tuple[str, ...],
    lines: int,
) -> LeanTable:
    total = path.stat().st_size
    pieces = _pieces(raw, encoding, total)
    text = next(pieces, "")
    if len(text) < 65536 and raw.tell() < total:
        raise _NotLean  # sniff would see more of the file than these lines
    text, given, top = preamble(text)
    if given is not None or not text.strip():
        raise _NotLean
    delimiter = "\t" if path.suffix.lower() == ".tsv" else sniff(text)
    text = savetxt_header(text, top, delimiter)
    first, _, body = text.partition("\n")
    stray = first.count("\r") != int(first.endswith("\r"))  # (a line end, for csv)
    if delimiter == " " or "#" in body or '"' in first or stray:
        raise _NotLean
    names = [c.strip() for c in first.split(delimiter)]
    if any(c.lower() in MISSING for c in names):
        raise _NotLean
    row1 = body.split("\n", 1)[0].split(delimiter)
    texts = [j for j, c in enumerate(row1) if not is_number(c)]
    numbers = [is_number(c) for c in names]
    if all(numbers) and not texts:  # as _Table._load_fast reads it: pandas' 0, 1, 2, ...
        counter = np.array([float(c) for c in names])
        has_header = bool((counter == np.arange(len(names))).all()) and len(names) >= 3
    elif not all(numbers) and len(row1) == len(names):
        has_header = True  # checked below, as _Table._has_header would decide it
    else:
        raise _NotLean
    if not has_header:  # the first row is data: the training header may name columns
        texts, body = [], text
    given_names = bool(header and layout != "rows" and not has_header)
    roles = header if given_names and len(header) == len(names) else names
    wide = [j in texts or bool(column_role(roles[j])) for j in range(len(names))]
    reader = _Pieces(len(names), delimiter, texts, wide, lines - int(has_header))
    reader.add(body)
    for piece in pieces:
        reader.add(piece)
    table = reader.table(names if has_header else [None] * len(names), int(has_header))
    if texts and not _header_rule(table, names):
        raise _NotLean
    table.encoding = None if encoding == "utf-8-sig" else encoding
    return table


def _header_rule(table: LeanTable, names: list[str]) -> bool:
    """_Table._has_header for a file with text columns: a name that says time, label or
    id, or a name over a column of numbers (some of them present)."""
    if any(column_role(n) for n in names):
        return True
    return any(
        table.cells[j] is None and not is_number(n) and bool((~np.isnan(table.values[j])).any())
        for j, n in enumerate(names)
    )


class _Pieces:
    """Rows parsed a piece at a time into columns allocated once for all ``rows``:
    float32 (the rows of one ``[C, R]`` array), float64, or date-times as seconds."""

    def __init__(
        self, width: int, delimiter: str, texts: list[int], wide: list[bool], rows: int
    ) -> None:
        self.width, self.delimiter, self.texts, self.wide = width, delimiter, texts, wide
        # (27: one more than the longest date-time read, so a longer cell shows as one)
        self.dtype = [(f"c{j}", "U27" if j in texts else "f8") for j in range(width)]
        narrow = [j for j in range(width) if not wide[j]]
        self.block = np.empty((len(narrow), rows), np.float32)
        self.values = {j: self.block[k] for k, j in enumerate(narrow)}
        self.values.update({j: np.empty(rows, np.float64) for j in range(width) if wide[j]})
        self.rows, self.expected = 0, rows
        # 1.020 and no decimal point in a file not comma-separated: the whole reader decides
        self.point, self.ambiguous = delimiter == ",", False

    def add(self, text: str) -> None:
        """One piece of whole lines (the last may lack its line end)."""
        if '"' in text or "#" in text or text.count("\r") != text.count("\r\n"):
            raise _NotLean
        text = text[:-1] if text.endswith("\n") else text
        text = text[:-1] if text.endswith("\r") else text
        if not text:
            raise _NotLean  # a blank line (or none at all)
        lines = text.count("\n") + 1
        if self.rows + lines > self.expected:
            raise _NotLean
        rows = np.loadtxt(
            io.StringIO(text), delimiter=self.delimiter, dtype=self.dtype, comments=None, ndmin=1
        )
        if len(rows) != lines:
            raise _NotLean  # blank lines: their line numbers would shift
        if not self.point and "." in text:
            self.point = shows_point(text)
            self.ambiguous = self.ambiguous or (not self.point and has_ambiguous(text))
        at = slice(self.rows, self.rows + lines)
        for j in range(self.width):
            column = rows[f"c{j}"]
            self.values[j][at] = iso_seconds(column) if j in self.texts else column
        self.rows += lines

    def table(self, names: list[str | None], head: int) -> LeanTable:
        """The columns read, as series_table._Table holds them."""
        if self.rows == 0 or self.rows != self.expected or (self.ambiguous and not self.point):
            raise _NotLean
        values = self.values
        times = {j: values.pop(j) for j in self.texts}
        nan = np.broadcast_to(np.float64(np.nan), (self.rows,))
        no, yes = (np.broadcast_to(np.bool_(b), (self.rows,)) for b in (False, True))
        return LeanTable(
            names=[n or None for n in names],
            cells=[UNKEPT if j in times else None for j in range(self.width)],
            values=[nan if j in times else values[j] for j in range(self.width)],
            text=[yes if j in times else no for j in range(self.width)],
            lines=range(1 + head, 1 + head + self.rows),
            widths=np.broadcast_to(np.int64(self.width), (self.rows,)),
            head=head,
            encoding=None,
            times=times,
        )


def iso_seconds(cells: np.ndarray) -> np.ndarray:
    """cells: ``[R]`` ISO 8601 date-times of one form (no time zone) -> seconds since
    1970 (UTC) ``[R]`` float64, as series_times.parse_times reads them; raises _NotLean
    for anything else (missing cells too)."""
    first = str(cells[0]) if len(cells) else ""
    unit = _UNITS.get(len(first))
    if unit is None or not _ISO.fullmatch(first) or (np.char.str_len(cells) != len(first)).any():
        raise _NotLean
    if unit != "D" and first[10] == " ":
        cells = np.char.replace(cells, " ", "T")
    try:
        with warnings.catch_warnings():  # (a time zone: numpy warns, and it reads back not)
            warnings.simplefilter("ignore")
            stamps = cells.astype(f"datetime64[{unit}]")
    except ValueError:
        raise _NotLean from None
    # what numpy reads but Python does not (year 0, a 24th hour, ...) does not read back
    if (np.datetime_as_string(stamps, unit=unit) != cells).any():
        raise _NotLean
    if (stamps < np.datetime64("0001-01-01", unit)).any():
        raise _NotLean
    return stamps.astype("datetime64[us]").astype(np.int64) / 1e6


def stacked(rows: list[np.ndarray]) -> np.ndarray:
    """rows: C arrays ``[R]`` -> float32 ``[C, R]``: a view when they are consecutive rows
    of one float32 array (as ``_Pieces.table`` makes them), else a copy."""
    base = rows[0].base
    if base is not None and base.ndim == 2 and base.dtype == np.float32:
        start, step = base.ctypes.data, base.strides[0]
        at = [(r.ctypes.data - start) // step if r.base is base else -1 for r in rows]
        if at == list(range(at[0], at[0] + len(rows))) and at[0] >= 0:
            return base[at[0] : at[0] + len(rows)]
    return np.stack(rows).astype(np.float32)
