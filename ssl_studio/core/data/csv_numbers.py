"""Numbers in CSV cells as spreadsheets write them: decimal commas, thousands separators
(``4.256,90``, ``4,256.9``, ``1 200,5`` with a space or a no-break space, ``1'200.5``),
missing-value words (csv_cells.MISSING).

A dot and three digits (``1.020``) is either a decimal point or a German thousands
separator. Each column is read one way for all its cells, decided once from what the
column (and else the file) shows: a decimal comma or ``1.234.567`` in a column means its
dots group thousands; ``1.5``, ``0.125`` or ``1234.5`` means they are decimal points. A
column holding only the ambiguous form follows the rest of the file; where the file
does not tell, it is noted (``dot_note``) and read with a decimal point, or as thousands
when the file shows decimal commas and decimal points both."""

from __future__ import annotations

import re

import numpy as np

from ssl_studio.core.data.csv_cells import MISSING
from ssl_studio.core.data.records import ImportProblem

MISSING_CELLS = [v for m in MISSING for v in {m, m.upper(), m.title()}] + ["k.A."]
_SPACES = " \u00a0\u202f'\u2019"  # space, no-break and narrow no-break space, apostrophes
DOT_GROUPED = re.compile(r"[-+]?[1-9]\d{0,2}(?:\.\d{3})+(?:,\d+)?")  # 4.256,90
COMMA_GROUPED = re.compile(r"[-+]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?")  # 4,256.9
SPACE_GROUPED = re.compile(rf"[-+]?[1-9]\d{{0,2}}([{_SPACES}])\d{{3}}(?:\1\d{{3}})*(?:[.,]\d+)?")

# what a (stripped) cell says about the column's decimal mark
_CELL = {
    "comma": rf"[-+]?[\d.{_SPACES}]*\d,\d+",  # 1,5  4.256,90  1 200,5
    "dots": r"[-+]?[1-9]\d{0,2}(?:\.\d{3}){2,}",  # 1.234.567: dots that group
    "point": (
        r"[-+]?(?:\d*\.(?:\d{1,2}|\d{4,})|\d+\.|0\.\d{3}|\d{4,}\.\d{3}|\.\d{3}"
        rf"|\d*\.\d+[eE][-+]?\d+|[1-9]\d{{0,2}}(?:[,{_SPACES}]\d{{3}})+\.\d+)"
    ),
    "ambiguous": r"[-+]?[1-9]\d{0,2}\.\d{3}",  # 1.020: a decimal point, or 1020?
}
# in a column's cells joined as "\0cell\0cell\0" (the searches start at a literal \0)
_IN_COLUMN = {k: re.compile(rf"\0\s*+(?:{p})\s*(?=\0)") for k, p in _CELL.items()}
# a dot that can be no thousands separator, in any text (a quick first look: every
# search starts at a literal, so a column of numbers takes a few ms; see shows_point)
_POINT_DOT = re.compile(
    rf"\.(?:\d{{0,2}}(?!\d)|\d{{4}}|\d{{3}}[eE]|(?<=\d{{4}}\.)|(?<!\d\.)|(?<=[,{_SPACES}]\d{{3}}\.))"
)
_POINT_ZERO = re.compile(r"0\.(?<![\d.]0\.)")  # 0.125
_AMBIGUOUS_TEXT = re.compile(r"(?<![\d.:])[1-9]\d{0,2}\.\d{3}(?![\d.eE])")
_SPACED = re.compile(rf"\d[{_SPACES}]\d")
_TWO_GROUPS = re.compile(r"\.\d{3}\.\d{3}")


def uncertain_dots(body: str) -> bool:
    """True when rows of numbers only (no commas) hold ``1.020`` and nothing that shows a
    decimal point: the careful reader must decide and note it (see the module docstring)."""
    return "." in body and not shows_point(body) and has_ambiguous(body)


def shows_point(body: str) -> bool:
    """Rows of numbers only hold one with a decimal point (``1.5``, ``0.125``, ``1e-3``)."""
    return bool(_POINT_DOT.search(body) or _POINT_ZERO.search(body))


def has_ambiguous(body: str) -> bool:
    """Rows of numbers only hold one such as ``1.020`` (a decimal point, or 1020?)."""
    return bool(_AMBIGUOUS_TEXT.search(body))


