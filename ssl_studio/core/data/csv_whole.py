"""CSV text read whole: the reader of the tables csv_stream does not read in pieces
(quotes, blank and comment lines, missing cells, decimal commas, ragged rows, any text):
the text decoded at once, numpy's parser for numbers only, else the csv module and one
column at a time. A mixin of series_table._Table, which sets what it reads."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ssl_studio.core.data.column_roles import column_role, savetxt_header
from ssl_studio.core.data.csv_cells import MISSING, preamble, read_rows, read_text, sniff
from ssl_studio.core.data.csv_numbers import dot_groups, dot_note, to_float, uncertain_dots
from ssl_studio.core.data.records import ImportProblem


def _blank(cells: np.ndarray) -> bool:
    """True when every cell of ``[R]`` str is empty or spaces."""
    return bool((np.char.str_len(np.char.strip(cells)) == 0).all())


class WholeText:
    """The whole-text loaders of series_table._Table (see the module docstring)."""

    file: str
    notes: list[ImportProblem]  # on how the file was read (stored in the import report)

    def _read_whole(self, path: Path) -> None:
        text, self.encoding = read_text(path)
        text, given, top = preamble(text)
        delimiter = given or ("\t" if path.suffix.lower() == ".tsv" else sniff(text))
        text = savetxt_header(text, top, delimiter)
        if not self._load_fast(text, delimiter):
            self._load(text, delimiter)

    def _load_fast(self, text: str, delimiter: str) -> bool:
        """Numbers only, no quotes, no blank lines: numpy's C parser does it all (or False)."""
        first, _, rest = text.rstrip("\r\n").partition("\n")
        head = [c.strip() for c in first.split(delimiter)]
        if delimiter == " " or '"' in text or not rest.strip():
            return False
        if any(c.lower() in MISSING for c in head):
            return False
        if delimiter != "," and uncertain_dots(rest):
            return False  # 1.020 and nothing else: _load decides by column, and notes it
        try:
            values = np.loadtxt(io.StringIO(rest), delimiter=delimiter, ndmin=2, comments=None)
        except ValueError:
            return False
        try:
            row0 = np.array([float(c) for c in head])
            header = (row0 == np.arange(len(row0))).all() and len(row0) >= 3  # pandas' names
        except ValueError:
            header = True
        if len(values) != rest.count("\n") + 1 or values.shape[1] != len(head):
            return False  # blank lines (line numbers would shift) or a ragged header
        if not header:
            values = np.concatenate([row0[None], values])
        self.names = [c or None for c in head] if header else [None] * len(head)
        self.cells: list[np.ndarray | None] = [None] * len(head)  # None: numbers only
        self.values = list(values.T)
        self.text = [np.zeros(len(values), bool)] * len(head)
        self.lines = list(range(1 + header, 1 + header + len(values)))
        self.widths, self.head = np.full(len(values), len(head)), int(header)
        return True

    def _load(self, text: str, delimiter: str) -> None:
        """Any table: csv module, then one column at a time (text, missing cells, ragged rows)."""
        rows, lines = read_rows(text, delimiter, self.file)
        widths = np.array([len(r) for r in rows])
        width = int(widths.max())
        if widths.min() < width:
            rows = [r + [""] * (width - len(r)) for r in rows]
        cells = [np.array(col, dtype=str) for col in zip(*rows, strict=True)]
        comma = delimiter != ","  # (a comma-separated file: no decimal comma)
        groups, unsure = dot_groups(cells, comma)
        parsed = [to_float(c, comma, g) for c, g in zip(cells, groups, strict=True)]
        self.head = head = int(self._has_header(cells, parsed))
        names = [(c[0].strip() or None) if head else None for c in cells]
        while len(cells) > 1 and names[-1] is None and _blank(cells[-1][head:]):
            cells, parsed, names = cells[:-1], parsed[:-1], names[:-1]  # trailing delimiters
        self.names, self.cells = names, [c[head:] for c in cells]
        self.values, self.text = [v[head:] for v, _ in parsed], [t[head:] for _, t in parsed]
        self.lines, self.widths = lines[head:], np.minimum(widths[head:], len(cells))
        unsure = [j for j in unsure if j < len(cells)]
        if unsure:
            described = [f"column {names[j]!r}" if names[j] else f"column {j + 1}" for j in unsure]
            self.notes.append(dot_note(self.file, described, groups[unsure[0]]))

    def _has_header(self, cells: list[np.ndarray], parsed: list) -> bool:
        """A first row of names: text over numbers, a role name, or pandas' 0, 1, 2, ..."""
        first = np.array([v[0] for v, _ in parsed])
        no_numbers = np.isnan(first).all() and any(t[0] for _, t in parsed)
        counter = first[1:] if np.isnan(first[0]) else first  # pandas, with or without index
        header = (
            any(column_role(c[0]) for c in cells)
            or any(t[0] and not t[1:].any() and (~np.isnan(v[1:])).any() for v, t in parsed)
            or (no_numbers and not any(t[1:].any() for _, t in parsed))
            or (len(counter) >= 3 and (counter == np.arange(len(counter))).all())
        )
        if len(cells[0]) == 1 and (header or no_numbers):
            raise ImportProblem(
                "csv-header-only",
                f"{self.file} has a header row but no data rows. Add rows or remove the file.",
            )
        return header
