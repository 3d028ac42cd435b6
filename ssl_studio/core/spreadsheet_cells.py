"""CSV cells that a spreadsheet shows as text: a cell the app writes for people (a class
name from a received model card, a file or label name) that starts with ``= + - @``, a tab
or a carriage return would be read by Excel or LibreOffice as a formula (``=HYPERLINK(...)``
runs; an honest class ``+ve`` shows as #NAME?). Such a cell is written with one leading
single quote, which spreadsheets take as "this is text" and do not show; a plain number
(``-1``, ``+2.5e3``) is left as it is. Where a spreadsheet splits the file on ``;`` (the
CSV separator of German, French, Dutch or Italian settings) or a tab, a formula character
right after one of those inside a cell starts a cell of its own (``x;=1+1``): it gets the
quote there too (``x;'=1+1``). ``unquoted`` undoes both where the app reads its own CSV
back (the label file), so an export imports as the same labels."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# the encoding of a CSV the app writes for people: UTF-8 with a byte-order mark, without
# which Excel, opening the file by a double-click on Windows, reads it as the ANSI code
# page ("Befund ä" shows as "Befund Ã¤"); Python reads it back as "utf-8-sig", which
# takes a file without the mark as well
SPREADSHEET_ENCODING = "utf-8-sig"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_INNER = re.compile(r"([;\t])(?=[=+\-@\t\r])")  # a separator before a formula character
_INNER_QUOTED = re.compile(r"([;\t])'(?=[=+\-@\t\r])")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet shows it as written: a text starting with a formula
    character, that is not a plain number, gets a leading ``'``; anything else (numbers,
    other text, blanks) is returned as it is."""
    if not isinstance(value, str) or _NUMBER.fullmatch(value):
        return value
    value = _INNER.sub(r"\1'", value)
    return "'" + value if value.startswith(TRIGGERS) else value


def safe_row(row: Iterable[Any]) -> list[Any]:
    """Every cell of ``row`` through ``safe_cell``."""
    return [safe_cell(cell) for cell in row]


def unquoted(cell: str) -> str:
    """A cell read back from a CSV the app wrote: one leading ``'`` dropped where a formula
    character follows it (``'+ve`` -> ``+ve``), and one after a ``;`` or tab inside it
    (``x;'=1`` -> ``x;=1``); any other cell as it is."""
    if cell.startswith("'") and cell[1:].startswith(TRIGGERS):
        cell = cell[1:]
    return _INNER_QUOTED.sub(r"\1", cell)


class SafeWriter:
    """A ``csv.writer`` whose every cell goes through ``safe_cell`` (header included)."""

    def __init__(self, writer: Any) -> None:
        self._writer = writer

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row, its text cells neutralised."""
        self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write every row of ``rows``, their text cells neutralised."""
        self._writer.writerows(safe_row(row) for row in rows)