def dot_groups(columns: list[np.ndarray], decimal_comma: bool) -> tuple[list[bool], list[int]]:
    """For each column of cells, whether ``1.020`` is 1020 in it; and the columns that hold
    only that form in a file that does not tell which it is (to note: ``dot_note``).
    Each search runs only where it can decide something (a column of decimal commas
    answers at its first cell), so that the careful reader stays about as fast."""
    if not decimal_comma:  # a comma-separated file: the dot is the decimal point
        return [False] * len(columns), []
    joined = ["\0" + "\0".join(c.tolist()) + "\0" for c in columns]

    def shows(kind: str, j: int) -> bool:
        return bool(_IN_COLUMN[kind].search(joined[j]))

    def point_in(j: int) -> bool:  # (the quick look first; the cells may be text)
        return dotted[j] and shows_point(joined[j]) and shows("point", j)

    every = range(len(columns))
    dotted = ["." in joined[j] for j in every]
    comma = ["," in joined[j] and shows("comma", j) for j in every]
    point = [not comma[j] and point_in(j) for j in every]
    two = [
        dotted[j] and not comma[j] and not point[j] and _TWO_GROUPS.search(joined[j]) for j in every
    ]
    grouped = [comma[j] or bool(two[j] and shows("dots", j)) for j in every]
    commas = any(grouped)
    unsure = [j for j in every if dotted[j] and not grouped[j] and not point[j]]
    unsure = [j for j in unsure if shows("ambiguous", j)]
    if unsure:  # does the file show decimal points too (maybe beside decimal commas)?
        points = any(point) or any(comma[j] and point_in(j) for j in every)
        unsure = [j for j in unsure if commas == points]
    groups = [dotted[j] and (grouped[j] or (not point[j] and commas)) for j in every]
    return groups, unsure


def dot_note(file: str, columns: list[str], groups: bool) -> ImportProblem:
    """The note on columns whose ``1.020`` cells were read one way by guess."""
    what = ", ".join(columns)
    read = "thousands separators (1.020 as 1020)" if groups else "decimal points (1.020 as 1.02)"
    other = "decimal points" if groups else "thousands separators"
    return ImportProblem(
        "csv-number-dots",
        f"{what} of {file} holds numbers such as 1.020 only, whose dot may be a decimal point "
        f"or a thousands separator, and the file does not show which: read as {read}. If the "
        f"dots are {other}, save the file without thousands separators (or with a decimal "
        "comma, such as 1.020,0) and import it again.",
        "warning",
    )


def to_float(cells: np.ndarray, comma: bool, groups: bool) -> tuple[np.ndarray, np.ndarray]:
    """cells: ``[R]`` str -> (values ``[R]`` float64, NaN if missing; text ``[R]``: not a number).
    comma: a comma may be the decimal mark; groups: ``1.020`` is 1020 (``dot_groups``).

    The first cell (maybe a column name) is parsed apart so that the rest stays on the fast path.
    """
    parts = [parse_cells(part, comma, groups) for part in (cells[:1], cells[1:])]
    return np.concatenate([v for v, _ in parts]), np.concatenate([t for _, t in parts])


def parse_cells(cells: np.ndarray, comma: bool, groups: bool) -> tuple[np.ndarray, np.ndarray]:
    no_text = np.zeros(cells.shape, bool)
    if not groups:
        try:  # fast path: numpy parses "1.5", " 2", "1e3", "nan" itself
            return cells.astype(np.float64), no_text
        except ValueError:
            pass
        filled = np.where(np.isin(cells, MISSING_CELLS), "nan", cells)
        if comma:
            filled = np.char.replace(filled, ",", ".")
        try:
            return filled.astype(np.float64), no_text
        except ValueError:  # some text (or another spelling of a missing value)
            pass
    values = np.array([number(c, comma, groups) for c in cells.tolist()])
    missing = np.isin(np.char.lower(np.char.strip(cells)), MISSING)
    return values, np.isnan(values) & ~missing


def number(cell: str, comma: bool, groups: bool = False) -> float:
    """One cell as a number (NaN when it is missing or text); comma and groups: see to_float.
    A lone ``-`` or ``.`` is no number."""
    text = cell.strip()
    if "," not in text and not (groups and "." in text):
        try:  # (most cells, text ones too, are done here)
            return float(text)
        except ValueError:
            if text.count(".") < 2 and not _SPACED.search(text):
                return float("nan")
    spaced = SPACE_GROUPED.fullmatch(text)
    if spaced:
        text = text.replace(spaced.group(1), "").replace(",", ".")
    elif DOT_GROUPED.fullmatch(text) and (groups or "," in text or text.count(".") > 1):
        text = text.replace(".", "").replace(",", ".")
    elif COMMA_GROUPED.fullmatch(text) and (not comma or "." in text or text.count(",") > 1):
        text = text.replace(",", "")
    elif comma:
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return float("nan")
